"""A killed capture resumes: nothing fetched twice into the collection, no corrupt WARC."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import archiver
from archiver import Collection
from archiver.capture.recovery import recover_open_files
from archiver.catalog import Catalog
from archiver.testing import SiteServer
from tests.capture.warcs import read_records

PAGES = 220


@pytest.fixture
def big_site(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("big-site")
    (root / "img").mkdir()
    for i in range(PAGES):
        (root / f"p{i}.html").write_text(
            f"<title>Article {i}</title><img src=/img/{i % 40}.png>"
            + f"<p>Paragraph of article {i}. </p>" * 40
        )
    for i in range(40):
        (root / "img" / f"{i}.png").write_bytes(os.urandom(3000))
    with SiteServer(root, latency=0.004) as site:
        yield site


def _run_capture(col: Path, url_file: Path, *, quiet: bool = False) -> subprocess.Popen[bytes]:
    cmd = [
        sys.executable,
        "-m",
        "archiver",
        "capture",
        "-c",
        str(col),
        "-i",
        str(url_file),
        "--json",
        "--workers",
        "4",
    ]
    out = subprocess.DEVNULL if quiet else subprocess.PIPE
    return subprocess.Popen(cmd, stdout=out, stderr=out)


def test_sigkill_mid_run_then_rerun_stores_every_page_once(
    big_site: SiteServer, tmp_path: Path
) -> None:
    col_path = tmp_path / "col"
    url_file = tmp_path / "urls.txt"
    urls = [big_site.url(f"/p{i}.html") for i in range(PAGES)]
    url_file.write_text("\n".join(urls) + "\n")
    for kill_after in (60, 160):  # kill twice, at different depths into the crawl
        proc = _run_capture(col_path, url_file, quiet=True)
        deadline = time.monotonic() + 60
        while len(big_site.requests()) < kill_after and time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert Collection.open(col_path).open_warc_files(), "kill should leave an open WARC behind"
    proc = _run_capture(col_path, url_file)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()
    col = Collection.open(col_path)
    assert not col.open_warc_files()
    assert not (col_path / "quarantine").exists()
    responses = [r.url for r in read_records(col.warc_files()) if r.type in ("response", "revisit")]
    for url in urls:
        assert responses.count(url) == 1, f"{url} stored {responses.count(url)} times"
    pages = col.pages_path.read_text().splitlines()[1:]
    assert len(pages) == PAGES
    fetched = [path for _, path, _ in big_site.requests() if path.startswith("/p")]
    assert len(fetched) < PAGES + 3 * 8, "resume fetched far more than the interrupted work"


def test_open_file_is_cut_back_to_its_last_committed_record(
    big_site: SiteServer, tmp_path: Path
) -> None:
    archiver.capture([big_site.url("/p1.html")], tmp_path / "col")
    col = Collection.open(tmp_path / "col")
    warc = col.warc_files()[0]
    good = warc.read_bytes()
    # Simulate a crash: the file is still .open and has a half-written record at its end.
    open_path = warc.with_name(warc.name + ".open")
    warc.rename(open_path)
    open_path.write_bytes(good + b"\x1f\x8b\x08\x00garbage-of-a-half-written-record")
    with Catalog(col.catalog_path) as catalog:
        assert recover_open_files(col, catalog) == [warc.name]
    assert warc.read_bytes() == good
    assert not open_path.exists()


def test_unknown_open_file_is_set_aside_not_deleted(tmp_path: Path) -> None:
    col = Collection.create(tmp_path / "col")
    stray = col.archive_dir / "stray.warc.gz.open"
    stray.write_bytes(b"not a warc at all")
    with Catalog(col.catalog_path) as catalog:
        assert recover_open_files(col, catalog) == []
    assert not stray.exists()
    aside = list((tmp_path / "col" / "quarantine").iterdir())
    assert len(aside) == 1 and aside[0].read_bytes() == b"not a warc at all"


def test_a_finished_crawl_is_not_resumed_but_recaptured(
    big_site: SiteServer, tmp_path: Path
) -> None:
    first = archiver.capture([big_site.url("/p2.html")], tmp_path / "col")
    second = archiver.capture([big_site.url("/p2.html")], tmp_path / "col")
    assert not second.resumed and second.pages == 1
    assert second.revisits >= 1
    assert second.bytes < first.bytes
