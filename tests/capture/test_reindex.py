"""The indexes are always derivable from the WARC files (issue 12, finding 2).

A lost catalog used to make the next capture rewrite index.cdxj and pages.jsonl with its own
captures only: the earlier WARC files stayed in archive/ but vanished from both.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import archiver
from archiver import CaptureOptions, Collection, Seed
from archiver.catalog import Catalog
from archiver.cli import main
from archiver.testing import SiteServer


def _pages(col: Path) -> list[tuple[str, str | None]]:
    lines = Collection.open(col).pages_path.read_text().splitlines()[1:]
    return sorted((p["url"], p.get("title")) for p in map(json.loads, lines))


def _index(col: Path) -> list[str]:
    return sorted(Collection.open(col).index_path.read_text().splitlines())


@pytest.fixture(scope="module")
def captured(example_site: SiteServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A collection with two captures of the example site's feed (responses and revisits)."""
    col = tmp_path_factory.mktemp("reindex") / "col"
    seeds = [Seed.feed(example_site.url("/feed/")), Seed.page(example_site.url("/about/"))]
    archiver.capture(seeds, col)
    archiver.capture(seeds, col)
    return col


def test_index_rebuilds_the_same_index_and_pages_from_the_warcs(
    captured: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    col = tmp_path / "col"
    shutil.copytree(captured, col)
    index, pages = _index(col), _pages(col)
    assert len(pages) >= 9 and any(" revisit" in x or "warc/revisit" in x for x in index)
    (col / "catalog.sqlite").unlink()
    (col / "indexes" / "index.cdxj").unlink()
    (col / "pages" / "pages.jsonl").unlink()
    assert main(["index", str(col)]) == 0
    assert "Indexed " in capsys.readouterr().out
    assert _index(col) == index
    assert _pages(col) == pages


def test_a_lost_catalog_is_rebuilt_by_the_next_capture(
    captured: Path, example_site: SiteServer, tmp_path: Path
) -> None:
    col = tmp_path / "col"
    shutil.copytree(captured, col)
    before_pages = _pages(col)
    (col / "catalog.sqlite").unlink()
    archiver.capture([example_site.url("/contact/")], col)
    after = [u for u, _t in _pages(col)]
    assert set(u for u, _t in before_pages) <= set(after)  # nothing silently dropped
    assert example_site.url("/contact/") in after


def test_a_corrupt_catalog_is_kept_aside_and_rebuilt(
    captured: Path, example_site: SiteServer, tmp_path: Path
) -> None:
    col = tmp_path / "col"
    shutil.copytree(captured, col)
    before_pages = {u for u, _t in _pages(col)}
    (col / "catalog.sqlite").write_bytes(b"this is not a database" * 100)
    summary = archiver.capture([example_site.url("/contact/")], col)
    assert summary.ok
    kept = list(col.glob("catalog.sqlite.corrupt-*"))
    assert kept and kept[0].read_bytes().startswith(b"this is not a database")  # nothing lost
    assert before_pages <= {u for u, _t in _pages(col)}


def test_warc_files_the_catalog_does_not_know_are_added(
    captured: Path, example_site: SiteServer, tmp_path: Path
) -> None:
    col, other = tmp_path / "col", tmp_path / "other"
    archiver.capture([example_site.url("/privacy-policy/")], other)
    shutil.copytree(captured, col)
    for warc in Collection.open(other).warc_files():
        shutil.copy(warc, col / "archive" / warc.name)  # copied in by hand
    archiver.capture([example_site.url("/contact/")], col)
    assert example_site.url("/privacy-policy/") in {u for u, _t in _pages(col)}


def test_index_refuses_to_drop_an_unfinished_capture(
    captured: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    col = tmp_path / "col"
    shutil.copytree(captured, col)
    with Catalog(col / "catalog.sqlite") as catalog:
        catalog.start_crawl(["http://example.org/"], {})  # as a killed capture leaves it
    assert main(["index", str(col)]) == 2
    assert "unfinished capture" in capsys.readouterr().err
    assert main(["index", str(col), "--force"]) == 0
    assert list(col.glob("catalog.sqlite.bak-*"))


def test_index_reports_a_damaged_warc_and_keeps_what_precedes_it(
    captured: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    col = tmp_path / "col"
    shutil.copytree(captured, col)
    warc = Collection.open(col).warc_files()[0]
    data = warc.read_bytes()
    warc.write_bytes(data[: len(data) // 2] + b"\x00garbage" * 50)
    assert main(["index", str(col), "--json"]) == 1
    summary = json.loads(capsys.readouterr().out)
    assert summary["damaged"] and warc.name in summary["damaged"][0]
    assert summary["records"] > 0
    assert warc.read_bytes().endswith(b"\x00garbage" * 50)  # the file itself is not changed


def test_browser_and_post_records_are_indexed_like_the_capture_did(tmp_path: Path) -> None:
    # a POST's key and the screenshot and DOM resources come back the same from the WARCs
    from tests.capture.reader import chromium_or_skip

    chromium = chromium_or_skip()
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text(
        "<title>p</title><script>fetch('/api', {method: 'POST', headers: {'Content-Type': "
        "'application/x-www-form-urlencoded'}, body: 'a=1&b=2'});</script>"
    )
    col = tmp_path / "col"
    with SiteServer(tmp_path / "site") as site:
        site.routes["/api"] = lambda h: h.send_raw(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
            if h.rfile.read(int(h.headers.get("Content-Length") or 0))
            else b"HTTP/1.1 400 X\r\nContent-Length: 0\r\n\r\n"
        )
        options = CaptureOptions(browser=archiver.model.BrowserOptions(executable=chromium))
        archiver.capture([site.url("/")], col, options=options)
    index, pages = _index(col), _pages(col)
    assert any("__wb_method=post" in line for line in index)
    assert any(line.startswith("urn:screenshot:") for line in index)
    (col / "catalog.sqlite").unlink()
    assert main(["index", str(col)]) == 0
    assert _index(col) == index and _pages(col) == pages


def test_index_of_a_collection_it_may_not_write_is_a_clear_error(
    captured: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A read-only collection (EROFS, or a folder this user may not write) is exit 1 with the
    path, not a traceback; patched, since root may write anything."""
    import errno
    import os

    col = tmp_path / "col"
    shutil.copytree(captured, col)
    before = sorted(p.name for p in col.iterdir())
    real_open = os.open

    def read_only(path: object, flags: int, *args: object, **kwargs: object) -> int:
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT) and str(path).startswith(str(col)):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_open(path, flags, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", read_only)
    assert main(["index", str(col)]) == 1
    err = capsys.readouterr().err
    assert "cannot write" in err and str(col / ".lock") in err
    assert "Traceback" not in err
    assert sorted(p.name for p in col.iterdir()) == before
