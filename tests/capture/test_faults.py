"""Fault injection: what a capture does when a server misbehaves.

Most tests run a real capture against a local server (127.0.0.1, port 0) whose chosen paths
answer with raw, deliberately broken bytes; each asserts how the run ends (stored, retried,
failed with a reason that names the URL) and, through the autouse conftest fixture, that every
WARC it leaves passes ``warcio check``.  Faults of the wire protocol itself (bytes past
Content-Length, 1xx interim responses, endless headers) are also tested on the HTTP client.

Decision on slow-drip responses: a body that trickles in, each gap shorter than
``read_timeout``, is not an error: it completes and is stored whole.  Only ``max_response_time``
(a limit of the HTTP client, 900 s in a capture) cuts such a body, and the record is then marked
``WARC-Truncated: time``; both halves are tested below.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import struct
import sys
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import brotli
import pytest
from warcio.archiveiterator import ArchiveIterator

import archiver
from archiver import CaptureOptions, Collection
from archiver.capture.http import HttpClient
from archiver.capture.records import exchange_records
from archiver.errors import FetchError
from archiver.testing import Handler, SiteServer
from archiver.warc.writer import WarcWriter
from tests.capture.warcs import Rec, read_records
from tests.interop.tools import assert_warcio_check

FAST = CaptureOptions(retries=2, backoff=0.01, read_timeout=5, obey_robots=False)


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at the end of a test so that handlers left waiting return."""
    event = threading.Event()
    yield event
    event.set()


def _records(path: Path) -> list[Rec]:
    return read_records(Collection.open(path).warc_files())


def _responses(path: Path, url: str) -> list[Rec]:
    return [r for r in _records(path) if r.type == "response" and r.url == url]


def _hits(site: SiteServer, path: str) -> list[float]:
    return [t for t, p, _ua in site.requests() if p == path]


def _head(status: str, length: int, ctype: str = "text/html") -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {length}\r\n\r\n".encode()
    )


def _sequence(*responses: bytes) -> Callable[[Handler], None]:
    """A handler answering the n-th request with the n-th response (then the last one)."""
    count = 0
    lock = threading.Lock()

    def handler(h: Handler) -> None:
        nonlocal count
        with lock:
            raw = responses[min(count, len(responses) - 1)]
            count += 1
        h.send_raw(raw)

    return handler


def _reset(h: Handler, *, after: bytes) -> None:
    """Send ``after``, then abort the connection with a TCP RST (SO_LINGER 0)."""
    h.wfile.write(after)
    h.wfile.flush()
    h.close_connection = True
    h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    h.connection.close()


def test_connection_reset_mid_body_is_retried_then_fails(
    small_site: SiteServer, tmp_path: Path
) -> None:
    small_site.routes["/reset"] = lambda h: _reset(
        h, after=_head("200 OK", 10_000) + b"<p>" + b"x" * 3000
    )
    url = small_site.url("/reset")
    summary = archiver.capture([url, small_site.url("/a/")], tmp_path / "col", options=FAST)
    assert len(_hits(small_site, "/reset")) == 3  # first try + 2 retries
    assert [f.url for f in summary.failures] == [url]
    reason = summary.failures[0].reason
    assert "reset" in reason and "after 3003 bytes" in reason
    assert _responses(tmp_path / "col", url) == []  # a broken body is never stored
    assert summary.pages == 1  # the run went on with the other seed


def test_connection_reset_then_success_stores_one_response(
    small_site: SiteServer, tmp_path: Path
) -> None:
    body = b"<title>ok</title>after a reset"
    attempts = 0

    def flaky(h: Handler) -> None:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            _reset(h, after=_head("200 OK", 1000) + b"partial")
        else:
            h.send_raw(_head("200 OK", len(body)) + body)

    small_site.routes["/flaky"] = flaky
    url = small_site.url("/flaky")
    summary = archiver.capture([url], tmp_path / "col", options=FAST)
    assert summary.ok and summary.pages == 1
    [resp] = _responses(tmp_path / "col", url)
    assert resp.block.endswith(body)


def test_stalled_body_hits_the_read_timeout(
    small_site: SiteServer, tmp_path: Path, release: threading.Event
) -> None:
    def stall(h: Handler) -> None:
        h.send_raw(_head("200 OK", 5000) + b"<p>start")
        release.wait(10)

    small_site.routes["/stall"] = stall
    url = small_site.url("/stall")
    opts = CaptureOptions(retries=0, read_timeout=0.3, obey_robots=False)
    started = time.monotonic()
    summary = archiver.capture([url, small_site.url("/a/")], tmp_path / "col", options=opts)
    assert time.monotonic() - started < 5
    assert [f.url for f in summary.failures] == [url]
    assert "read timeout after 0.3s" in summary.failures[0].reason
    assert _responses(tmp_path / "col", url) == []
    assert summary.pages == 1


def test_server_silent_before_the_headers_hits_the_read_timeout(
    small_site: SiteServer, tmp_path: Path, release: threading.Event
) -> None:
    small_site.routes["/silent"] = lambda h: release.wait(10) and None
    url = small_site.url("/silent")
    opts = CaptureOptions(retries=1, backoff=0.01, read_timeout=0.2, obey_robots=False)
    summary = archiver.capture([url], tmp_path / "col", options=opts)
    assert len(_hits(small_site, "/silent")) == 2
    assert [f.url for f in summary.failures] == [url]
    assert "read timeout" in summary.failures[0].reason


def test_503_then_200_is_retried_and_only_the_final_response_is_stored(
    small_site: SiteServer, tmp_path: Path
) -> None:
    ok = b"<title>Back</title>finally"
    small_site.routes["/busy"] = _sequence(
        _head("503 Service Unavailable", 4) + b"busy",
        _head("503 Service Unavailable", 4) + b"busy",
        _head("200 OK", len(ok)) + ok,
    )
    url = small_site.url("/busy")
    summary = archiver.capture([url], tmp_path / "col", options=FAST)
    assert summary.ok and summary.pages == 1
    assert len(_hits(small_site, "/busy")) == 3
    records = _records(tmp_path / "col")
    [resp] = [r for r in records if r.type == "response" and r.url == url]
    assert resp.block.startswith(b"HTTP/1.1 200 OK")
    assert [r.type for r in records if r.url == url] == ["request", "response", "metadata"]


def test_5xx_until_retries_run_out_stores_the_last_answer(
    small_site: SiteServer, tmp_path: Path
) -> None:
    small_site.routes["/down"] = _sequence(_head("502 Bad Gateway", 0))
    url = small_site.url("/down")
    summary = archiver.capture([url], tmp_path / "col", options=FAST)
    assert len(_hits(small_site, "/down")) == 3
    assert [(f.url, f.status) for f in summary.failures] == [(url, 502)]
    [resp] = _responses(tmp_path / "col", url)  # what the server said is evidence: kept once
    assert resp.block.startswith(b"HTTP/1.1 502")


def test_429_retry_after_is_honoured(small_site: SiteServer, tmp_path: Path) -> None:
    ok = b"<title>Now</title>"
    small_site.routes["/slow-down"] = _sequence(
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n",
        _head("200 OK", len(ok)) + ok,
    )
    url = small_site.url("/slow-down")
    summary = archiver.capture([url], tmp_path / "col", options=FAST)  # backoff 0.01 s
    assert summary.ok and summary.pages == 1
    first, second = _hits(small_site, "/slow-down")
    assert 0.95 <= second - first < 3.0
    [resp] = _responses(tmp_path / "col", url)
    assert resp.block.startswith(b"HTTP/1.1 200")


def test_retry_after_is_capped_by_max_retry_after(small_site: SiteServer, tmp_path: Path) -> None:
    small_site.routes["/later"] = _sequence(
        b"HTTP/1.1 503 Busy\r\nRetry-After: 3600\r\nContent-Length: 0\r\n\r\n",
        _head("200 OK", 2) + b"ok",
    )
    opts = CaptureOptions(retries=1, backoff=0.01, max_retry_after=0.3, obey_robots=False)
    started = time.monotonic()
    summary = archiver.capture([small_site.url("/later")], tmp_path / "col", options=opts)
    assert summary.ok
    first, second = _hits(small_site, "/later")
    assert 0.25 <= second - first < 2.0
    assert time.monotonic() - started < 5


def test_404_is_stored_once_and_not_retried(small_site: SiteServer, tmp_path: Path) -> None:
    url = small_site.url("/nowhere/")
    summary = archiver.capture([url], tmp_path / "col", options=FAST)
    assert len(_hits(small_site, "/nowhere/")) == 1
    assert [(f.url, f.status) for f in summary.failures] == [(url, 404)]
    [resp] = _responses(tmp_path / "col", url)
    assert resp.block.startswith(b"HTTP/1.1 404")
    assert summary.pages == 0


@pytest.mark.parametrize(
    ("chain", "loops_at"),
    [
        ({"/self": "/self"}, "/self"),
        ({"/r1": "/r2", "/r2": "/r3", "/r3": "/r1"}, "/r3"),
    ],
)
def test_redirect_loop_ends_with_each_hop_fetched_once(
    small_site: SiteServer, tmp_path: Path, chain: dict[str, str], loops_at: str
) -> None:
    for source, target in chain.items():
        small_site.routes[source] = _sequence(
            f"HTTP/1.1 302 Found\r\nLocation: {target}\r\nContent-Length: 0\r\n\r\n".encode()
        )
    first = next(iter(chain))
    summary = archiver.capture([small_site.url(first)], tmp_path / "col", options=FAST)
    assert [f.url for f in summary.failures] == [small_site.url(first)]  # the seed
    assert "redirect loop" in summary.failures[0].reason
    if loops_at != first:
        assert f"(at {small_site.url(loops_at)}," in summary.failures[0].reason
    for source in chain:
        assert len(_hits(small_site, source)) == 1
        assert len(_responses(tmp_path / "col", small_site.url(source))) == 1


def test_long_redirect_chain_stops_at_max_redirects(small_site: SiteServer, tmp_path: Path) -> None:
    for i in range(10):
        small_site.routes[f"/hop{i}"] = _sequence(
            f"HTTP/1.1 301 Moved\r\nLocation: /hop{i + 1}\r\nContent-Length: 0\r\n\r\n".encode()
        )
    opts = CaptureOptions(max_redirects=3, obey_robots=False)
    summary = archiver.capture([small_site.url("/hop0")], tmp_path / "col", options=opts)
    assert [p for _t, p, _ua in small_site.requests()] == ["/hop0", "/hop1", "/hop2", "/hop3"]
    assert "more than 3 redirects" in summary.failures[0].reason


def test_body_over_the_size_limit_is_stored_truncated(
    small_site: SiteServer, tmp_path: Path
) -> None:
    body = b"<title>big</title>" + b"y" * 50_000
    small_site.routes["/big"] = _sequence(_head("200 OK", len(body)) + body)
    url = small_site.url("/big")
    opts = CaptureOptions(max_response_size=5000, obey_robots=False)
    summary = archiver.capture([url], tmp_path / "col", options=opts)
    assert summary.pages == 1
    [resp] = _responses(tmp_path / "col", url)
    assert resp.headers["WARC-Truncated"] == "length"
    head_len = resp.block.index(b"\r\n\r\n") + 4
    assert len(resp.block) - head_len == 5000
    assert resp.block[head_len:] == body[:5000]
    col = Collection.open(tmp_path / "col")
    assert_warcio_check(col.warc_files(), require_digests=True)


def test_slow_drip_within_the_read_timeout_completes(
    small_site: SiteServer, tmp_path: Path
) -> None:
    body = b"<title>drip</title>" + b"d" * 1981

    def drip(h: Handler) -> None:
        h.send_raw(_head("200 OK", len(body)))
        for i in range(0, len(body), 100):
            time.sleep(0.04)
            h.send_raw(body[i : i + 100])

    small_site.routes["/drip"] = drip
    url = small_site.url("/drip")
    opts = CaptureOptions(read_timeout=0.5, retries=0, obey_robots=False)
    summary = archiver.capture([url], tmp_path / "col", options=opts)
    assert summary.ok and summary.pages == 1
    [resp] = _responses(tmp_path / "col", url)
    assert "WARC-Truncated" not in resp.headers
    assert resp.block.endswith(body)


def test_slow_drip_past_max_response_time_is_cut_and_marked_time(
    small_site: SiteServer, tmp_path: Path
) -> None:
    def drip(h: Handler) -> None:
        h.send_raw(_head("200 OK", 10_000))
        for _ in range(100):
            time.sleep(0.03)
            h.send_raw(b"z" * 100)

    small_site.routes["/drip"] = drip
    client = HttpClient(user_agent="t", read_timeout=0.5, max_response_time=0.4)
    with client, client.fetch(small_site.url("/drip")) as ex:
        assert ex.truncated == "time"
        assert 0 < ex.payload_length < 10_000
        assert ex.timings.total < 1.5
        # written as a capture would write it: a valid record marked WARC-Truncated: time
        request, response = exchange_records(ex, algorithm="sha256")
        with WarcWriter(tmp_path, "drip", warcinfo=[("software", "test")]) as writer:
            writer.write_group([request, response])
    [warc] = list(tmp_path.glob("*.warc.gz"))
    [resp] = [r for r in read_records([warc]) if r.type == "response"]
    assert resp.headers["WARC-Truncated"] == "time"
    assert len(resp.block) == ex.response_length


def test_garbage_instead_of_http_fails_with_a_reason(
    small_site: SiteServer, tmp_path: Path
) -> None:
    small_site.routes["/junk"] = _sequence(b"SSH-2.0-OpenSSH_9.6\r\n\r\n")
    small_site.routes["/badlen"] = _sequence(b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n")
    small_site.routes["/badchunk"] = _sequence(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"
    )
    urls = [small_site.url(p) for p in ("/junk", "/badlen", "/badchunk")]
    opts = CaptureOptions(retries=0, obey_robots=False)
    summary = archiver.capture([*urls, small_site.url("/a/")], tmp_path / "col", options=opts)
    reasons = {f.url: f.reason for f in summary.failures}
    assert "not an HTTP response" in reasons[urls[0]]
    assert "bad Content-Length" in reasons[urls[1]]
    assert "bad chunk size" in reasons[urls[2]]
    assert summary.pages == 1


_BIG = 200 * 1024 * 1024


def test_memory_does_not_grow_with_response_size(small_site: SiteServer, tmp_path: Path) -> None:
    block = bytes(range(256)) * 4096  # 1 MiB, sent 200 times: never held whole by the server

    def huge(h: Handler) -> None:
        h.wfile.write(_head("200 OK", _BIG, "application/octet-stream"))
        for _ in range(_BIG // len(block)):
            h.wfile.write(block)
        h.wfile.flush()

    small_site.routes["/huge.bin"] = huge
    url = small_site.url("/huge.bin")
    opts = CaptureOptions(max_response_size=_BIG + 1, obey_robots=False)
    tracemalloc.start()
    try:
        summary = archiver.capture([url], tmp_path / "col", options=opts)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert summary.ok
    assert peak < 8 * 1024 * 1024, f"peak {peak / 2**20:.1f} MiB for a 200 MiB response"
    [warc] = Collection.open(tmp_path / "col").warc_files()
    with open(warc, "rb") as fh:
        [resp] = [r.rec_headers for r in ArchiveIterator(fh) if r.rec_type == "response"]
    assert int(resp.get_header("Content-Length")) > _BIG
    assert resp.get_header("WARC-Truncated") is None


def _brotli(*parts: bytes, repeat_last: int = 1) -> bytes:
    """Brotli-compress ``parts`` (the last one ``repeat_last`` times) with either binding."""
    comp = brotli.Compressor(quality=1)
    feed = getattr(comp, "process", None) or comp.compress  # Google's API, else brotlipy's
    out = [feed(p) for p in parts[:-1]]
    out += [feed(parts[-1]) for _ in range(repeat_last)]
    return b"".join(out) + comp.finish()


def test_brotli_page_is_decoded_for_links(small_site: SiteServer, tmp_path: Path) -> None:
    html = b"<title>br</title><img src=/img/x.png><a href=/a/>a</a>"
    body = _brotli(html)
    small_site.routes["/br"] = _sequence(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: br\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    opts = CaptureOptions(obey_robots=False)
    summary = archiver.capture([small_site.url("/br")], tmp_path / "col", options=opts)
    assert summary.ok, summary.failures
    assert summary.requisites == 1
    [resp] = _responses(tmp_path / "col", small_site.url("/br"))
    assert resp.block.endswith(body)  # stored as sent, still compressed


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_compression_bomb_page_is_parsed_in_bounded_memory(
    small_site: SiteServer, tmp_path: Path, encoding: str
) -> None:
    # a real start, then 128 MiB of spaces (six times the parse limit), ~0.1 MB on the wire
    html = b"<title>bomb</title><img src=/img/x.png>"
    spaces = b" " * (1 << 20)
    if encoding == "br":
        body = _brotli(html, spaces, repeat_last=128)
    else:
        gz = zlib.compressobj(1, zlib.DEFLATED, 31)
        body = gz.compress(html) + b"".join(gz.compress(spaces) for _ in range(128)) + gz.flush()
    small_site.routes["/bomb"] = _sequence(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
        + f"Content-Encoding: {encoding}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    opts = CaptureOptions(obey_robots=False)
    tracemalloc.start()
    try:
        summary = archiver.capture([small_site.url("/bomb")], tmp_path / "col", options=opts)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert summary.ok and summary.requisites == 1
    assert peak < 100 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"


def _google_brotli() -> ModuleType:
    """Google's brotli bindings, even where brotlipy's package shadows ``import brotli``."""
    if hasattr(brotli.Decompressor(), "process"):
        return brotli
    found = [
        Path(p) / name
        for p in sys.path
        if Path(p).is_dir()
        for name in os.listdir(p)
        if name.startswith("_brotli.") and name.endswith((".so", ".pyd"))
    ]
    if not found:
        pytest.skip("Google's brotli bindings are not installed")
    spec = importlib.util.spec_from_file_location("_brotli", found[0])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)  # not put in sys.modules
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("binding", ["imported", "google"])
def test_brotli_decoding_is_bounded_with_either_binding(
    monkeypatch: pytest.MonkeyPatch, binding: str
) -> None:
    from archiver import httpbody as decode

    module = brotli if binding == "imported" else _google_brotli()
    monkeypatch.setattr(decode, "brotli", module)
    html = b"<title>x</title>" + b"<p>para</p>" * 1000
    comp = module.Compressor(quality=1)
    feed = getattr(comp, "process", None) or comp.compress
    small = feed(html) + comp.finish()
    assert (
        decode.decode_body(iter([small]), chunked=False, content_encoding="br", limit=10**6) == html
    )
    comp = module.Compressor(quality=1)
    feed = getattr(comp, "process", None) or comp.compress
    bomb = b"".join(feed(bytes(1 << 20)) for _ in range(64)) + comp.finish()
    tracemalloc.start()
    try:
        out = decode.decode_body(iter([bomb]), chunked=False, content_encoding="br", limit=1 << 20)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out == bytes(1 << 20)
    assert peak < 16 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB decoding 64 MiB of br"
    damaged = small[:10] + b"\xff" * 50
    partial = decode.decode_body(iter([damaged]), chunked=False, content_encoding="br", limit=10**6)
    assert html.startswith(partial)  # stops at the damage, no exception


def test_bytes_after_the_response_never_become_the_next_response(small_site: SiteServer) -> None:
    # More bytes than Content-Length announced, shaped like a response: a client that reuses
    # the connection would take them as the answer to its next request, for another URL.
    small_site.routes["/extra"] = _sequence(
        _head("200 OK", 5) + b"hello" + _head("200 OK", 9) + b"smuggled!"
    )
    with HttpClient(user_agent="t", read_timeout=2) as client:
        with client.fetch(small_site.url("/extra")) as ex:
            assert b"".join(ex.iter_block(start=ex.header_length)) == b"hello"
        with client.fetch(small_site.url("/a/")) as ex:
            assert ex.status == 200
            assert b"Page A" in ex.decoded_body(limit=10**6)


def test_interim_1xx_responses_are_skipped(small_site: SiteServer, tmp_path: Path) -> None:
    page = b"<title>Hinted</title><link rel=stylesheet href=/s.css>"
    small_site.routes["/hinted"] = _sequence(
        b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload; as=style\r\n\r\n"
        + b"HTTP/1.1 100 Continue\r\n\r\n"
        + _head("200 OK", len(page))
        + page
    )
    url = small_site.url("/hinted")
    with HttpClient(user_agent="t", read_timeout=2) as client:
        with client.fetch(url) as ex:
            assert (ex.status, ex.reason) == (200, "OK")
            assert b"".join(ex.iter_block()) == _head("200 OK", len(page)) + page
        with client.fetch(small_site.url("/a/")) as ex:  # the connection is still in step
            assert b"Page A" in ex.decoded_body(limit=10**6)
    summary = archiver.capture([url], tmp_path / "col", options=FAST)
    assert summary.ok and summary.pages == 1
    [resp] = _responses(tmp_path / "col", url)
    assert resp.block.startswith(b"HTTP/1.1 200 OK\r\n")


def test_endless_response_headers_are_refused(
    small_site: SiteServer, release: threading.Event
) -> None:
    def endless(h: Handler) -> None:
        h.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for i in range(100_000):
            if release.is_set():
                return
            h.wfile.write(b"X-Padding-%d: %s\r\n" % (i, b"p" * 100))

    small_site.routes["/endless"] = endless
    client = HttpClient(user_agent="t", read_timeout=2)
    with client, pytest.raises(FetchError, match="headers larger than 256 KiB") as info:
        client.fetch(small_site.url("/endless"))
    assert info.value.url == small_site.url("/endless")


def test_body_until_close_is_stored_whole(small_site: SiteServer, tmp_path: Path) -> None:
    body = b"<title>HTTP/1.0</title>" + b"q" * 70_000

    def until_close(h: Handler) -> None:
        h.send_raw(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n" + body)
        h.close_connection = True

    small_site.routes["/old"] = until_close
    summary = archiver.capture([small_site.url("/old")], tmp_path / "col", options=FAST)
    assert summary.ok and summary.pages == 1
    [resp] = _responses(tmp_path / "col", small_site.url("/old"))
    assert resp.block.endswith(body) and "WARC-Truncated" not in resp.headers


def test_header_drip_past_max_response_time_fails(
    small_site: SiteServer, release: threading.Event
) -> None:
    def drip(h: Handler) -> None:
        h.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for i in range(200):
            if release.wait(0.02):
                return
            h.wfile.write(b"X-%d: y\r\n" % i)
            h.wfile.flush()

    small_site.routes["/slow-head"] = drip
    client = HttpClient(user_agent="t", read_timeout=1, max_response_time=0.3)
    started = time.monotonic()
    with client, pytest.raises(FetchError, match=r"response headers still incomplete after 0\.3s"):
        client.fetch(small_site.url("/slow-head"))
    assert time.monotonic() - started < 1.5


def test_endless_interim_responses_are_refused(
    small_site: SiteServer, release: threading.Event
) -> None:
    def hints(h: Handler) -> None:
        for _ in range(10_000):
            if release.is_set():
                return
            h.wfile.write(b"HTTP/1.1 103 Early Hints\r\nLink: </x.css>; rel=preload\r\n\r\n")

    small_site.routes["/hints"] = hints
    client = HttpClient(user_agent="t", read_timeout=2)
    with client, pytest.raises(FetchError, match="headers larger than 256 KiB"):
        client.fetch(small_site.url("/hints"))


@pytest.fixture
def full_backlog() -> Iterator[int]:
    """A port whose accept queue is full, so that a new connection attempt hangs (SYN dropped)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(3):
        filler = socket.socket()
        filler.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            filler.connect(("127.0.0.1", port))
        fillers.append(filler)
    time.sleep(0.05)
    yield port
    for sock in [*fillers, server]:
        sock.close()


def test_connect_timeout_is_retried_then_fails(full_backlog: int, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{full_backlog}/"
    opts = CaptureOptions(connect_timeout=0.2, retries=1, backoff=0.01, obey_robots=False)
    started = time.monotonic()
    summary = archiver.capture([url], tmp_path / "col", options=opts)
    assert 0.35 < time.monotonic() - started < 5  # two attempts of 0.2 s each
    assert [f.url for f in summary.failures] == [url]
    assert "connect timeout after 0.2s" in summary.failures[0].reason
