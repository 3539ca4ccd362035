"""Reading back one record's block from a WARC file, streamed, by its offset.

The capture answers the browser from what it stored earlier in the same run (a stylesheet
that every page loads is fetched once): :func:`read_block` streams the HTTP response bytes of
the record at an offset, exactly as they were written.  A file still being written is found
under its ``.open`` name.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from archiver.errors import WARCFormatError

__all__ = ["Block", "open_warc", "read_block"]

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
