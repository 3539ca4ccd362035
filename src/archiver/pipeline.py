"""WARC → articles with provenance; whole-collection extraction jobs.

:func:`extract_warc` streams one WARC file and yields an :class:`~archiver.extract.Article`
for every HTML response with status 200, its :attr:`~archiver.extract.Article.source` naming
the exact record (file, WARC-Record-ID, offset, length).  A ``revisit`` record (identical
payload) is resolved to the response it refers to, looked up among the WARC files of the same
job by payload digest or by WARC-Refers-To-Target-URI + Date; the lookup index holds only
record locations, never payloads.

:func:`extract_collection` runs that over every WARC file of a collection (optionally on a
:class:`concurrent.futures.Executor`, one WARC file per task), validates every record against
``article.schema.json`` and writes ``articles/articles.jsonl`` atomically.  Invalid records
are reported (URL + every schema error) and left out::

    >>> summary = extract_collection(Collection.open("karen-news"))    # doctest: +SKIP
    >>> summary.written, summary.ok                                    # doctest: +SKIP
    (12, True)
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from archiver.collection import Collection
from archiver.errors import ExtractError, StorageError, WARCFormatError, storage_error
from archiver.extract import Article, RecordRef, SiteRules, Source, extract
from archiver.fsutil import atomic_write
from archiver.httpbody import decode
from archiver.model import DOM_PREFIX
from archiver.schema import validate
from archiver.warc.reader import iter_records, utc_date

__all__ = [
    "ExtractFailure",
    "ExtractProgress",
    "ExtractSummary",
    "InvalidRecord",
    "PayloadIndex",
    "extract_collection",
    "extract_warc",
    "extract_warcs",
]

log = logging.getLogger(__name__)

#: Responses larger than this are not extracted (logged and skipped).
MAX_HTML_BYTES = 50 * 1024 * 1024
#: A page whose HTML as served yields fewer words is extracted from its rendered DOM instead,
#: when a browser capture stored one that yields more (the article is rendered by script).
_RENDERED_MIN_WORDS = 50
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_READ_CHUNK = 256 * 1024


@dataclass(frozen=True)
class InvalidRecord:
    """A record left out because it does not validate; ``errors`` lists every schema error."""

    url: str
    errors: tuple[str, ...]
    warc_filename: str
    offset: int


@dataclass(frozen=True)
class ExtractFailure:
    """A response whose extraction raised (:class:`ExtractError`), and why."""

    url: str
    reason: str
    warc_filename: str
    offset: int


@dataclass(frozen=True)
class ExtractSummary:
    """What one extraction job did."""

    output: Path | None
    written: int
    #: HTML 200 responses whose page held no article text (no record written).
    empty: int
    invalid: tuple[InvalidRecord, ...] = ()
    failures: tuple[ExtractFailure, ...] = ()
    warc_files: tuple[str, ...] = ()
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every page was extracted and every record validated."""
        return not self.invalid and not self.failures


@dataclass(frozen=True)
class ExtractProgress:
    """Where a running extraction job is (given to a ``progress`` callback)."""

    warc_files_done: int
    warc_files_total: int
    written: int


@dataclass(frozen=True)
class _Location:
    path: Path
    offset: int


@dataclass
class PayloadIndex:
    """Where each response record of a set of WARC files is: by payload digest and by URI+date.

    Built lazily (the first time a revisit needs it) by one streaming pass over the files; it
    holds locations only.
    """

    paths: tuple[Path, ...]
    _by_digest: dict[str, _Location] = field(default_factory=dict)
    _by_uri_date: dict[tuple[str, str], _Location] = field(default_factory=dict)
    _built: bool = False

    def _build(self) -> None:
        self._built = True
        for path in self.paths:
            try:
                self._add(path)
            except WARCFormatError as exc:
                # that file's damage is reported when that file is extracted, never as the
                # failure of the file whose revisit asked: its records before it are indexed
                log.debug("revisit index: %s", exc)

    def _add(self, path: Path) -> None:
        for record, offset, _length in _records(path, read=False):
            if record.rec_type != "response":
                continue
            loc = _Location(path, offset)
            digest = record.rec_headers.get_header("WARC-Payload-Digest")
            if digest:
                self._by_digest.setdefault(digest, loc)
            uri = record.rec_headers.get_header("WARC-Target-URI") or ""
            date = record.rec_headers.get_header("WARC-Date") or ""
            self._by_uri_date.setdefault((uri, date), loc)

    def find(self, *, digest: str | None, uri: str | None, date: str | None) -> _Location | None:
        """The response a revisit refers to, or None."""
        if not self._built:
            self._build()
        if uri and date and (uri, date) in self._by_uri_date:
            return self._by_uri_date[(uri, date)]
        if digest:
            return self._by_digest.get(digest)
        return None


def _records(path: Path, *, read: bool) -> Iterator[tuple[Any, int, int]]:
    """(record, offset, length) for each record, ARC files' too; with ``read`` the record's
    payload is available as ``record.payload`` (a :class:`_Payload`, or None for a record that
    is no candidate), and a record cut short is yielded (``short_by``) before the error."""

    def payload(record: Any) -> _Payload | None:
        return _read_payload(record) if read and _is_candidate(record) else None

    return iter_records(path, inspect=payload, partial=read, arc=_is_arc(path), resync=True)


def _is_arc(path: Path) -> bool:
    """ARC records are read from files named as ARC files only (warcio would read any text
    as ARC records)."""
    return path.name.lower().endswith((".arc", ".arc.gz"))


@dataclass(frozen=True)
class _Payload:
    """A record's payload with its transfer and content codings removed, or why it cannot be
    read (a coding that does not decode, a body over the limit once decoded)."""

    data: bytes | None
    problem: str | None = None


def _read_payload(record: Any) -> _Payload:
    http = record.http_headers
    coding = (http.get_header("Content-Encoding") or "") if http is not None else ""
    chunked = http is not None and "chunked" in (http.get_header("Transfer-Encoding") or "").lower()
    stream = record.raw_stream
    body = decode(
        iter(lambda: stream.read(_READ_CHUNK), b""),
        chunked=chunked,
        content_encoding=coding,
        limit=MAX_HTML_BYTES,
    )
    if body.error is not None:
        return _Payload(None, f"the body cannot be read: {body.error}")
    if body.over_limit:
        return _Payload(None, f"the body is larger than {MAX_HTML_BYTES:,} bytes once decoded")
    return _Payload(body.data)


def _is_html(http_headers: Any) -> bool:
    content_type = (http_headers.get_header("Content-Type") or "").lower()
    return any(t in content_type for t in _HTML_TYPES)


def _is_rendered_dom(record: Any) -> bool:
    """A browser capture's rendered DOM of a page (``resource``, ``urn:dom:<url>``)."""
    if record.rec_type != "resource":
        return False
    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
    ctype = (record.rec_headers.get_header("Content-Type") or "").lower()
    return uri.startswith(DOM_PREFIX) and any(t in ctype for t in _HTML_TYPES)


def _is_html_resource(record: Any) -> bool:
    """A ``resource`` record holding an HTML page of an http(s) URL (stored by a tool that
    keeps documents without their HTTP exchange)."""
    if record.rec_type != "resource":
        return False
    uri = (record.rec_headers.get_header("WARC-Target-URI") or "").lower()
    ctype = (record.rec_headers.get_header("Content-Type") or "").lower()
    return uri.startswith(("http://", "https://")) and any(t in ctype for t in _HTML_TYPES)


def _is_candidate(record: Any) -> bool:
    if _is_rendered_dom(record) or _is_html_resource(record):
        return True
    if record.rec_type == "revisit" and record.http_headers is None:
        return True  # a revisit without HTTP headers: the original response decides
    if record.rec_type not in ("response", "revisit") or record.http_headers is None:
        return False
    if record.http_headers.get_statuscode() != "200":
        return False
    return record.rec_type == "revisit" or _is_html(record.http_headers)


def _fetch_payload(loc: _Location) -> tuple[_Payload, Any, RecordRef]:
    """Payload, HTTP headers and reference of the response record at ``loc``."""
    for record, offset, length in iter_records(
        loc.path, inspect=_read_payload, start=loc.offset, arc=_is_arc(loc.path)
    ):
        record_id, _derived = _record_id(record, loc.path, offset)
        ref = RecordRef(
            warc_filename=loc.path.name, record_id=record_id, offset=offset, length=length
        )
        return record.payload, record.http_headers, ref
    raise WARCFormatError("no record at offset", path=loc.path, offset=loc.offset)


def _record_id(record: Any, warc: Path, offset: int) -> tuple[str, bool]:
    """The record's WARC-Record-ID; for a record without one, a stable id derived from the
    file name and offset (and True)."""
    given = (record.rec_headers.get_header("WARC-Record-ID") or "").strip()
    if given:
        return given, False
    digest = hashlib.sha256(f"{warc.name}\n{offset}".encode()).hexdigest()[:32]
    return f"urn:archiver:derived:{digest}", True


def _source(
    record: Any,
    warc: Path,
    offset: int,
    length: int,
    *,
    payload_digest: str | None = None,
    refers_to: RecordRef | None = None,
) -> Source:
    """The provenance of an article from ``record``: the file's own values, as written, plus
    what can be derived (a UTC date, an id for a record without one)."""
    headers = record.rec_headers
    record_id, derived = _record_id(record, warc, offset)
    date = headers.get_header("WARC-Date") or ""
    truncated = (headers.get_header("WARC-Truncated") or "").strip() or None
    if getattr(record, "short_by", 0):
        truncated = "short-block"
    elif getattr(record, "separator_missing", False):
        truncated = "bad-length"  # its block did not end where its Content-Length says
    return Source(
        warc_filename=warc.name,
        record_id=record_id,
        offset=offset,
        length=length,
        target_uri=headers.get_header("WARC-Target-URI") or "",
        date=date,
        payload_digest=payload_digest,
        refers_to=refers_to,
        date_utc=utc_date(date),
        record_id_derived=derived,
        offsets=getattr(record, "offsets", None),
        format="arc" if getattr(record, "archive_format", "warc") == "arc" else None,
        truncated=truncated,
    )


def _headers_dict(http_headers: Any) -> dict[str, str]:
    return {k: v for k, v in http_headers.headers} if http_headers is not None else {}


def extract_warc(
    path: str | os.PathLike[str],
    *,
    rules: SiteRules | None = None,
    index: PayloadIndex | None = None,
    failures: list[ExtractFailure] | None = None,
) -> Iterator[Article]:
    """Yield an article for every HTML 200 response (or resolvable revisit) in a WARC file.

    ``index`` resolves revisits (by default, an index of this file alone); pages that fail to
    extract are logged and appended to ``failures`` if given.

    Where a page's HTML as served holds (almost) no article text, because scripts render the
    article, and a browser capture stored the rendered DOM (``urn:dom:<url>``, concurrent to
    the response), the article comes from the rendered DOM when that holds more, and its
    ``source`` names that record.
    """
    warc = Path(path)
    index = index or PayloadIndex((warc,))
    waiting: dict[str, Article] = {}  # response id -> article short enough to want its DOM
    for record, offset, length in _records(warc, read=True):
        if not _is_candidate(record):
            continue
        headers = record.rec_headers
        if _is_rendered_dom(record):
            raw = waiting.pop(headers.get_header("WARC-Concurrent-To") or "", None)
            if raw is not None:
                yield _better_of(raw, record, warc, offset, length, rules, failures)
            continue
        yield from waiting.values()  # a page's records are written together: no DOM follows
        waiting.clear()
        article = _extract_response(record, warc, offset, length, index, rules, failures)
        if article is None:
            continue
        if _words(article.text) < _RENDERED_MIN_WORDS:
            waiting[headers.get_header("WARC-Record-ID") or ""] = article
        else:
            yield article
    yield from waiting.values()


def _words(text: str) -> int:
    return len(text.split())


def _extract_response(
    record: Any,
    warc: Path,
    offset: int,
    length: int,
    index: PayloadIndex,
    rules: SiteRules | None,
    failures: list[ExtractFailure] | None,
) -> Article | None:
    """The article of a response (or revisit, or HTML resource) record, or None (not HTML
    200, unreadable, or failed: failures are logged and added to ``failures``)."""
    headers = record.rec_headers
    url = headers.get_header("WARC-Target-URI") or ""
    payload: _Payload | None = record.payload
    http_headers = record.http_headers
    refers_to = None

    def failed(reason: str) -> None:
        log.warning("%s at %d: %s: %s", warc.name, offset, url, reason)
        if failures is not None:
            failures.append(ExtractFailure(url, reason, warc.name, offset))

    if record.rec_type == "revisit":
        loc = index.find(
            digest=headers.get_header("WARC-Payload-Digest"),
            uri=headers.get_header("WARC-Refers-To-Target-URI"),
            date=headers.get_header("WARC-Refers-To-Date"),
        )
        if loc is None:
            log.warning("%s: revisit of %s: original response not found", warc.name, url)
            return None
        try:
            payload, original_headers, refers_to = _fetch_payload(loc)
        except WARCFormatError as exc:
            log.warning("%s: revisit of %s: original response unreadable: %s", warc.name, url, exc)
            return None
        if (
            original_headers is None
            or original_headers.get_statuscode() != "200"
            or not _is_html(original_headers)
        ):
            return None
        http_headers = original_headers
    if payload is None:
        return None
    if payload.problem is not None or payload.data is None:
        failed(payload.problem or "no payload")
        return None
    source = _source(
        record,
        warc,
        offset,
        length,
        payload_digest=headers.get_header("WARC-Payload-Digest"),
        refers_to=refers_to,
    )
    if http_headers is not None:
        page_headers = _headers_dict(http_headers)
    else:  # an HTML resource record: its own Content-Type
        page_headers = {"Content-Type": headers.get_header("Content-Type") or "text/html"}
    try:
        article = extract(payload.data, url=url, headers=page_headers, rules=rules)
    except ExtractError as exc:
        failed(str(exc))
        return None
    return article.with_source(source)


def _better_of(
    raw: Article,
    record: Any,
    warc: Path,
    offset: int,
    length: int,
    rules: SiteRules | None,
    failures: list[ExtractFailure] | None,
) -> Article:
    """The article of the rendered DOM ``record`` if it holds more text than ``raw``."""
    payload: _Payload | None = record.payload
    if payload is None or payload.data is None:
        return raw
    headers = record.rec_headers
    try:
        rendered = extract(
            payload.data,
            url=raw.url,
            headers={"Content-Type": headers.get_header("Content-Type") or "text/html"},
            rules=rules,
        )
    except ExtractError as exc:
        log.warning("%s at %d (rendered DOM): %s", warc.name, offset, exc)
        if failures is not None:
            failures.append(ExtractFailure(raw.url, str(exc), warc.name, offset))
        return raw
    if _words(rendered.text) <= _words(raw.text):
        return raw
    return rendered.with_source(_source(record, warc, offset, length))


@dataclass(frozen=True)
class _FileResult:
    lines: tuple[str, ...]
    written: int
    empty: int
    invalid: tuple[InvalidRecord, ...]
    failures: tuple[ExtractFailure, ...]


def _serialise(article: Article, path: Path) -> str | InvalidRecord | None:
    """The record's JSON line; an :class:`InvalidRecord` if it does not validate; None when
    the page had no article text."""
    if not article.text:
        return None
    record = article.to_record()
    errors = validate(record, "article")
    if errors:
        log.warning("invalid record for %s: %s", article.url, "; ".join(errors))
        source = article.source
        return InvalidRecord(
            article.url,
            tuple(errors),
            source.warc_filename if source else path.name,
            source.offset if source else -1,
        )
    return json.dumps(record, ensure_ascii=False) + "\n"


def _process_file(
    path: Path,
    all_paths: tuple[Path, ...],
    rules: SiteRules | None,
    out: IO[str] | None,
    index: PayloadIndex | None = None,
) -> _FileResult:
    """Extract, validate and serialise one WARC file; lines go to ``out`` or are returned.
    ``index`` resolves revisits (one shared by the files of a job; by default, its own)."""
    failures: list[ExtractFailure] = []
    invalid: list[InvalidRecord] = []
    lines: list[str] = []
    empty = 0
    written = 0
    index = index if index is not None else PayloadIndex(all_paths)
    try:
        for article in extract_warc(path, rules=rules, index=index, failures=failures):
            outcome = _serialise(article, path)
            if outcome is None:
                empty += 1
            elif isinstance(outcome, InvalidRecord):
                invalid.append(outcome)
            elif out is not None:
                out.write(outcome)
                written += 1
            else:
                lines.append(outcome)
                written += 1
    except WARCFormatError as exc:
        # A damaged file stops there; what was read before it is kept and the rest goes on.
        log.warning("%s", exc)
        failures.append(ExtractFailure("", str(exc), path.name, exc.offset or 0))
    return _FileResult(tuple(lines), written, empty, tuple(invalid), tuple(failures))


def extract_warcs(
    paths: Sequence[str | os.PathLike[str]],
    *,
    output: str | os.PathLike[str] | IO[str],
    rules: SiteRules | None = None,
    executor: Executor | None = None,
    progress: Callable[[ExtractProgress], None] | None = None,
) -> ExtractSummary:
    """Extract every WARC file in ``paths`` into one JSON Lines file (written atomically).

    ``output`` is a path or an open text stream.  With ``executor`` each WARC file is one
    task; records are still written in file order.  ``progress`` is called after each file.
    """
    started = time.monotonic()
    files = tuple(Path(p) for p in paths)
    results: list[_FileResult] = []

    def done(result: _FileResult) -> None:
        results.append(result)
        if progress is not None:
            written = sum(r.written for r in results)
            progress(ExtractProgress(len(results), len(files), written))

    shared = PayloadIndex(files)

    def run(out: IO[str]) -> None:
        if executor is None:
            for path in files:
                # one revisit index for the whole job, built once when a revisit first needs
                # it (a damaged file's unreadable part is skipped, never a failure of another)
                done(_process_file(path, files, rules, out, shared))
            return
        futures = [executor.submit(_process_file, p, files, rules, None) for p in files]
        for future in futures:
            result = future.result()
            out.writelines(result.lines)
            done(result)

    target: Path | None = None
    if isinstance(output, (str, os.PathLike)):
        target = Path(output)
        try:
            with atomic_write(target) as fh:
                run(fh)
        except OSError as exc:  # a read-only collection, a full disk: say where, no traceback
            if storage_error(exc, target.parent) is None:
                raise
            raise StorageError(f"cannot write: {exc.strerror or exc}", path=target) from exc
    else:
        run(output)
    return ExtractSummary(
        output=target,
        written=sum(r.written for r in results),
        empty=sum(r.empty for r in results),
        invalid=tuple(i for r in results for i in r.invalid),
        failures=tuple(f for r in results for f in r.failures),
        warc_files=tuple(p.name for p in files),
        seconds=time.monotonic() - started,
    )


def extract_collection(
    collection: Collection | str | os.PathLike[str],
    *,
    output: str | os.PathLike[str] | None = None,
    rules: SiteRules | None = None,
    executor: Executor | None = None,
    progress: Callable[[ExtractProgress], None] | None = None,
) -> ExtractSummary:
    """Extract every closed WARC file of ``collection`` into ``articles/articles.jsonl``
    (or ``output``), validating each record first.  See :class:`ExtractSummary`."""
    col = collection if isinstance(collection, Collection) else Collection.open(collection)
    target = Path(output) if output is not None else col.articles_path
    return extract_warcs(
        col.warc_files(), output=target, rules=rules, executor=executor, progress=progress
    )
