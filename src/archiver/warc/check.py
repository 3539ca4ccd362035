"""Streaming verification of every record digest in a WARC file.

:class:`WarcChecker` is fed the raw bytes of a ``.warc.gz`` (or plain ``.warc``) file block by
block, so the same read that hashes the file for a bag manifest also checks every record; memory
stays bounded by the block size whatever a record's length.  For each record it reports the
file, the offset of its gzip member, WARC-Record-ID, WARC-Type, target URI and the outcome of
WARC-Block-Digest and WARC-Payload-Digest::

    >>> result = check_warc("archive/rec-00000.warc.gz")          # doctest: +SKIP
    >>> [r.offset for r in result.records if not r.ok]            # doctest: +SKIP
    [10521]

The gzip layer is parsed here (header, raw deflate, CRC-32 and size trailer) rather than by
:mod:`gzip` or warcio: a flipped byte inside a compressed member then still decodes to the
damaged record (its block digest no longer matches, and the CRC says so too), and a member
that cannot be decoded at all is reported and skipped by searching for the next member, so one
bad record never hides the ones after it.

Payload digests are accepted if they match either the body as transmitted (after the HTTP
headers, transfer coding included — what warcio and wget write) or the transfer-decoded body
(what WARC 1.1 §6.3.2 says); :attr:`DigestCheck.basis` tells which.  Revisit records carry the
original's payload digest, so only their block digest is checked.
"""

from __future__ import annotations

import logging
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

from archiver.hashing import BLOCK_SIZE
from archiver.warc.framing import RecordStream
from archiver.warc.records import DigestCheck, RecordCheck

__all__ = [
    "DigestCheck",
    "RecordCheck",
    "WarcCheck",
    "WarcChecker",
    "check_warc",
    "is_arc_name",
    "is_warc_name",
]

log = logging.getLogger(__name__)

_GZIP_MAGIC = b"\x1f\x8b\x08"
_MAX_OUT = 4 * 1024 * 1024  # decompressed bytes per zlib call, so a bomb cannot grow memory
_INFLATE_SLICE = 4096  # compressed bytes per zlib call while a member's head is decoded
_INFLATE_BULK = 64 * 1024  # ... and once its first 64 KiB are out
_LOOKBACK = 8 * 1024 * 1024  # raw bytes kept to restart after a damaged member


def is_arc_name(name: str) -> bool:
    """Whether a file name is an ARC file's (``.arc``, ``.arc.gz``): not record-checked."""
    return name.lower().endswith((".arc", ".arc.gz"))


def is_warc_name(name: str) -> bool:
    """Whether a file name is one the checker reads (``.warc``, ``.warc.gz``)."""
    lowered = name.lower()
    return lowered.endswith((".warc", ".warc.gz"))


@dataclass(frozen=True)
class WarcCheck:
    """Every record of one WARC file, plus file-level problems (garbage, truncation)."""

    file: str
    records: tuple[RecordCheck, ...]
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors and all(r.ok for r in self.records)

    @property
    def failed_records(self) -> tuple[RecordCheck, ...]:
        return tuple(r for r in self.records if not r.ok)


# -- the gzip layer --------------------------------------------------------------------------


def _gzip_header_length(buf: bytes | bytearray) -> int | None:
    """Length of the gzip member header at the start of ``buf``; None if incomplete.

    Raises :class:`ValueError` if ``buf`` does not start with a deflate gzip header.
    """
    if len(buf) < 10:
        if not _GZIP_MAGIC.startswith(bytes(buf[:3])):
            raise ValueError("not a gzip member")
        return None
    if bytes(buf[:3]) != _GZIP_MAGIC:
        raise ValueError("not a gzip member")
    flags = buf[3]
    if flags & 0xE0:  # reserved flag bits: zlib (and so warcio) refuses the member
        raise ValueError("not a gzip member")
    pos = 10
    if flags & 0x04:  # FEXTRA
        if len(buf) < pos + 2:
            return None
        pos += 2 + struct.unpack("<H", bytes(buf[pos : pos + 2]))[0]
    for bit in (0x08, 0x10):  # FNAME, FCOMMENT: zero-terminated
        if flags & bit:
            zero = bytes(buf).find(b"\x00", pos)
            if zero < 0:
                return None
            pos = zero + 1
    if flags & 0x02:  # FHCRC
        pos += 2
    return pos if len(buf) >= pos else None


class WarcChecker:
    """Push raw WARC file bytes into :meth:`feed`; :meth:`result` gives the record outcomes.

    ``name`` is what reports call the file (a bag-relative path, say).
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.records = RecordStream(name)
        self.mode: str | None = None  # "gzip" | "plain"
        self.state = "header"  # gzip: header | body | trailer | resync
        self.buf = bytearray()
        self.offset = 0  # raw offset of self.buf[0] (gzip) / bytes seen (plain)
        self.member_start = 0
        self.inflater: zlib._Decompress | None = None
        self.crc = 0
        self.isize = 0
        self.file_errors: list[str] = []
        self.lookback: bytearray | None = None
        self.lookback_offset = 0
        self.lookback_full = False

    def feed(self, data: bytes) -> None:
        """Take the next raw bytes of the file."""
        if not data:
            return
        if self.mode is None:
            self.buf += data
            if len(self.buf) < 2:
                return
            self.mode = "gzip" if self.buf[:2] == b"\x1f\x8b" else "plain"
            data = bytes(self.buf)
            self.buf.clear()
        if self.mode == "plain":
            self.records.feed(data)
            return
        self._feed_gzip(data)

    def _feed_gzip(self, data: bytes) -> None:
        self.buf += data
        while self.buf:
            if self.state == "header":
                try:
                    length = _gzip_header_length(self.buf)
                except ValueError:
                    self.file_errors.append(f"offset {self.offset}: bytes that are no gzip member")
                    del self.buf[:1]  # (a member with reserved flags starts with the magic)
                    self.offset += 1
                    self.state = "resync"
                    continue
                if length is None:
                    return
                self.member_start = self.offset
                self.lookback, self.lookback_full = None, False
                self.records.member_boundary_reset()
                self.records.begin_member(self.offset)
                del self.buf[:length]
                self.offset += length
                self.inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                self.crc, self.isize = 0, 0
                self.state = "body"
            elif self.state == "body":
                assert self.inflater is not None
                # small input slices: when a damaged member fails, what decoded before the
                # damage (usually the WARC header, so the record can be named) is kept
                step = _INFLATE_SLICE if self.isize < _INFLATE_BULK else _INFLATE_BULK
                chunk = bytes(self.buf[:step])
                del self.buf[: len(chunk)]
                self._remember(chunk)
                try:
                    out = self.inflater.decompress(chunk, _MAX_OUT)
                    while True:
                        self._emit(out)
                        if self.inflater.eof or not self.inflater.unconsumed_tail:
                            break
                        out = self.inflater.decompress(self.inflater.unconsumed_tail, _MAX_OUT)
                except zlib.error as exc:
                    self._damaged(f"is damaged ({exc})", chunk)
                    continue
                if self.inflater.eof:
                    rest = self.inflater.unused_data
                    self.offset += len(chunk) - len(rest)
                    self.buf[:0] = rest
                    self.state = "trailer"
                    if self.lookback is not None and len(rest) >= len(self.lookback):
                        self.lookback = None  # the candidate lies beyond this member's end
                    elif self.lookback is not None:  # keep only what this member consumed
                        del self.lookback[len(self.lookback) - len(rest) :]
                else:
                    self.offset += len(chunk)
                    if self.records.lost and self.lookback is not None:
                        # what decodes is no WARC record and a later member may begin in the
                        # bytes this one swallowed: the member's end was damaged
                        self._damaged("does not end where its record does (damaged)", b"")
            elif self.state == "trailer":
                if len(self.buf) < 8:
                    return
                trailer = bytes(self.buf[:8])
                crc, isize = struct.unpack("<II", trailer)
                del self.buf[:8]
                self.offset += 8
                error = None
                if crc != self.crc or isize != (self.isize & 0xFFFFFFFF):
                    error = (
                        f"gzip member at offset {self.member_start} fails its CRC-32 check "
                        "(its bytes changed)"
                    )
                self.records.end_member(error)
                self.state = "header"
                if error and self.lookback is not None:
                    # a damaged end may have swallowed the start of the next member
                    self.buf[:0] = self.lookback + trailer
                    self.offset = self.lookback_offset
                self.lookback = None
            elif self.state == "resync" and not self._skip_to_magic():
                return

    def _remember(self, chunk: bytes) -> None:
        """Keep the raw bytes from the first gzip magic seen inside the current member on.

        If the member turns out damaged, a later member may start in bytes the inflater has
        already swallowed; these are re-read from there (bounded by ``_LOOKBACK``).
        """
        if self.lookback is not None:
            self.lookback += chunk
            if len(self.lookback) > _LOOKBACK:
                self.lookback = None
                self.lookback_full = True
            return
        if self.lookback_full:
            return
        found = chunk.find(_GZIP_MAGIC)
        if found >= 0:
            self.lookback = bytearray(chunk[found:])
            self.lookback_offset = self.offset + found

    def _damaged(self, what: str, chunk: bytes) -> None:
        """Close the damaged member and restart at the next candidate member."""
        self.records.damaged_member(f"gzip member at offset {self.member_start} {what}")
        if self.lookback is not None:
            # lookback runs from the candidate to the end of the last slice read; buf holds
            # what follows, so together they are the raw bytes from the candidate on
            self.buf[:0] = self.lookback
            self.offset = self.lookback_offset
            self.lookback = None
            self.state = "header"
        else:
            self.buf[:0] = chunk
            self.state = "resync"
        self.lookback_full = False

    def _emit(self, out: bytes) -> None:
        if out:
            self.crc = zlib.crc32(out, self.crc)
            self.isize += len(out)
            self.records.feed(out)

    def _skip_to_magic(self) -> bool:
        """Drop bytes up to the next gzip magic; True if one was found (state -> header).

        After a damaged member ``buf`` starts inside its deflate data (past its own magic), so
        the search can start at 0 without finding the damaged member again.
        """
        found = bytes(self.buf).find(_GZIP_MAGIC)
        if found < 0:
            keep = min(len(self.buf), 2)  # a magic may straddle two feeds
            dropped = len(self.buf) - keep
            del self.buf[:dropped]
            self.offset += dropped
            return False
        del self.buf[:found]
        self.offset += found
        self.state = "header"
        return True

    def result(self) -> WarcCheck:
        """Finish: every record's outcome and the file-level problems."""
        errors = list(self.file_errors)
        while self.mode == "gzip" and self.state == "body" and self.lookback is not None:
            # the member never ended, but a later one may have started inside it
            self._damaged("does not end (damaged); reading on from the next member", b"")
            self._feed_gzip(b"")
        if self.mode == "gzip" and self.state == "body":
            errors.append(f"file ends inside the gzip member at offset {self.member_start}")
            self.records.damaged_member(
                f"gzip member at offset {self.member_start} is cut short (file truncated)"
            )
        elif self.mode == "gzip" and self.state == "header" and self.buf:
            errors.append(f"offset {self.offset}: file ends inside a gzip member header")
        elif self.mode == "gzip" and self.state == "trailer":
            errors.append(f"file ends inside the gzip trailer at offset {self.member_start}")
        elif self.mode is None and self.buf:
            errors.append("file is too short to be a WARC")
        records, record_errors = self.records.finish()
        return WarcCheck(self.name, tuple(records), tuple(errors + record_errors))


def check_warc(
    path: str | os.PathLike[str], *, name: str | None = None, block_size: int = BLOCK_SIZE
) -> WarcCheck:
    """Read one WARC file and check every record's block and payload digest.

    ``name`` is how the report names the file (default: the path as given).
    """
    checker = WarcChecker(name if name is not None else str(path))
    with open(Path(path), "rb", buffering=0) as fh:
        while True:
            block = fh.read(block_size)
            if not block:
                break
            checker.feed(block)
    return checker.result()
