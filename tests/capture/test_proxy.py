"""The recording proxy's framing decisions, and relays cut when their page is stored."""

from __future__ import annotations

import pytest

from archiver.capture.browser.proxy import reply_reusable, synthetic
from archiver.capture.browser.resources import _after_head, _head_end, _Spool
from archiver.capture.http import HttpClient
from archiver.testing import SiteServer


@pytest.mark.parametrize(
    ("head", "method", "complete", "reusable"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "GET", True, True),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "GET", True, True),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\n", "GET", True, False),
        (b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n", "GET", True, False),  # to EOF
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "GET", False, False),  # truncated
        (b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n", "HEAD", True, True),
        (b"HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n", "GET", True, True),
    ],
)
def test_reply_reusable(head: bytes, method: str, complete: bool, reusable: bool) -> None:
    assert reply_reusable(head, method=method, complete=complete) is reusable


def test_made_up_answers_to_head_have_no_body() -> None:
    head = b"".join(synthetic(403, "Forbidden", "no", "HEAD").chunks)
    assert head.endswith(b"\r\n\r\n") and b"Content-Length: 0\r\n" in head
    full = b"".join(synthetic(403, "Forbidden", "no").chunks)
    assert full.endswith(b"no\n")


def test_heads_ending_in_bare_newlines_are_found() -> None:
    assert _head_end(b"HTTP/1.1 200 OK\nContent-Length: 2\n\nhi") == 35
    assert b"".join(_after_head(iter([b"HTTP/1.1 200 OK\n", b"X: y\n\nbody", b"!"]))) == b"body!"


def test_a_relay_is_cut_once_its_page_is_stored(small_site: SiteServer) -> None:
    small_site.routes["/big"] = lambda h: h.send_raw(
        b"HTTP/1.1 200 OK\r\nContent-Length: 600000\r\n\r\n" + b"x" * 600_000
    )
    with HttpClient(user_agent="t") as client, client.fetch(small_site.url("/big")) as ex:
        spool = _Spool(ex)
        chunks = spool.chunks()
        first = next(chunks)
        assert first.startswith(b"HTTP/1.1 200 OK")
        spool.close()  # the page is about to be stored: no read may move the file any more
        with pytest.raises(ConnectionAbortedError):
            next(chunks)
        assert b"".join(ex.iter_block()).endswith(b"x" * 600_000)  # the store reads it whole
