"""Reading WARC files (with warcio, the field's reference reader), for every consumer.

- :func:`iter_records` streams every record of a file with its offset and length: extraction
  and the rebuilding of a collection's catalog read through it;
- :func:`read_block` streams one record's block by its offset: the capture answers the
  browser from what it stored earlier in the same run (a stylesheet every page loads is
  fetched once), exactly as written.  A file still being written is found under its ``.open``
  name (:func:`open_warc`).

Unreadable bytes are a :class:`~archiver.errors.WARCFormatError` naming the file and the
offset where they begin.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import os
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from archiver.errors import WARCFormatError

log = logging.getLogger(__name__)

__all__ = ["Block", "iter_records", "open_warc", "read_block", "utc_date"]

_CHUNK = 256 * 1024


def open_warc(directory: Path, filename: str) -> IO[bytes]:
    """Open ``filename`` in ``directory``, under its final or its ``.open`` name."""
    final = directory / filename
    for candidate in (final, final.with_name(filename + ".open"), final):
        with contextlib.suppress(FileNotFoundError):
            return open(candidate, "rb")
    raise WARCFormatError("WARC file not found", path=final)


@dataclass(frozen=True)
class Block:
    """A record's WARC header fields, and its block as a stream of chunks."""

    headers: dict[str, str]
    chunks: Iterator[bytes]


def read_block(fh: IO[bytes], offset: int) -> Block:
    """The record at ``offset`` in ``fh``: its WARC headers now, its block as it is read."""
    fh.seek(offset)
    try:
        record = next(iter(ArchiveIterator(fh, no_record_parse=True)))
    except (StopIteration, ArchiveLoadFailed) as exc:
        name = getattr(fh, "name", "?")
        raise WARCFormatError("no record at offset", path=name, offset=offset) from exc
    headers = {k: v for k, v in record.rec_headers.headers}
    stream = record.raw_stream

    def chunks() -> Iterator[bytes]:
        while data := stream.read(_CHUNK):
            yield data

    return Block(headers, chunks())


class _QuietIterator(ArchiveIterator):  # type: ignore[misc]
    """warcio's iterator without its own writes to stderr: a record not followed by its
    separator is counted (``err_count``) and reported by the caller, naming the file."""

    INC_RECORD = ""


def iter_records(
    path: Path,
    *,
    inspect: Callable[[Any], object] | None = None,
    start: int = 0,
    partial: bool = False,
    arc: bool = False,
    resync: bool = False,
) -> Iterator[tuple[Any, int, int]]:
    """(record, offset, length) of every record of the WARC file at ``path``, streamed.

    ``inspect(record)`` runs while the record's content can still be read; what it returns is
    the record's ``payload`` attribute (None without ``inspect``); read a record's content there,
    since a record is yielded once the next one has been found (``separator_missing`` then says
    whether its block was not followed by its separator: a Content-Length that is likely
    wrong).  Raises
    :class:`WARCFormatError` at the first record that cannot be read, or whose block is shorter
    than its Content-Length says (with ``partial``, that record is yielded first, its
    ``short_by`` attribute the number of bytes missing; else ``short_by`` is 0).  With
    ``resync``, reading goes on after damage from the next place a record starts (the next
    gzip member that holds one, or the next ``WARC/`` line of a plain file), and the error is
    raised once the file is read, naming the first damaged offset and how many more there were.
    ``start`` is the offset of the first record to read (offsets stay those of the file).

    Files gzip-compressed per record (the WARC standard's way) and plain files give offsets in
    the file.  A file compressed whole as one gzip stream is read through it, its offsets those
    of the decompressed stream; each record's ``offsets`` attribute is then ``"decompressed"``
    (else None).  ARC records are read with ``arc`` (as warcio converts them, with
    ``archive_format`` ``"arc"`` and no WARC-Record-ID, since the one warcio would give is
    random), and refused without it.
    """
    whole = _whole_file_gzip(path)
    errors: list[WARCFormatError] = []
    while True:
        try:
            yield from _read_from(path, start, whole=whole, inspect=inspect,
                                  partial=partial, arc=arc)  # fmt: skip
            break
        except WARCFormatError as exc:
            if not resync or whole or arc or exc.offset is None:
                if not errors:
                    raise
                errors.append(exc)
                break
            errors.append(exc)
            following = _next_record_start(path, max(exc.offset, start) + 1)
            if following is None:
                break
            log.warning("%s: reading again from offset %d", exc, following)
            start = following
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more damaged place(s), the last at offset " \
            f"{errors[-1].offset})" if len(errors) > 1 else ""  # fmt: skip
        raise WARCFormatError(f"{first.reason}{more}", path=path, offset=first.offset)


def _read_from(
    path: Path,
    start: int,
    *,
    whole: bool,
    inspect: Callable[[Any], object] | None,
    partial: bool,
    arc: bool,
) -> Iterator[tuple[Any, int, int]]:
    position = start  # where the next record starts, for error messages
    try:
        with open(path, "rb") as raw, gzip.open(raw) if whole else raw as fh:
            if start:
                fh.seek(start)
            it = _QuietIterator(fh, arc2warc=arc)
            records = iter(it)
            # each record is yielded once the next one has been found: only then does warcio
            # say whether its block ended where its Content-Length says (its separator)
            held: tuple[Any, int, int] | None = None
            seen_errors = 0
            while True:
                try:
                    record = next(records)
                except StopIteration:
                    break
                except Exception:
                    if held is not None:
                        held[0].separator_missing = it.err_count > seen_errors
                        yield held
                        held = None
                    raise
                if held is not None:
                    held[0].separator_missing = it.err_count > seen_errors
                    if held[0].separator_missing:
                        log.warning("%s at offset %d: no separator after the record (a wrong "
                                    "Content-Length?)", path, held[1])  # fmt: skip
                    seen_errors = it.err_count
                    yield held
                    held = None
                if record.format not in ("warc", "arc2warc"):
                    raise WARCFormatError(
                        f"not a WARC record ({record.format})", path=path, offset=position
                    )
                payload = inspect(record) if inspect is not None else None
                it.read_to_end(record)
                record.payload = payload
                record.offsets = "decompressed" if whole else None
                record.archive_format = "arc" if arc else "warc"
                if arc:  # warcio gives a converted ARC record a random id: none is stable
                    record.rec_headers.remove_header("WARC-Record-ID")
                offset, length = start + it.get_record_offset(), it.get_record_length()
                if length <= 0 or offset < position:
                    raise WARCFormatError(
                        "unreadable record: its Content-Length does not frame it",
                        path=path,
                        offset=position,
                    )
                # warcio reads a cut record to the end of the file and says nothing
                record.short_by = getattr(record.raw_stream, "limit", 0) or 0
                inflater = getattr(it.reader, "decompressor", None)
                if inflater is not None and not getattr(inflater, "eof", True):
                    # the record's gzip member stops before its end (and its checksum)
                    if partial:
                        yield record, offset, length
                    raise WARCFormatError(
                        "the record's gzip member is cut short (its end and checksum missing)",
                        path=path,
                        offset=offset,
                    )
                if record.short_by:
                    if partial:
                        yield record, offset, length
                    raise WARCFormatError(
                        f"record cut short: {record.short_by} bytes of its block missing",
                        path=path,
                        offset=offset,
                    )
                position = offset + length
                record.separator_missing = False
                held = (record, offset, length)
            if held is not None:
                yield held
            if not whole:
                _check_tail(raw, position, path)
    except WARCFormatError:
        raise
    except OSError as exc:
        if exc.errno is None:  # gzip's BadGzipFile and the like: the bytes, not the disk
            raise _unreadable(exc, path, position) from exc
        raise WARCFormatError(f"cannot read: {exc}", path=path) from exc
    except Exception as exc:
        # Whatever warcio (or zlib, brotli) raises on bytes it cannot make sense of -- even an
        # AttributeError from a record header cut short -- is this file's damage at this record.
        raise _unreadable(exc, path, position) from exc


def _check_tail(raw: IO[bytes], position: int, path: Path) -> None:
    """warcio ends quietly at a gzip member cut in its first bytes: what follows the last
    record read must be nothing but line ends, or the file is damaged there."""
    size = os.fstat(raw.fileno()).st_size
    if size <= position:
        return
    raw.seek(position)
    tail = raw.read(65)
    if len(tail) > 64 or tail.strip(b"\r\n \t"):
        raise WARCFormatError(
            f"{size - position} bytes after the last readable record are no record "
            "(a record cut short, or bytes that are no WARC)",
            path=path,
            offset=position,
        )


_RECORD_LINE = re.compile(rb"(?:^|\n)(WARC/\d+\.\d+)\r?\r?\n")


def _next_record_start(path: Path, after: int) -> int | None:
    """The offset of the next place at or after ``after`` where a record starts: a gzip
    member whose first bytes are a WARC version line, or (a plain file) a ``WARC/`` line.
    Read forward in bounded pieces."""
    with open(path, "rb") as fh:
        gzipped = fh.read(2) == b"\x1f\x8b"
        pos = after
        while True:
            fh.seek(pos)
            chunk = fh.read(_CHUNK + 64)
            if len(chunk) < 6:
                return None
            if gzipped:
                at = chunk.find(b"\x1f\x8b\x08")
                while 0 <= at < _CHUNK:
                    if _member_is_record(fh, pos + at):
                        return pos + at
                    at = chunk.find(b"\x1f\x8b\x08", at + 1)
            else:
                for match in _RECORD_LINE.finditer(chunk):
                    begin = match.start(1)
                    if begin < _CHUNK and (pos + begin > after or match.group(0)[:1] != b"\n"):
                        return pos + begin
            pos += _CHUNK


def _member_is_record(fh: IO[bytes], offset: int) -> bool:
    fh.seek(offset)
    inflater = zlib.decompressobj(wbits=31)
    try:
        head = inflater.decompress(fh.read(4096), 16)
    except zlib.error:
        return False
    return head.startswith(b"WARC/")


_HEADER_END = re.compile(rb"\r?\n\r?\n")
_CONTENT_LENGTH = re.compile(rb"\ncontent-length:[ \t]*(\d{1,18})", re.IGNORECASE)


def _whole_file_gzip(path: Path) -> bool:
    """Whether ``path`` is gzip-compressed as one stream holding several records (gowarc's
    ``.open`` files, some old tools), not one gzip member per record: its first member goes on
    past the end of its first record.  Reads the first record and a little more."""
    inflater = zlib.decompressobj(wbits=31)
    out = b""  # the start of the first record, until its header is read
    size = 0
    try:
        with open(path, "rb") as fh:
            if fh.read(2) != b"\x1f\x8b":
                return False
            fh.seek(0)
            needed = None
            while not inflater.eof:
                chunk = inflater.unconsumed_tail or fh.read(_CHUNK)
                if not chunk:
                    return False
                data = inflater.decompress(chunk, _CHUNK)
                size += len(data)
                if needed is None:
                    out += data
                    end = _HEADER_END.search(out)
                    length = _CONTENT_LENGTH.search(out, 0, end.start() + 1) if end else None
                    if end is None or length is None:
                        if len(out) > 1024 * 1024:
                            return False  # no record header here: let the reader say so
                        continue
                    needed = end.end() + int(length.group(1)) + 4
                    out = b""
                if size > needed + 64:
                    return True  # the member holds more than one record
    except (OSError, zlib.error):
        return False
    return False


def utc_date(value: str) -> str | None:
    """A WARC-Date as RFC 3339 in UTC (``2024-05-01T10:00:00Z``), or None when it names no
    real instant.  WARC dates are UTC by definition: one written without a zone is read as
    UTC; a shortened one (``2019-08-15T01:02``, ``2019-08-15``) gets its missing parts as
    zero; an impossible one (ClueWeb09's ``2008-10-294T05:21:46-0700``) gives None."""
    text = value.strip()
    if not text or len(text) > 40:
        return None
    if text.isdigit() and len(text) in (8, 10, 12, 14):  # ARC's 14-digit form, or a prefix
        digits = text.ljust(14, "0")
        text = (
            f"{digits[:4]}-{digits[4:6]}-{digits[6:8]}T{digits[8:10]}:{digits[10:12]}:{digits[12:]}"
        )
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    when = when.astimezone(timezone.utc)
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S")
    if when.microsecond:
        stamp += f".{when.microsecond:06d}".rstrip("0")
    return stamp + "Z"


def _unreadable(exc: Exception, path: Path, position: int) -> WARCFormatError:
    # warcio quotes the offending bytes: keep the message short and printable.
    text = str(exc)
    detail = text.splitlines()[0][:60] if text.strip() else type(exc).__name__
    return WARCFormatError(f"unreadable record: {detail!a}", path=path, offset=position)
