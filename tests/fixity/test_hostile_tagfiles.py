"""Hostile tag files and special files (issue 12, findings 3, 7, 8 and 5).

A tag file that is a symbolic link, FIFO or device is refused unread; a payload FIFO has its own
code; quoted values are cut short; a huge manifest line is never held whole.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import pytest

from archiver.cli import main
from archiver.fixity import report_to_json, verify
from tests.fixity import hostile_bags as hb

TAG_FILES = [
    "bagit.txt",
    "bag-info.txt",
    "fetch.txt",
    "manifest-sha256.txt",
    "tagmanifest-sha256.txt",
]


def _history_text(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        rows = [repr(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in tables]
    conn.close()
    return "\n".join(rows)


@pytest.mark.parametrize("name", TAG_FILES)
def test_a_symlinked_tag_file_is_refused_and_never_quoted(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = hb.secret_file(tmp_path)
    bag = hb.tag_file_as_symlink(tmp_path / "bag", name, secret)
    db = tmp_path / "history.sqlite"
    assert main(["verify", str(bag), "--history", str(db)]) == 1
    assert main(["verify", str(bag), "--history", str(db), "--json"]) == 1
    out, err = capsys.readouterr()
    assert hb.SECRET not in out and hb.SECRET not in err
    assert "TOP-SECRET" not in _history_text(db)
    report = json.loads(out.splitlines()[-1])
    refused = [p for p in report["problems"] if p["code"] == "symlink" and p["path"] == name]
    assert len(refused) == 1
    assert "symbolic link" in refused[0]["message"] and "not read" in refused[0]["message"]


def test_a_tag_file_linked_inside_the_bag_is_refused_too(tmp_path: Path) -> None:
    bag = hb.plain_bag(tmp_path / "bag")
    (bag / "bag-info.txt").rename(bag / "info-real.txt")
    (bag / "bag-info.txt").symlink_to("info-real.txt")
    assert ("symlink", "bag-info.txt") in {(p.code, p.path) for p in verify(bag).errors}


_CHILD = textwrap.dedent(
    """
    import os, sys
    from pathlib import Path
    if sys.argv[3] == "race":
        # the FIFO looks like a regular file to lstat (as if swapped in after the lstat):
        # only a non-blocking open and fstat keep the read from hanging
        real = os.lstat
        regular = real(sys.argv[1] + "/data/a.txt")
        os.lstat = lambda p, *a, **k: regular if str(p).endswith(sys.argv[2]) else real(p, *a, **k)
    from archiver.fixity import verify
    report = verify(Path(sys.argv[1]), workers=1)
    print(sorted({(p.code, p.path) for p in report.errors}))
    """
)


@pytest.mark.parametrize("race", ["plain", "race"])
@pytest.mark.parametrize("name", TAG_FILES)
def test_a_fifo_tag_file_is_refused_without_hanging(tmp_path: Path, name: str, race: str) -> None:
    bag = hb.tag_file_as_fifo(tmp_path / "bag", name)
    # bounded: a read that blocked on the FIFO would be killed by the timeout
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, str(bag), name, race],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert f"('special-file', '{name}')" in done.stdout


def test_a_fifo_in_the_payload_is_a_special_file_not_a_symlink(tmp_path: Path) -> None:
    bag = hb.payload_fifo(tmp_path / "bag")
    report = verify(bag)
    found = {(p.code, p.path) for p in report.errors}
    assert ("special-file", "data/pipe") in found
    assert ("symlink", "data/pipe") not in found
    message = next(p.message for p in report.errors if p.path == "data/pipe")
    assert "FIFO" in message and "not read" in message


def test_a_10_mb_manifest_path_is_not_echoed(tmp_path: Path) -> None:
    bag = hb.long_manifest_path(tmp_path / "bag", 10_000_000)
    db = tmp_path / "history.sqlite"
    report = verify(bag, history=db)
    assert not report.ok
    problems = report_to_json(report)["problems"]
    assert all(len(json.dumps(p)) < 1000 for p in problems)
    long = [p for p in report.errors if p.code == "tag-line-too-long"]
    assert len(long) == 1 and "manifest-sha256.txt line 3" in long[0].message
    assert len(json.dumps(report_to_json(report))) < 20_000
    assert len(_history_text(db)) < 20_000


def test_a_path_longer_than_any_file_system_allows_is_refused_quoted_short(tmp_path: Path) -> None:
    bag = hb.long_manifest_path(tmp_path / "bag", 50_000)
    report = verify(bag)
    long = [p for p in report.errors if p.code == "path-too-long"]
    assert len(long) == 1
    assert "(50005 characters)" in long[0].message and len(long[0].message) < 400
    assert all(len(f.path) < 1000 for f in report.files)


def test_quoted_values_are_cut_at_200_characters(tmp_path: Path) -> None:
    bag = hb.long_fetch_url(tmp_path / "bag", 5000)
    report = verify(bag)
    (bad,) = [p for p in report.errors if p.code == "fetch-url"]
    assert "… (5000 characters)" in bad.message and len(bad.message) < 300
    text = "\n".join(p.message for p in report.problems)
    assert "u" * 300 not in text


def test_a_huge_manifest_line_is_never_held_whole(tmp_path: Path) -> None:
    """Streaming: a 32 MB line without a line end costs a bounded amount of memory."""
    bag = hb.plain_bag(tmp_path / "bag")
    with open(bag / "manifest-sha256.txt", "a", encoding="ascii") as fh:
        for _ in range(32):
            fh.write("f" * 1_000_000)
    tracemalloc.start()
    try:
        report = verify(bag, fast=True, workers=1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "tag-line-too-long" in {p.code for p in report.errors}
    assert peak < 8_000_000, peak


def test_a_long_manifest_is_read_a_line_at_a_time(tmp_path: Path) -> None:
    """Memory for N and 10 N lines that hold no entry (blank) is the same: nothing is kept."""

    def peak_for(lines: int) -> int:
        bag = hb.plain_bag(tmp_path / f"bag-{lines}")
        with open(bag / "manifest-sha256.txt", "a", encoding="ascii") as fh:
            fh.write(" \n" * lines)
        tracemalloc.start()
        try:
            verify(bag, fast=True, workers=1)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak_for(100_000), peak_for(1_000_000)
    assert large < small * 2 + 1_000_000, (small, large)
