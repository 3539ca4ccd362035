"""The collection's indexes, rebuilt from the catalog after each capture run.

``indexes/index.cdxj`` is sorted CDXJ, the form pywb and WACZ readers use
(``<SURT> <14-digit timestamp> {json}``, fields as ``cdxj-indexer`` writes them);
``pages/pages.jsonl`` is the WACZ pages format (a header line, then one page per line).
Both are written aside and renamed into place, streamed from the catalog.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import datetime
from pathlib import Path

from archiver.catalog import Catalog
from archiver.fsutil import atomic_write

__all__ = ["url_key", "write_cdxj", "write_pages"]


# A URL as normalize_url writes the common case: a host name (letters needed: numeric hosts
# go through surt's IP handling), an optional port, a path of unreserved characters only.
_SIMPLE_URL = re.compile(
    r"https?://([a-z0-9-]*[a-z][a-z0-9-]*(?:\.[a-z0-9-]+)*|(?:[0-9]{1,3}\.){3}[0-9]{1,3})"
    r"(:[1-9][0-9]{0,4})?(/[A-Za-z0-9._~/-]*)?"
)
_WWW = re.compile(r"www\d*\.")
_ODD_PATH = re.compile(r"//|/\.\.?(?:/|$)")


def _simple_key(url: str) -> str | None:
    """The SURT of a simple URL without the surt package, or None to let surt decide.

    surt (with tldextract and requests behind it) costs ~75 ms to import and ~20 µs a URL; a
    fast capture spends more on that than on all its index work.  The rules here are surt's
    defaults for this narrow shape of URL (checked against surt itself by the tests): host
    labels reversed and comma-joined, a leading ``www``/``wwwN`` label dropped, a non-default
    port kept, the path lower-cased and its trailing slash dropped.
    """
    m = _SIMPLE_URL.fullmatch(url)
    if m is None:
        return None
    host, port, path = m.group(1), m.group(2), m.group(3) or "/"
    if port and int(port[1:]) > 65535:
        return None  # surt refuses it; url_key then keeps the URL
    if host[0].isdigit() and host.replace(".", "").isdigit():
        octets = host.split(".")
        if any(o != str(int(o)) or int(o) > 255 for o in octets):
            return None  # leading zeros or out of range: surt's IP parsing decides
    elif (w := _WWW.match(host)) is not None and "." in host[w.end() :]:
        host = host[w.end() :]
    elif _WWW.match(host) is not None:
        return None
    if _ODD_PATH.search(path):
        return None
    default = ":443" if url.startswith("https:") else ":80"
    netloc = ",".join(reversed(host.split(".")))
    if port and port != default:
        netloc += port
    path = path.lower()
    if len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return f"{netloc}){path}"


@functools.lru_cache(maxsize=16384)
def url_key(url: str) -> str:
    """The SURT form of ``url`` that CDXJ lines sort by (as cdxj-indexer computes it)."""
    simple = _simple_key(url)
    if simple is not None:
        return simple
    import surt  # imported on first use: it pulls in tldextract and requests

    try:
        return str(surt.surt(url))
    except Exception:  # surt raises assorted errors on odd URLs; fall back to the URL
        return url


def _timestamp14(iso: str) -> str:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).strftime("%Y%m%d%H%M%S")


def write_cdxj(catalog: Catalog, path: Path) -> int:
    """Write the sorted CDXJ index of every response and revisit; returns the line count."""
    lines = 0
    with atomic_write(path) as fh:
        for rec in catalog.iter_index_records():
            fields: dict[str, str] = {"url": rec.url}
            fields["mime"] = "warc/revisit" if rec.type == "revisit" else (rec.mime or "unk")
            if rec.status is not None:
                fields["status"] = str(rec.status)
            if rec.payload_digest:
                fields["digest"] = rec.payload_digest
            fields["length"] = str(rec.length)
            fields["offset"] = str(rec.offset)
            fields["filename"] = rec.filename
            if rec.method:  # as cdxj-indexer writes a POST it indexes with --post-append
                fields["method"] = rec.method
                fields["requestBody"] = rec.request_body or ""
            fh.write(f"{rec.urlkey} {_timestamp14(rec.date)} {json.dumps(fields)}\n")
            lines += 1
    return lines


def write_pages(catalog: Catalog, path: Path) -> int:
    """Write pages/pages.jsonl (WACZ ``json-pages-1.0``); returns the page count."""
    count = 0
    with atomic_write(path) as fh:
        header = {"format": "json-pages-1.0", "id": "pages", "title": "All Pages"}
        fh.write(json.dumps(header) + "\n")
        for url, date, title, status in catalog.iter_pages():
            page: dict[str, object] = {"id": f"{count:08x}", "url": url, "ts": date}
            if title:
                page["title"] = title
            if status is not None:
                page["status"] = status
            fh.write(json.dumps(page, ensure_ascii=False) + "\n")
            count += 1
    return count
