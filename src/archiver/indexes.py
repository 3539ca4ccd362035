"""The collection's indexes, rebuilt from the catalog after each capture run.

``indexes/index.cdxj`` is sorted CDXJ, the form pywb and WACZ readers use
(``<SURT> <14-digit timestamp> {json}``, fields as ``cdxj-indexer`` writes them);
``pages/pages.jsonl`` is the WACZ pages format (a header line, then one page per line).
Both are written aside and renamed into place, streamed from the catalog.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime
from pathlib import Path

from archiver.catalog import Catalog
from archiver.fsutil import atomic_write

__all__ = ["url_key", "write_cdxj", "write_pages"]


@functools.lru_cache(maxsize=16384)
def url_key(url: str) -> str:
    """The SURT form of ``url`` that CDXJ lines sort by (as cdxj-indexer computes it)."""
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
