"""Deliberate damage, for demonstrations and tests of verification (never for real bags).

:func:`flip_byte` inverts one byte of a file in place.  :func:`damage_warc_record` changes one
byte inside a record's HTTP payload and re-compresses that record's gzip member, so the WARC
still decompresses and the damage shows as a WARC-Block-Digest (and payload digest) mismatch
of exactly that record — the case an archivist fears, silent corruption of content.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

from archiver.errors import WARCError
from archiver.fsutil import atomic_write

__all__ = ["DamagedRecord", "damage_warc_record", "flip_byte"]


@dataclass(frozen=True)
class DamagedRecord:
    """Which record :func:`damage_warc_record` changed (offset of its gzip member afterwards)."""

    file: Path
    offset: int
    record_id: str | None
    target_uri: str | None


def flip_byte(path: str | os.PathLike[str], offset: int) -> int:
    """Invert every bit of the byte at ``offset`` of ``path`` in place; returns the old byte."""
    with open(path, "r+b") as fh:
        fh.seek(offset)
        old = fh.read(1)
        if not old:
            raise ValueError(f"{path}: offset {offset} is beyond the end of the file")
        fh.seek(offset)
        fh.write(bytes([old[0] ^ 0xFF]))
    return old[0]


def damage_warc_record(
    path: str | os.PathLike[str], *, target_uri: str | None = None
) -> DamagedRecord:
    """Change one payload byte of a response record of a gzip-per-record WARC, in place.

    The record is the first response record (or the first whose WARC-Target-URI is
    ``target_uri``).  Raises :class:`~archiver.errors.WARCError` if there is none.
    """
    from archiver.warc.reader import iter_records

    warc = Path(path)
    chosen: tuple[int, int, str | None, str | None] | None = None
    for record, offset, length in iter_records(warc):
        uri = record.rec_headers.get_header("WARC-Target-URI")
        if record.rec_type == "response" and (target_uri is None or uri == target_uri):
            chosen = (offset, length, record.rec_headers.get_header("WARC-Record-ID"), uri)
            break
    if chosen is None:
        raise WARCError(
            f"no response record{' for ' + target_uri if target_uri else ''}", path=warc
        )
    offset, length, record_id, uri = chosen
    data = warc.read_bytes()
    member = gzip.decompress(data[offset : offset + length])
    head_end = member.find(b"\r\n\r\n")  # end of WARC headers
    http_end = member.find(b"\r\n\r\n", head_end + 4)  # end of HTTP headers
    body_start = (http_end if http_end >= 0 else head_end) + 4
    body_end = len(member) - 4  # before the record's closing CRLF CRLF
    if body_end <= body_start:
        raise WARCError("the chosen record has no payload to damage", path=warc, offset=offset)
    position = (body_start + body_end) // 2
    changed = bytearray(member)
    changed[position] ^= 0x01
    with atomic_write(warc, "wb") as out:
        out.write(data[:offset])
        out.write(gzip.compress(bytes(changed)))
        out.write(data[offset + length :])
    return DamagedRecord(warc, offset, record_id, uri)
