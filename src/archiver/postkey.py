"""The index key of a request other than GET, as replay tools look it up.

A replay tool that meets a POST looks for a capture whose key is the URL with the method and
the request body appended as query parameters (the IIPC guideline "CDX for non-GET
requests", as pywb and cdxj-indexer implement it).  The body is appended decoded for HTML
form posts, flattened to ``key=value`` pairs for JSON, and as ``__wb_post_data=<base64>``
otherwise (multipart bodies included, which pywb would split into their fields); the
appended text is cut at 4096 characters.

    >>> post_query("POST", "application/x-www-form-urlencoded", b"q=karen+news&page=2")
    'q=karen news&page=2'
    >>> append_query("http://example.org/api?x=1", "POST", "a=1")
    'http://example.org/api?x=1&__wb_method=POST&a=1'
"""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import unquote_plus, urlencode

__all__ = ["append_query", "post_query"]

_MAX_QUERY = 4096


def _binary(body: bytes) -> str:
    return "__wb_post_data=" + base64.b64encode(body).decode("ascii")


def _flatten_json(value: Any) -> str:
    """``{"a": {"b": 1}, "c": [2, 3]}`` → ``b=1&c=2&c.2_=3``: leaves by their own key, repeats
    of a key numbered from 2."""
    pairs: dict[str, str] = {}
    repeats: dict[str, int] = {}

    def key_for(name: str) -> str:
        if name not in pairs:
            return name
        repeats[name] = repeats.get(name, 1) + 1
        return f"{name}.{repeats[name]}_"

    def walk(node: Any, name: str) -> None:
        if isinstance(node, dict):
            for key, child in node.items():
                walk(child, str(key))
        elif isinstance(node, list):
            for child in node:
                walk(child, name)
        elif name:
            pairs[key_for(name)] = str(node)  # Python's spelling (True, None), as pywb's

    walk(value, "")
    return urlencode(pairs)


def post_query(method: str, content_type: str | None, body: bytes) -> str:
    """The request body of a POST or PUT as the index key carries it ("" for other methods)."""
    if method not in ("POST", "PUT"):
        return ""
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    query = ""
    if mime == "application/x-www-form-urlencoded":
        try:
            query = unquote_plus(body.decode("utf-8"), errors="strict")
        except UnicodeDecodeError:
            query = _binary(body)
    elif mime in ("application/json", "text/plain"):
        try:
            query = _flatten_json(json.loads(body.decode("utf-8")))
        except (UnicodeDecodeError, ValueError):
            query = _binary(body) if mime == "text/plain" else ""
    elif body:
        query = _binary(body)
    return query[:_MAX_QUERY]


def append_query(url: str, method: str, query: str) -> str:
    """``url`` with ``__wb_method`` (and the body's ``query``) appended."""
    appended = ("&" if "?" in url else "?") + "__wb_method=" + method
    if query:
        appended += "&" + query
    return url + appended
