"""Browser capture: what a reader's Chromium fetches is what the WARC keeps, and it replays.

The example site's script-driven pages (``/live/``) load images behind lazy loaders, JSON
comments, an injected stylesheet and web font, an injected iframe, and more items on scroll:
static capture cannot see most of it.  A reader's Chromium, driven here independently of
archiver, tells what the server is asked for; the browser capture must hold all of it.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

import archiver
from archiver import CaptureOptions, Collection
from archiver.capture.urls import normalize_url
from archiver.model import BrowserOptions
from archiver.testing import SiteServer
from tests.capture.reader import (
    BANNER,
    COVERAGE_REPORT,
    JSON_COMMENT,
    LAST_LIVE_ITEM,
    LIVE_PAGES,
    RENDERED_TITLE,
    chromium_or_skip,
    read_like_a_reader,
    server_paths,
)
from tests.capture.warcs import read_records
from tests.interop.tools import PywbReplay, assert_cdxj_indexes, assert_index_matches_cdxj_indexer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chromium() -> str:
    return chromium_or_skip()


def _stored(col: Path) -> dict[str, str]:
    """Every URL a response (or revisit) was stored for, as path?query, with its record type."""
    out = {}
    for rec in read_records(Collection.open(col).warc_files()):
        if rec.type in ("response", "revisit"):
            parts = urlsplit(rec.url)
            out[parts.path + ("?" + parts.query if parts.query else "")] = rec.type
    return out


def _key(site: SiteServer, path: str) -> str:
    parts = urlsplit(normalize_url(site.url(path)))
    return parts.path + ("?" + parts.query if parts.query else "")


@pytest.fixture(scope="module")
def captured(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The live pages loaded by a reader, then captured with and without the browser."""
    root = tmp_path_factory.mktemp("browser-capture")
    with SiteServer() as site:
        live: dict[str, set[str]] = {}
        reader: dict[str, dict[str, object]] = {}
        for path in LIVE_PAGES:
            before = len(site.requests())
            reader[path] = read_like_a_reader(chromium, site.url(path))
            live[path] = {_key(site, p) for p in server_paths(site.requests()[before:])}
        seeds = [site.url(p) for p in LIVE_PAGES]
        options = CaptureOptions(browser=BrowserOptions(executable=chromium))
        browser = archiver.capture(seeds, root / "browser", options=options)
        static = archiver.capture(seeds, root / "static")
        origin = site.origin
    return {
        "live": live,
        "reader": reader,
        "browser": browser,
        "static": static,
        "root": root,
        "origin": origin,
    }


def test_browser_capture_keeps_every_request_a_reader_makes(
    captured: dict[str, object], pytestconfig: pytest.Config
) -> None:
    live: dict[str, set[str]] = captured["live"]  # type: ignore[assignment]
    root: Path = captured["root"]  # type: ignore[assignment]
    summary = captured["browser"]
    assert summary.ok, summary.failures  # type: ignore[attr-defined]
    kept = _stored(root / "browser")
    kept_static = _stored(root / "static")
    wanted = set().union(*live.values())
    for path, requests in live.items():
        missing = sorted(requests - kept.keys())
        assert not missing, f"{path}: the browser capture lacks {missing}"
    static_share = len(wanted & kept_static.keys()) / len(wanted)
    browser_share = len(wanted & kept.keys()) / len(wanted)
    pytestconfig.stash.setdefault(COVERAGE_REPORT, []).append(
        f"requests a reader's Chromium made on the {len(live)} script-driven pages: "
        f"{len(wanted)}; kept by static capture {len(wanted & kept_static.keys())} "
        f"({static_share:.0%}), by browser capture {len(wanted & kept.keys())} "
        f"({browser_share:.0%})"
    )
    # static capture misses most of what the scripts load: the reason browser capture exists
    assert static_share < 0.85, f"static capture kept {static_share:.0%} of {len(wanted)}"
    assert browser_share == 1.0
    assert summary.browser is not None and summary.browser.pages == len(LIVE_PAGES)  # type: ignore[attr-defined]
    assert summary.browser.beyond_static > 0  # type: ignore[attr-defined]


def test_browser_capture_warcs_pass_cdxj_indexer(captured: dict[str, object]) -> None:
    # (every WARC under tmp_path passes warcio check: the autouse fixture of tests/conftest.py
    # covers the function-scoped tmp_path only, so it is run here explicitly too)
    from tests.conftest import warcio_check_in_process

    root: Path = captured["root"]  # type: ignore[assignment]
    origin: str = captured["origin"]  # type: ignore[assignment]
    warcs = Collection.open(root / "browser").warc_files()
    code, output = warcio_check_in_process(warcs)
    assert code == 0, output
    lines = assert_cdxj_indexes(warcs, expect_urls=[origin + p for p in LIVE_PAGES])
    urls = {line.url for line in lines}
    assert origin + BANNER in urls
    assert any(u and u.startswith("urn:screenshot:") for u in urls)


def test_index_agrees_with_cdxj_indexer(captured: dict[str, object]) -> None:
    # responses, revisits, and the screenshot and DOM resource records
    assert_index_matches_cdxj_indexer(captured["root"] / "browser")  # type: ignore[operator]


def test_page_evidence_is_concurrent_to_its_response(captured: dict[str, object]) -> None:
    root: Path = captured["root"]  # type: ignore[assignment]
    origin: str = captured["origin"]  # type: ignore[assignment]
    records = read_records(Collection.open(root / "browser").warc_files())
    for path in LIVE_PAGES:
        url = origin + path
        response = next(r for r in records if r.type == "response" and r.url == url)
        shot = next(r for r in records if r.url == "urn:screenshot:" + url)
        dom = next(r for r in records if r.url == "urn:dom:" + url)
        meta = next(
            r
            for r in records
            if r.type == "metadata"
            and r.url == url
            and r.headers.get("WARC-Concurrent-To") == response.id
            and b"browser:" in r.block
        )
        for rec in (shot, dom, meta):
            assert rec.headers["WARC-Concurrent-To"] == response.id
        assert shot.type == "resource" and shot.headers["Content-Type"] == "image/png"
        assert shot.block.startswith(b"\x89PNG\r\n\x1a\n")
        assert dom.type == "resource" and dom.headers["Content-Type"].startswith("text/html")
        fields = meta.block.decode()
        assert f"screenshot: urn:screenshot:{url}" in fields
        assert "browserOutcome: loaded" in fields
        loaded = [line for line in fields.splitlines() if line.startswith("resource: ")]
        assert loaded and all(line.split()[1].isdigit() for line in loaded), loaded
    lazy = origin + LIVE_PAGES[0]
    dom = next(r for r in records if r.url == "urn:dom:" + lazy)
    assert JSON_COMMENT.encode() in dom.block  # the comments came from JSON, rendered by script
    assert BANNER.encode() in dom.block
    blog = next(r for r in records if r.url == "urn:dom:" + origin + LIVE_PAGES[1])
    assert LAST_LIVE_ITEM.encode() in blog.block  # the last "load more" page was reached


def test_shared_resources_are_fetched_once(captured: dict[str, object]) -> None:
    # Three pages load the same theme stylesheet and scripts: each is fetched from the server
    # once, the other pages are answered from what the run stored.
    root: Path = captured["root"]  # type: ignore[assignment]
    records = read_records(Collection.open(root / "browser").warc_files())
    urls = [r.url for r in records if r.type in ("response", "revisit")]
    assert len(urls) == len(set(urls)), sorted(u for u in urls if urls.count(u) > 1)
    summary = captured["browser"]
    assert summary.browser.from_archive > 0  # type: ignore[attr-defined]


def test_pywb_replays_a_browser_capture_with_the_site_gone(
    captured: dict[str, object], chromium: str
) -> None:
    root: Path = captured["root"]  # type: ignore[assignment]
    origin: str = captured["origin"]  # type: ignore[assignment]
    live: dict[str, set[str]] = captured["live"]  # type: ignore[assignment]
    warcs = Collection.open(root / "browser").warc_files()
    with PywbReplay(warcs, framed=False) as pywb:  # the example server is stopped by now
        for path in LIVE_PAGES[:2]:
            page = read_like_a_reader(chromium, pywb.url_for(origin + path, mode="mp_"))
            html = str(page["html"])
            prefix = f"{pywb.base}/{pywb.coll}/"
            replayed = {}
            for status, url in page["statuses"]:  # type: ignore[attr-defined]
                if url.startswith(prefix):
                    original = url[len(prefix) :].split("/", 1)[1]
                    if original.startswith(origin):
                        replayed[original[len(origin) :]] = status
            not_found = sorted(p for p, status in replayed.items() if status == 404)
            assert not not_found, f"pywb answered 404 for {not_found}"
            assert live[path] & replayed.keys(), "the replay requested nothing of the page"
            if path == LIVE_PAGES[0]:
                assert JSON_COMMENT in html, "the JSON-loaded comments are not in the replay"
                assert page["banner_loaded"], "the script-inserted banner did not load"
            else:
                assert LAST_LIVE_ITEM in html


def test_capture_json_summary_reports_the_browser(captured: dict[str, object]) -> None:
    from archiver.cli.capture import summary_dict

    data = summary_dict(captured["browser"])  # type: ignore[arg-type]
    browser = json.loads(json.dumps(data, default=str))["browser"]
    assert browser["chromium"].startswith("Chromium/")
    assert browser["screenshots"] == len(LIVE_PAGES)


def test_an_article_rendered_by_script_is_extracted_from_the_rendered_dom(
    captured: dict[str, object], tmp_path: Path
) -> None:
    from archiver.pipeline import extract_collection

    root: Path = captured["root"]  # type: ignore[assignment]
    origin: str = captured["origin"]  # type: ignore[assignment]
    rendered, served = origin + LIVE_PAGES[2], origin + LIVE_PAGES[0]
    summary = extract_collection(root / "browser", output=tmp_path / "browser.jsonl")
    assert summary.ok, (summary.invalid, summary.failures)
    records = {
        r["url"]: r for r in map(json.loads, (tmp_path / "browser.jsonl").read_text().splitlines())
    }
    article = records[rendered]
    assert article["title"] == RENDERED_TITLE
    assert len(article["text"].split()) > 300
    assert article["source"]["target_uri"] == "urn:dom:" + rendered
    dom = next(
        r
        for r in read_records(Collection.open(root / "browser").warc_files())
        if r.url == "urn:dom:" + rendered
    )
    assert article["source"]["record_id"] == dom.id
    # a page whose HTML as served holds its article keeps pointing at its response record
    assert records[served]["source"]["target_uri"] == served
    # static capture has no rendered DOM: the script-rendered article yields nothing there
    extract_collection(root / "static", output=tmp_path / "static.jsonl")
    static_urls = {
        json.loads(line)["url"] for line in (tmp_path / "static.jsonl").read_text().splitlines()
    }
    assert rendered not in static_urls
