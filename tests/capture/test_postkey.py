"""POST index keys match what cdxj-indexer (and so pywb) computes for the same request."""

from __future__ import annotations

import io

import pytest
from cdxj_indexer.postquery import append_method_query

from archiver.postkey import append_query, post_query

CASES = [
    ("application/x-www-form-urlencoded", b"q=karen+news&page=2&x=%E1%80%80"),
    ("application/x-www-form-urlencoded; charset=UTF-8", b"a=1&a=2&empty="),
    ("application/json", b'{"poll": 7, "choice": "yes"}'),
    ("application/json", b'{"a": {"b": [1, 2, {"c": true}]}, "b": null, "a2": 1.5}'),
    ("application/json", b'{"id": 1, "nested": {"id": 2}, "more": [{"id": 3}]}'),
    ("text/plain;charset=UTF-8", b'{"event": "view"}'),
    ("text/plain", b"not json at all \xff"),
    ("application/octet-stream", bytes(range(256))),
    (None, b"raw body"),
    ("application/json", b""),
]


@pytest.mark.parametrize(("ctype", "body"), CASES)
@pytest.mark.parametrize("url", ["http://example.org/api", "http://example.org/api?x=1"])
def test_post_key_matches_cdxj_indexer(ctype: str | None, body: bytes, url: str) -> None:
    _query, appended = append_method_query("POST", ctype, str(len(body)), io.BytesIO(body), url)
    assert append_query(url, "POST", post_query("POST", ctype, body)) == url + appended


def test_only_post_and_put_carry_their_body() -> None:
    assert post_query("DELETE", "application/json", b'{"a": 1}') == ""
    assert append_query("http://example.org/", "OPTIONS", "") == (
        "http://example.org/?__wb_method=OPTIONS"
    )
