"""The WARC writer never leaves half a record group in a file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from archiver.warc.writer import RecordSpec, WarcWriter
from tests.capture.warcs import read_records


def _spec(body: bytes) -> RecordSpec:
    return RecordSpec(
        "resource", [("WARC-Target-URI", "urn:x")], body, len(body), content_type="text/plain"
    )


def test_a_group_that_fails_midway_is_cut_out(tmp_path: Path) -> None:
    def failing() -> Iterator[bytes]:
        yield b"x" * 1000
        raise OSError("disk went away")

    with WarcWriter(tmp_path, "t", warcinfo=[("software", "test")]) as writer:
        writer.write_group([_spec(b"first")])
        bad = RecordSpec("resource", [("WARC-Target-URI", "urn:y")], failing(), 5000)
        with pytest.raises(OSError, match="disk went away"):
            writer.write_group([_spec(b"partner"), bad])
        writer.write_group([_spec(b"third")])
    recs = read_records(sorted(tmp_path.glob("*.warc.gz")))
    assert [r.block for r in recs if r.type == "resource"] == [b"first", b"third"]
    assert writer.records_written == 3  # warcinfo, first, third


def test_a_refused_commit_leaves_no_records_behind(tmp_path: Path) -> None:
    def refuse(_locations: object) -> None:
        raise RuntimeError("catalog is busy")

    with WarcWriter(tmp_path, "t", warcinfo=[("software", "test")]) as writer:
        with pytest.raises(RuntimeError):
            writer.write_group([_spec(b"orphan")], commit=refuse)
        writer.write_group([_spec(b"kept")])
    recs = read_records(sorted(tmp_path.glob("*.warc.gz")))
    assert [r.block for r in recs if r.type == "resource"] == [b"kept"]
