"""Captures are accepted by tools nobody here wrote: warcio check, cdxj-indexer, pywb."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import archiver
from archiver import Collection
from archiver.testing import SiteServer, example_site
from tests.capture.warcs import read_records
from tests.interop.tools import PywbReplay, assert_cdxj_indexes, assert_warcio_check

SEED_PATH = "/2023/11/nug-and-resistance-forces-urge-junta-troops-to-defect-before-time-runs-out/"
SEED_TITLE = "NUG and Resistance Forces Urge Junta Troops to Defect Before Time Runs Out"


@pytest.fixture(scope="module")
def seed_capture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Collection, str]]:
    """The seed article captured from the example site; the site is stopped afterwards."""
    folder = tmp_path_factory.mktemp("seed")
    with SiteServer() as site:
        origin = site.origin
        summary = archiver.capture([site.url(SEED_PATH)], folder / "col")
    assert summary.ok, summary.failures
    yield Collection.open(folder / "col"), origin


def test_warcio_check_and_cdxj_indexer_accept_the_capture(
    seed_capture: tuple[Collection, str],
) -> None:
    col, origin = seed_capture
    assert_warcio_check(col.warc_files(), require_digests=True)
    assert_cdxj_indexes(col.warc_files(), expect_urls=[origin + SEED_PATH])


def test_pywb_replays_the_seed_article_and_its_images_after_the_site_is_gone(
    seed_capture: tuple[Collection, str],
) -> None:
    col, origin = seed_capture
    recs = read_records(col.warc_files())
    images = sorted({r.url for r in recs if r.type == "response" and r.url.endswith(".jpg")})
    assert len(images) >= 3, "the seed article's images were not captured"
    with pytest.raises(OSError):  # the live site really is gone
        import urllib.request

        urllib.request.urlopen(origin + SEED_PATH, timeout=2)
    with PywbReplay(col.warc_files()) as pywb:
        status, _headers, body = pywb.get(origin + SEED_PATH, mode="mp_")
        assert status == 200, pywb.logs()
        assert SEED_TITLE.encode() in body
        assert b"Khun Myint Htun" in body
        for url in images:
            status, _headers, body = pywb.get(url, mode="id_")
            assert status == 200, url
            on_disk = (example_site() / url.removeprefix(origin).lstrip("/")).read_bytes()
            assert body == on_disk, f"{url} replayed different bytes"


def test_chunked_gzip_response_is_stored_as_sent_and_still_replays(
    small_site: SiteServer, tmp_path: Path
) -> None:
    small_site.chunked = True
    small_site.gzip = True
    small_site.record = True
    archiver.capture(
        [small_site.url("/a/")], tmp_path / "col", options=archiver.CaptureOptions(requisites=False)
    )
    col = Collection.open(tmp_path / "col")
    [response] = [
        r
        for r in read_records(col.warc_files())
        if r.type == "response" and r.url == small_site.url("/a/")
    ]
    [sent] = [s.raw for s in small_site.sent if s.path == "/a/"]
    assert response.block == sent
    assert b"Transfer-Encoding: chunked" in sent and b"Content-Encoding: gzip" in sent
    assert_warcio_check(col.warc_files(), require_digests=True)
    with PywbReplay(col.warc_files()) as pywb:
        status, _headers, body = pywb.get(small_site.url("/a/"), mode="mp_")
        assert status == 200 and b"Page A" in body
        status, headers, body = pywb.get(small_site.url("/a/"), mode="id_", accept_encoding="gzip")
        assert status == 200 and headers.get("Content-Encoding") == "gzip"
        head_end = sent.index(b"\r\n\r\n") + 4
        from archiver.httpbody import decode_body

        gz = decode_body(iter([sent[head_end:]]), chunked=True, content_encoding="", limit=10**6)
        assert body == gz
