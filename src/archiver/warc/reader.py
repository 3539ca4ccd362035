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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from archiver.errors import WARCFormatError

__all__ = ["Block", "iter_records", "open_warc", "read_block"]

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


def iter_records(
    path: Path, *, inspect: Callable[[Any], object] | None = None, start: int = 0
) -> Iterator[tuple[Any, int, int]]:
    """(record, offset, length) of every record of the WARC file at ``path``, streamed.

    ``inspect(record)`` runs while the record's content can still be read; what it returns is
    the record's ``payload`` attribute (None without ``inspect``).  Raises
    :class:`WARCFormatError` at the first record that cannot be read (an ARC record too), or
    whose block is shorter than its Content-Length says.  ``start`` is the offset of the first
    record to read (offsets stay those of the file).
    """
    position = start  # where the next record starts, for error messages
    try:
        with open(path, "rb") as fh:
            fh.seek(start)
            it = ArchiveIterator(fh)
            for record in it:
                if record.format != "warc":
                    raise WARCFormatError(
                        f"not a WARC record ({record.format})", path=path, offset=it.offset
                    )
                payload = inspect(record) if inspect is not None else None
                it.read_to_end(record)
                record.payload = payload
                offset, length = start + it.get_record_offset(), it.get_record_length()
                missing = getattr(record.raw_stream, "limit", 0)
                if missing:  # warcio reads a cut record to the end of the file and says nothing
                    raise WARCFormatError(
                        f"record cut short: {missing} bytes of its block missing",
                        path=path,
                        offset=offset,
                    )
                position = offset + length
                yield record, offset, length
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


def _unreadable(exc: Exception, path: Path, position: int) -> WARCFormatError:
    # warcio quotes the offending bytes: keep the message short and printable.
    text = str(exc)
    detail = text.splitlines()[0][:60] if text.strip() else type(exc).__name__
    return WARCFormatError(f"unreadable record: {detail!a}", path=path, offset=position)
