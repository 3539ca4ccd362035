"""End to end on real captures: archiver's own WARCs bag, verify and localise damage."""

from __future__ import annotations

from pathlib import Path

import bagit
import pytest

from archiver import capture
from archiver.bag import make_bag
from archiver.fixity import damage_warc_record, format_report, verify
from archiver.testing import SiteServer


@pytest.mark.broken_warcs
def test_captured_collection_round_trip(small_site: SiteServer, tmp_path: Path) -> None:
    summary = capture([small_site.url("/")], tmp_path / "col")
    assert summary.records > 0
    bag = make_bag(tmp_path / "col", tmp_path / "bag")
    bagit.Bag(str(bag.path)).validate()
    report = verify(bag.path, history=tmp_path / "h.sqlite")
    assert report.ok, format_report(report)
    assert report.warc_records >= summary.records
    assert not report.damaged_records
    warc = next((bag.path / "data" / "col" / "archive").glob("*.warc.gz"))
    damaged = damage_warc_record(warc)
    report = verify(bag.path, history=tmp_path / "h.sqlite")
    assert not report.ok
    assert [(r.record_id, r.target_uri) for r in report.damaged_records] == [
        (damaged.record_id, damaged.target_uri)
    ]
    assert [c.path for c in report.changes if c.change == "changed"] == [
        warc.relative_to(bag.path).as_posix()
    ]
