"""capture(): records, links between them, indexes, redirects, summary, concurrency."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

import archiver
from archiver import CaptureOptions, Collection, Seed
from archiver.errors import CollectionLockedError, UsageError
from archiver.testing import Handler, SiteServer
from tests.capture.warcs import read_records


def _records(col: Collection) -> list:  # type: ignore[type-arg]
    return read_records(col.warc_files())


def test_capture_writes_request_response_and_metadata(small_site: SiteServer, tmp_path: Path):
    summary = archiver.capture([small_site.url("/")], tmp_path / "col")
    col = Collection.open(tmp_path / "col")
    assert summary.ok and summary.pages == 1
    # the page, its CSS, the CSS's @import and url(), the img src and srcset
    assert summary.requisites == 5
    recs = _records(col)
    assert recs[0].type == "warcinfo"
    by_id = {r.id: r for r in recs}
    responses = [r for r in recs if r.type == "response"]
    urls = sorted(r.url for r in responses)
    assert urls == sorted(
        small_site.url(p)
        for p in ("/", "/s.css", "/t.css", "/img/x.png", "/img/y.png", "/img/bg.png", "/robots.txt")
    )
    assert len(urls) == len(set(urls)), "a response was written twice"
    for resp in responses:
        h = resp.headers
        assert h["WARC-Date"].endswith("Z") and len(h["WARC-Date"]) == 27  # microseconds
        assert h["WARC-IP-Address"] == "127.0.0.1"
        assert h["WARC-Block-Digest"].startswith("sha256:")
        assert h["WARC-Payload-Digest"].startswith("sha256:")
        request = by_id[h["WARC-Concurrent-To"]]
        assert request.type == "request" and request.url == resp.url
        assert request.headers["WARC-Concurrent-To"] == resp.id
        assert request.block.startswith(b"GET ")
    meta = [r for r in recs if r.type == "metadata"]
    assert len(meta) == 1
    assert by_id[meta[0].headers["WARC-Concurrent-To"]].url == small_site.url("/")
    assert f"outlink: {small_site.url('/a/')} a/@href".encode() in meta[0].block
    assert b"fetchTimeMs: " in meta[0].block


def test_warcinfo_describes_the_capture(small_site: SiteServer, tmp_path: Path) -> None:
    col = Collection.create(tmp_path / "col", name="karen")
    opts = CaptureOptions(operator="Jane Archivist", contact="https://example.org/contact")
    archiver.capture([small_site.url("/a/")], col, options=opts)
    info = _records(col)[0]
    assert info.type == "warcinfo"
    text = info.block.decode()
    for expected in (
        "software: archiver/",
        "format: WARC File Format 1.1",
        "conformsTo: http://iipc.github.io/warc-specifications/",
        "isPartOf: karen",
        "robots: obey",
        "operator: Jane Archivist",
        "(+https://example.org/contact)",
        "hostname: ",
    ):
        assert expected in text
    assert info.headers["WARC-Filename"] == col.warc_files()[0].name
    assert (tmp_path / "col" / "archive").is_dir()
    assert not list((tmp_path / "col" / "archive").glob("*.open"))


def test_indexes_are_sorted_cdxj_and_wacz_pages(small_site: SiteServer, tmp_path: Path) -> None:
    archiver.capture([small_site.url("/"), small_site.url("/a/")], tmp_path / "col")
    col = Collection.open(tmp_path / "col")
    lines = col.index_path.read_text().splitlines()
    assert lines == sorted(lines) and len(lines) == 8
    for line in lines:
        _key, ts, data = line.split(" ", 2)
        assert len(ts) == 14 and ts.isdigit()
        fields = json.loads(data)
        assert {"url", "mime", "status", "digest", "length", "offset", "filename"} <= set(fields)
        # the index points at the exact gzip member of the record
        with open(col.archive_dir / fields["filename"], "rb") as fh:
            fh.seek(int(fields["offset"]))
            assert fh.read(2) == b"\x1f\x8b"
    pages = [json.loads(x) for x in col.pages_path.read_text().splitlines()]
    assert pages[0]["format"] == "json-pages-1.0"
    assert {(p["url"], p["title"]) for p in pages[1:]} == {
        (small_site.url("/"), "Home"),
        (small_site.url("/a/"), "Page A"),
    }


def test_redirect_chain_is_recorded_hop_by_hop(small_site: SiteServer, tmp_path: Path) -> None:
    def hop(target: str) -> object:
        def handler(h: Handler) -> None:
            h.send_raw(
                f"HTTP/1.1 301 Moved\r\nLocation: {target}\r\nContent-Length: 0\r\n\r\n".encode()
            )

        return handler

    small_site.routes["/old"] = hop("/older")  # type: ignore[assignment]
    small_site.routes["/older"] = hop(small_site.url("/a/"))  # type: ignore[assignment]
    summary = archiver.capture([small_site.url("/old")], tmp_path / "col")
    col = Collection.open(tmp_path / "col")
    assert summary.ok and summary.pages == 1
    responses = [r for r in _records(col) if r.type == "response"]
    statuses = {r.url: r.block.split(b" ", 2)[1] for r in responses}
    assert statuses[small_site.url("/old")] == b"301"
    assert statuses[small_site.url("/older")] == b"301"
    assert statuses[small_site.url("/a/")] == b"200"
    requests = [r.url for r in _records(col) if r.type == "request"]
    assert requests.count(small_site.url("/old")) == 1
    assert requests.count(small_site.url("/older")) == 1
    pages = [json.loads(x) for x in col.pages_path.read_text().splitlines()[1:]]
    assert [p["url"] for p in pages] == [small_site.url("/a/")]


def test_redirect_loop_fails_with_reason(small_site: SiteServer, tmp_path: Path) -> None:
    def to(target: str):  # type: ignore[no-untyped-def]
        return lambda h: h.send_raw(
            f"HTTP/1.1 302 Found\r\nLocation: {target}\r\nContent-Length: 0\r\n\r\n".encode()
        )

    small_site.routes["/loop1"] = to("/loop2")
    small_site.routes["/loop2"] = to("/loop1")
    summary = archiver.capture([small_site.url("/loop1")], tmp_path / "col")
    assert not summary.ok
    # reported against the seed asked for, naming the hop where the chain failed (issue 12,
    # finding 9: it was reported against the last hop only)
    assert [f.url for f in summary.failures] == [small_site.url("/loop1")]
    assert "redirect loop" in summary.failures[0].reason
    assert f"(at {small_site.url('/loop2')}, redirect 1)" in summary.failures[0].reason


def test_failures_are_listed_and_the_run_goes_on(small_site: SiteServer, tmp_path: Path) -> None:
    summary = archiver.capture(
        [small_site.url("/missing/"), small_site.url("/a/")],
        tmp_path / "col",
        options=CaptureOptions(retries=0),
    )
    assert summary.pages == 1
    assert [(f.url, f.status) for f in summary.failures] == [(small_site.url("/missing/"), 404)]
    assert "404" in summary.failures[0].reason


def test_eight_workers_write_every_response_once(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    links = "".join(f"<img src=/img{i}.bin>" for i in range(60))
    for p in range(20):
        (root / f"p{p}.html").write_text(f"<title>P{p}</title>{links}<p>page {p}</p>")
    for i in range(60):
        (root / f"img{i}.bin").write_bytes(i.to_bytes(2, "big") * 5000)
    with SiteServer(root, latency=0.01) as site:
        seeds = [site.url(f"/p{p}.html") for p in range(20)]
        opts = CaptureOptions(workers=8, per_host=8)
        summary = archiver.capture(seeds, tmp_path / "col", options=opts)
        assert site.max_inflight > 1, "the capture never ran requests concurrently"
    col = Collection.open(tmp_path / "col")
    responses = [r.url for r in _records(col) if r.type == "response"]
    expected = (
        set(seeds) | {site.url(f"/img{i}.bin") for i in range(60)} | {site.url("/robots.txt")}
    )
    assert sorted(responses) == sorted(expected)
    assert summary.pages == 20 and summary.ok


def test_eight_threads_capturing_at_once(tmp_path: Path, small_site: SiteServer) -> None:
    """Eight caller threads, each its own collection, sharing nothing but the process."""
    results: dict[int, archiver.CaptureSummary] = {}

    def run(i: int) -> None:
        results[i] = archiver.capture(
            [small_site.url("/"), small_site.url("/a/")], tmp_path / f"col{i}"
        )

    threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 8
    for i in range(8):
        recs = _records(Collection.open(tmp_path / f"col{i}"))
        responses = [r.url for r in recs if r.type == "response"]
        assert len(responses) == len(set(responses)) == 8


def test_second_capture_of_a_busy_collection_is_refused(
    small_site: SiteServer, tmp_path: Path
) -> None:
    col = Collection.create(tmp_path / "col")
    with col.write_lock(), pytest.raises(CollectionLockedError):
        archiver.capture([small_site.url("/")], col)


def test_bad_seed_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="ftp"):
        archiver.capture(["ftp://example.org/x"], tmp_path / "col")
    with pytest.raises(UsageError, match="workers"):
        archiver.capture(["http://127.0.0.1/"], tmp_path / "col", options=CaptureOptions(workers=0))


def test_warc_files_rotate_at_the_configured_size(small_site: SiteServer, tmp_path: Path) -> None:
    opts = CaptureOptions(warc_max_size=4096)
    archiver.capture([small_site.url("/")], tmp_path / "col", options=opts)
    col = Collection.open(tmp_path / "col")
    files = col.warc_files()
    assert len(files) >= 2
    for f in files[:-1]:
        assert f.stat().st_size >= 4096
    for f in files:
        recs = read_records([f])
        assert recs[0].type == "warcinfo", f"{f.name} does not start with warcinfo"


def test_feed_seed_captures_its_items(small_site: SiteServer, tmp_path: Path) -> None:
    feed = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
        f"<item><link>{small_site.url('/a/')}</link><pubDate>Tue, 21 Nov 2023 10:15:00 +0630"
        "</pubDate></item></channel></rss>"
    )
    (small_site.root / "feed.xml").write_text(feed)
    summary = archiver.capture([Seed.feed(small_site.url("/feed.xml"))], tmp_path / "col")
    assert summary.pages == 1 and summary.ok


def test_links_are_read_in_the_charset_the_server_declares(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    (root / "ပှၤ.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    # No <meta charset>: only the HTTP header says UTF-8 (the test server sends it).
    (root / "index.html").write_bytes('<title>ကညီ</title><img src="/ပှၤ.jpg">'.encode())
    with SiteServer(root) as site:
        summary = archiver.capture([site.url("/")], tmp_path / "col")
    assert summary.ok, summary.failures
    assert summary.requisites == 1
    pages = [
        json.loads(x)
        for x in Collection.open(tmp_path / "col")
        .pages_path.read_text(encoding="utf-8")
        .splitlines()[1:]
    ]
    assert pages[0]["title"] == "ကညီ"


def test_a_user_agent_that_cannot_be_an_http_header_is_refused(tmp_path: Path) -> None:
    for opts in (
        CaptureOptions(contact="Bibliothèque nationale"),
        CaptureOptions(user_agent="bot\r\nX-Injected: 1"),
    ):
        with pytest.raises(UsageError, match="printable ASCII"):
            archiver.capture(["http://127.0.0.1:9/"], tmp_path / "col", options=opts)
    assert not (tmp_path / "col").exists()


def test_a_response_still_dripping_at_max_response_time_is_cut_and_marked(
    small_site: SiteServer, tmp_path: Path
) -> None:
    import time

    def drip(h: Handler) -> None:
        h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n")
        for _ in range(100):
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(0.05)

    small_site.routes["/drip"] = drip
    opts = CaptureOptions(max_response_time=0.5, read_timeout=2, retries=0)
    summary = archiver.capture([small_site.url("/drip")], tmp_path / "col", options=opts)
    [resp] = [
        r
        for r in _records(Collection.open(tmp_path / "col"))
        if r.type == "response" and r.url.endswith("/drip")
    ]
    assert resp.headers["WARC-Truncated"] == "time"
    assert 0 < len(resp.block.split(b"\r\n\r\n", 1)[1]) < 100
    assert summary.pages == 1
    assert [(t.url, t.reason) for t in summary.truncated] == [
        (small_site.url("/drip"), "cut at the time limit (0.5 s)")
    ]


def test_compressed_media_is_stored_and_text_is_deflated(tmp_path: Path) -> None:
    from warcio.archiveiterator import ArchiveIterator

    root = tmp_path / "site"
    root.mkdir()
    # compressible bytes under a JPEG name: deflate would shrink them, so only a stored
    # member keeps their size
    photo = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 240
    (root / "photo.jpg").write_bytes(photo)
    (root / "page.html").write_text(
        "<title>P</title><img src=/photo.jpg>" + "<p>the same sentence again</p>" * 2000
    )
    with SiteServer(root) as site:
        summary = archiver.capture([site.url("/page.html")], tmp_path / "col")
    assert summary.ok and summary.requisites == 1
    sizes: dict[str, tuple[int, int]] = {}  # url -> (payload bytes, gzip member bytes)
    for path in Collection.open(tmp_path / "col").warc_files():
        with open(path, "rb") as fh:
            records = ArchiveIterator(fh)
            for rec in records:
                if rec.rec_type == "response":
                    payload = rec.content_stream().read()
                    records.read_to_end()
                    sizes[rec.rec_headers.get_header("WARC-Target-URI")] = (
                        len(payload),
                        records.get_record_length(),
                    )
    jpeg_payload, jpeg_member = sizes[site.url("/photo.jpg")]
    assert jpeg_payload == len(photo)
    # stored (level 0): the member holds the photo as it is, plus headers and framing
    assert len(photo) < jpeg_member < len(photo) + 1024
    html_payload, html_member = sizes[site.url("/page.html")]
    assert html_member < html_payload / 20  # text is still deflated


@pytest.mark.parametrize(
    ("label", "codec", "name"),
    [
        ("EUC-JP", "euc_jp", "日本"),  # libxml2 knows the label, not Python's "euc_jp"
        ("ms932", "cp932", "日本"),  # Python knows the label, libxml2 only "cp932"
        ("latin9", "iso8859_15", "€"),
        ("us-ascii", "cp1252", "café"),  # ASCII and Latin-1 labels mean windows-1252
        ("hex", "utf-8", "x"),  # a codec, no charset: ignored, the parser sniffs
    ],
)
def test_links_are_read_in_any_declared_charset(
    tmp_path: Path, label: str, codec: str, name: str
) -> None:
    from urllib.parse import quote

    body = f"<title>{name}</title><p>{name}</p><img src='/{name}.png'><img src=/after.png>"
    with SiteServer(tmp_path) as site:
        site.routes["/p.html"] = lambda h: h._respond(
            200, "OK", f"text/html; charset={label}", body.encode(codec)
        )
        summary = archiver.capture([site.url("/p.html")], tmp_path / "col")
        fetched = {path for _t, path, _ua in site.requests()}
    assert summary.pages == 1
    assert {f"/{quote(name)}.png", "/after.png"} <= fetched
