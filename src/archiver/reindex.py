"""A collection's catalog, CDXJ index and pages list, rebuilt from its WARC files alone.

The WARC files are the collection; ``catalog.sqlite``, ``indexes/index.cdxj`` and
``pages/pages.jsonl`` are derived from them and can always be derived again:

- :func:`reindex` (``archiver index COLLECTION``) builds a new catalog from ``archive/`` beside
  the old one, keeps the old one as ``catalog.sqlite.bak-<time>`` (never deleted), and rewrites
  the index and the pages list from the new one;
- :func:`open_catalog` is how a capture opens its collection's catalog: a missing catalog next
  to WARC files, or one SQLite cannot read, is set aside and rebuilt (a warning says so), and
  WARC files the catalog does not know (copied in, or left by a lost catalog) are added to it —
  so earlier captures never silently drop out of the indexes.

Pages are the responses a page's ``metadata`` record names with ``captureKind: page`` (and its
``title``); in WARC files written before archiver recorded that, every HTML response with a
``metadata`` record of archiver's counts as a page.  A file with an unreadable record is
indexed up to that record and reported, never changed.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from archiver.catalog import Catalog, StoredRecord
from archiver.collection import Collection
from archiver.errors import CollectionError, UsageError, WARCFormatError, storage_error
from archiver.indexes import url_key, write_cdxj, write_pages
from archiver.postkey import append_query, post_query
from archiver.warc.reader import iter_records

__all__ = ["ReindexSummary", "open_catalog", "reindex"]

log = logging.getLogger(__name__)

_FIELDS_LIMIT = 4 * 1024 * 1024  # a metadata record read for its kind and title
_TITLE = re.compile(rb"<title[^>]*>(.{0,2000}?)</title", re.IGNORECASE | re.DOTALL)
_RECENT = 256  # responses remembered for the metadata records that follow them


@dataclass(frozen=True)
class ReindexSummary:
    """What rebuilding a catalog found."""

    collection: Path
    warc_files: int
    records: int
    pages: int
    #: files indexed only up to an unreadable record: "name at offset N: why"
    damaged: tuple[str, ...] = ()
    #: where the catalog that was replaced was kept (None: there was none)
    previous_catalog: Path | None = None


@dataclass
class _Import:
    records: int = 0
    pages: int = 0
    damaged: list[str] = field(default_factory=list)


def reindex(
    collection: Collection | str | os.PathLike[str], *, force: bool = False
) -> ReindexSummary:
    """Rebuild ``collection``'s catalog, CDXJ index and pages list from its WARC files.

    Refuses (:class:`UsageError`) when the catalog holds an unfinished capture, whose queue a
    rebuild would lose, unless ``force``; raises :class:`CollectionLockedError` while a capture
    is writing the collection.
    """
    col = collection if isinstance(collection, Collection) else Collection.open(collection)
    try:
        return _reindex(col, force)
    except (OSError, sqlite3.DatabaseError) as exc:
        storage = storage_error(exc, col.path)
        if storage is None:
            raise
        raise storage from exc


def _reindex(col: Collection, force: bool) -> ReindexSummary:
    with col.write_lock():
        if col.catalog_path.exists() and not force:
            try:
                with Catalog(col.catalog_path) as old:
                    unfinished = old.unfinished_crawl()
            except CollectionError:
                unfinished = None  # unreadable: nothing to keep
            if unfinished is not None:
                raise UsageError(
                    "the catalog holds an unfinished capture, whose queue a rebuild would lose: "
                    "finish it (run the capture again) first, or rebuild with --force"
                )
        fresh = col.path / f".catalog.sqlite.rebuild-{os.getpid()}"
        _remove_database(fresh)
        result = _Import()
        try:
            with Catalog(fresh) as catalog:
                for path in _warc_paths(col):
                    _import_file(catalog, path, result)
        except BaseException:
            _remove_database(fresh)
            raise
        kept = _set_aside(col.catalog_path, "bak")
        os.replace(fresh, col.catalog_path)
        with Catalog(col.catalog_path) as catalog:
            write_cdxj(catalog, col.index_path)
            write_pages(catalog, col.pages_path)
    return ReindexSummary(
        collection=col.path,
        warc_files=len(_warc_paths(col)),
        records=result.records,
        pages=result.pages,
        damaged=tuple(result.damaged),
        previous_catalog=kept,
    )


def open_catalog(col: Collection) -> Catalog:
    """The collection's catalog for a capture (holding the write lock): rebuilt if it is
    missing beside WARC files or unreadable, and told of WARC files it does not know."""
    path = col.catalog_path
    if not path.exists() and _warc_paths(col):
        log.warning("%s: no catalog beside the WARC files: rebuilding it from them", col.path)
        return _rebuilt(col)
    try:
        catalog = Catalog(path)
        catalog.check()
    except (CollectionError, sqlite3.DatabaseError) as exc:
        kept = _set_aside(path, "corrupt")
        log.warning("%s: the catalog cannot be read (%s): kept as %s, rebuilt from the WARC files",
                    col.path, exc, kept)  # fmt: skip
        return _rebuilt(col)
    unknown = [p for p in _warc_paths(col) if catalog.committed_end(_final_name(p)) is None]
    if unknown:
        log.warning("%s: %d WARC file(s) the catalog did not know: added (%s)",
                    col.path, len(unknown), ", ".join(p.name for p in unknown[:3]))  # fmt: skip
        result = _Import()
        for path_ in unknown:
            _import_file(catalog, path_, result)
    return catalog


def _rebuilt(col: Collection) -> Catalog:
    catalog = Catalog(col.catalog_path)
    result = _Import()
    for path in _warc_paths(col):
        _import_file(catalog, path, result)
    return catalog


def _warc_paths(col: Collection) -> list[Path]:
    """Closed WARC files, then files still open (a killed capture's), oldest first.  ARC files
    put in archive/ from elsewhere are extracted and bagged but never indexed as captures."""
    warcs = [p for p in col.warc_files() if not p.name.lower().endswith((".arc", ".arc.gz"))]
    return warcs + col.open_warc_files()


def _final_name(path: Path) -> str:
    return path.name.removesuffix(".open")


def _set_aside(path: Path, why: str) -> Path | None:
    """Move a catalog (and its WAL files) aside, never deleting it; where it went."""
    if not path.exists():
        return None
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
    target = path.with_name(f"{path.name}.{why}-{stamp}")
    for suffix in ("", "-wal", "-shm"):
        part = path.with_name(path.name + suffix)
        if part.exists():
            os.replace(part, target.with_name(target.name + suffix))
    return target


def _remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


# -- reading one file ------------------------------------------------------------------------


def _header(record: Any, name: str) -> str | None:
    value = record.rec_headers.get_header(name)
    return str(value) if value is not None else None


def _inspect(record: Any) -> dict[str, Any]:
    """What the catalog needs of a record, read while its content is at hand."""
    info: dict[str, Any] = {}
    kind = record.rec_type
    http = record.http_headers
    if kind in ("response", "revisit") and http is not None:
        status = http.get_statuscode()
        info["status"] = int(status) if status and status.isascii() and status.isdigit() else None
        ctype = (http.get_header("Content-Type") or "").split(";", 1)[0].strip().lower()
        info["mime"] = ctype or None
        if kind == "response":
            size = 0
            head = b""
            while chunk := record.raw_stream.read(256 * 1024):
                if len(head) < 256 * 1024 and ctype in ("text/html", "application/xhtml+xml"):
                    head += chunk[: 256 * 1024 - len(head)]
                size += len(chunk)
            info["payload_length"] = size
            match = _TITLE.search(head) if head else None
            if match:
                info["title"] = " ".join(match.group(1).decode("utf-8", "replace").split())
    elif kind == "request" and http is not None and http.protocol not in ("GET", "HEAD"):
        body = record.raw_stream.read(1024 * 1024)
        info["method"] = http.protocol
        info["key"] = post_query(http.protocol, http.get_header("Content-Type"), body)
    elif kind == "metadata" and (_header(record, "Content-Type") or "").startswith(
        "application/warc-fields"
    ):
        text = record.raw_stream.read(_FIELDS_LIMIT).decode("utf-8", "replace")
        for line in text.splitlines():
            name, sep, value = line.partition(": ")
            if sep and name in ("captureKind", "title", "fetchTimeMs"):
                info.setdefault(name, value)
    return info


def _records(path: Path, result: _Import) -> Iterator[tuple[Any, int, int, dict[str, Any]]]:
    try:
        for record, offset, length in iter_records(path, inspect=_inspect):
            yield record, offset, length, record.payload
    except WARCFormatError as exc:
        log.warning("%s", exc)
        result.damaged.append(f"{path.name} at offset {exc.offset}: {exc}")


def _import_file(catalog: Catalog, path: Path, result: _Import) -> None:
    """Add every readable record of the WARC file at ``path`` to ``catalog``, as a crawl of
    its own (a capture run writes files of its own: its pages stay its own)."""
    name = _final_name(path)
    crawl = catalog.start_crawl([], {"rebuilt_from": f"archive/{name}"})
    requests: OrderedDict[str, tuple[str, str]] = OrderedDict()  # id -> (method, body key)
    recent: OrderedDict[str, tuple[StoredRecord, dict[str, Any]]] = OrderedDict()
    end = 0
    rows: list[StoredRecord] = []
    for record, offset, length, info in _records(path, result):
        end = offset + length
        kind = record.rec_type
        if kind == "warcinfo":
            continue
        record_id = _header(record, "WARC-Record-ID") or ""
        url = _header(record, "WARC-Target-URI") or ""
        date = _header(record, "WARC-Date") or ""
        method = body_key = None
        if kind == "request" and "method" in info:
            concurrent = _header(record, "WARC-Concurrent-To")
            if concurrent:
                requests[concurrent] = (info["method"], info["key"])
                while len(requests) > _RECENT:
                    requests.popitem(last=False)
        if kind in ("response", "revisit") and record_id in requests:
            method, body_key = requests.pop(record_id)
        key_url = append_query(url, method, body_key or "") if method else url
        row = StoredRecord(
            record_id=record_id,
            filename=name,
            offset=offset,
            length=length,
            type=kind,
            url=url,
            urlkey=url_key(key_url),
            date=date,
            status=info.get("status"),
            mime=info.get("mime")
            if kind != "resource"
            else ((_header(record, "Content-Type") or "").split(";", 1)[0].strip() or None),
            payload_digest=_header(record, "WARC-Payload-Digest")
            or (_header(record, "WARC-Block-Digest") if kind == "resource" else None),
            payload_length=info.get("payload_length"),
            refers_to=_header(record, "WARC-Refers-To") if kind == "revisit" else None,
            method=method,
            request_body=body_key,
        )
        rows.append(row)
        if kind in ("response", "revisit"):
            recent[record_id] = (row, info)
            while len(recent) > _RECENT:
                recent.popitem(last=False)
        elif kind == "metadata":
            page = recent.get(_header(record, "WARC-Concurrent-To") or "")
            if page is not None and _is_page(page[0], page[1], info):
                catalog.add_page(crawl, page[0], info.get("title") or page[1].get("title"))
                result.pages += 1
        if len(rows) >= 1000:
            catalog.add_records(crawl, rows, (name, end))
            result.records += len(rows)
            rows = []
    catalog.add_records(crawl, rows, (name, end))
    result.records += len(rows)
    if not path.name.endswith(".open"):
        catalog.file_closed(name)
    catalog.finish_crawl(crawl)


def _is_page(response: StoredRecord, info: dict[str, Any], fields: dict[str, Any]) -> bool:
    kind = fields.get("captureKind")
    if kind is not None:
        return bool(kind == "page")
    # written before captureKind: archiver's metadata of an HTML response that was a success
    return (
        "fetchTimeMs" in fields
        and response.mime in ("text/html", "application/xhtml+xml")
        and response.status is not None
        and 200 <= response.status < 300
    )
