"""The HTTP client records the bytes exactly as they crossed the wire."""

from __future__ import annotations

import hashlib
import threading

import pytest

from archiver.capture.http import HttpClient
from archiver.errors import FetchError
from archiver.testing import Handler, SiteServer


def _client(**kw: object) -> HttpClient:
    return HttpClient(user_agent="archiver-test", read_timeout=5, **kw)  # type: ignore[arg-type]


def test_chunked_gzip_response_is_kept_byte_for_byte(small_site: SiteServer) -> None:
    small_site.chunked = True
    small_site.gzip = True
    small_site.record = True
    with _client() as client, client.fetch(small_site.url("/a/")) as ex:
        raw = b"".join(ex.iter_block())
        assert ex.header("Transfer-Encoding") == "chunked"
        assert ex.header("Content-Encoding") == "gzip"
        assert b"Page A" in ex.decoded_body(limit=10**6)
    sent = [s.raw for s in small_site.sent if s.path == "/a/"]
    assert sent == [raw]
    assert ex.payload_digest.digest() == hashlib.sha256(raw[ex.header_length :]).digest()
    assert ex.block_digest.digest() == hashlib.sha256(raw).digest()


def test_keep_alive_connection_is_reused(small_site: SiteServer) -> None:
    with _client() as client:
        with client.fetch(small_site.url("/")) as first:
            assert not first.timings.reused_connection
        with client.fetch(small_site.url("/a/")) as second:
            assert second.timings.reused_connection
            assert second.status == 200


def test_request_bytes_are_what_was_sent(small_site: SiteServer) -> None:
    with _client() as client, client.fetch(small_site.url("/a/?q=1")) as ex:
        assert ex.request.startswith(b"GET /a/?q=1 HTTP/1.1\r\n")
        assert b"\r\nUser-Agent: archiver-test\r\n" in ex.request
        assert ex.request.endswith(b"\r\n\r\n")
        assert ex.ip_address == "127.0.0.1"


def test_body_over_the_limit_is_cut_and_marked(small_site: SiteServer) -> None:
    with (
        _client(max_response_size=1000) as client,
        client.fetch(small_site.url("/img/x.png")) as ex,
    ):
        assert ex.truncated == "length"
        assert ex.payload_length == 1000


def test_connection_refused_is_a_fetch_error() -> None:
    with SiteServer(SiteServer().root) as site:
        url = site.url("/")
    with _client() as client, pytest.raises(FetchError, match="cannot connect"):
        client.fetch(url)


def test_reset_mid_body_is_a_fetch_error(small_site: SiteServer) -> None:
    def reset(h: Handler) -> None:
        h.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
        h.wfile.flush()
        h.close_connection = True
        h.connection.shutdown(2)

    small_site.routes["/reset"] = reset
    with _client() as client, pytest.raises(FetchError, match="after 10 of 1000"):
        client.fetch(small_site.url("/reset"))


def test_https_is_recorded_the_same_way(tmp_path, small_site: SiteServer) -> None:  # type: ignore[no-untyped-def]
    import ssl

    from tests.capture.tls import make_cert

    cert, key = make_cert(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    with SiteServer(small_site.root) as site:
        assert site._server is not None
        site._server.socket = ctx.wrap_socket(site._server.socket, server_side=True)
        url = site.url("/a/").replace("http://", "https://")
        with HttpClient(user_agent="t", ca_file=str(cert)) as client, client.fetch(url) as ex:
            assert ex.status == 200
            raw = b"".join(ex.iter_block())
            assert raw.startswith(b"HTTP/1.1 200 OK\r\n")
            assert b"Page A" in raw


def test_many_threads_share_one_client(small_site: SiteServer) -> None:
    errors: list[BaseException] = []
    bodies: list[bytes] = []
    lock = threading.Lock()
    with _client() as client:

        def work() -> None:
            try:
                for _ in range(10):
                    with client.fetch(small_site.url("/a/")) as ex, lock:
                        bodies.append(ex.decoded_body(limit=10**6))
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors
    assert len(bodies) == 80 and len(set(bodies)) == 1


def test_https_capture_end_to_end(tmp_path, small_site: SiteServer) -> None:  # type: ignore[no-untyped-def]
    import ssl

    import archiver
    from archiver import CaptureOptions, Collection
    from tests.capture.tls import make_cert
    from tests.capture.warcs import read_records

    cert, key = make_cert(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    with SiteServer(small_site.root) as site:
        assert site._server is not None
        site._server.socket = ctx.wrap_socket(site._server.socket, server_side=True)
        url = site.url("/a/").replace("http://", "https://")
        summary = archiver.capture(
            [url], tmp_path / "col", options=CaptureOptions(verify_tls=False)
        )
    assert summary.ok and summary.pages == 1
    recs = read_records(Collection.open(tmp_path / "col").warc_files())
    [resp] = [r for r in recs if r.type == "response" and r.url == url]
    assert resp.block.startswith(b"HTTP/1.1 200 OK\r\n") and b"Page A" in resp.block
    assert resp.headers["WARC-IP-Address"] == "127.0.0.1"


def test_idle_connections_are_capped_across_hosts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "index.html").write_text("hi")
    servers = [SiteServer(tmp_path).start() for _ in range(70)]
    try:
        with _client() as client:
            for site in servers:
                with client.fetch(site.url("/")) as ex:
                    assert ex.status == 200
            idle = sum(len(pool) for pool in client._idle.values())
            assert idle == 64
    finally:
        for site in servers:
            site.stop()


def test_tiny_chunks_are_copied_exactly_and_decoded(small_site: SiteServer) -> None:
    import os

    payload = os.urandom(1_000_000)
    framed = b"".join(
        b"%x;ext=1\r\n%s\r\n" % (len(payload[i : i + 7]), payload[i : i + 7])
        for i in range(0, len(payload), 7)
    )
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    raw = head + framed + b"0\r\nX-Trailer: yes\r\n\r\n"
    small_site.routes["/tiny"] = lambda h: h.send_raw(raw)
    with _client() as client, client.fetch(small_site.url("/tiny")) as ex:
        assert b"".join(ex.iter_block()) == raw
        assert ex.decoded_body(limit=2_000_000) == payload
        assert ex.truncated is None
    with _client(max_response_size=5000) as client, client.fetch(small_site.url("/tiny")) as ex:
        assert ex.truncated == "length" and ex.payload_length == 5000
        assert b"".join(ex.iter_block()) == raw[: len(head) + 5000]
