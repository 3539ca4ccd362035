"""One WARC record as the checker reads it: its block, HTTP headers, payload and digests.

:class:`archiver.warc.framing.RecordStream` finds the records in the decompressed stream and
feeds each block to a :class:`_Record`, which streams it through the block hasher, finds the HTTP
headers, and feeds the payload to hashers for the body as transmitted and (through a
chunked-coding decoder) as transfer-decoded; at the record's end it is frozen into a
:class:`RecordCheck`.  Memory is bounded by the header limits, never by a record's length.

Which records have an HTTP payload follows warcio (what ``warcio check`` verifies): a
response, request or revisit record whose WARC-Target-URI is ``http:`` or ``https:`` (and, here,
whose block is ``application/http``).  Every other record's payload is its block, so its payload
digest equals its block digest.  A digest whose algorithm hashlib does not know, or whose value
is not a valid digest of its algorithm, fails the record (warcio fails it too): a digest nobody
can check proves nothing.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from archiver.hashing import decode_digest_value, normalize_algorithm

__all__ = ["MAX_HEADER", "Basis", "DigestCheck", "Outcome", "RecordCheck", "header_end"]

Outcome = Literal["ok", "mismatch", "absent", "unsupported", "invalid", "skipped", "unreadable"]
Basis = Literal["block", "transmitted", "decoded"]

#: WARC or HTTP header block; longer means the stream is not a WARC.
MAX_HEADER = 1024 * 1024

# A header block ends at its first blank line: a line of nothing but spaces, tabs and carriage
# returns before its LF.  So CRLF, bare LF and CR CR LF line ends all work, as in warcio.
_BLANK_FIRST = re.compile(rb"[ \t\r\x0b\x0c]*\n")
_BLANK_AFTER_LF = re.compile(rb"\n[ \t\r\x0b\x0c]*\n")


def header_end(buf: bytes | bytearray, start: int, stop: int, scan: int) -> int:
    """Index just past the blank line that ends the header block at ``buf[start:stop]``; -1 if
    there is none yet.

    ``scan`` is ``start`` at first; when more bytes arrive later, pass :func:`rescan_from` of the
    bytes already searched, so that each byte is searched about once.
    """
    if scan == start:
        found = _BLANK_FIRST.match(buf, start, stop)
        if found:
            return found.end()
    found = _BLANK_AFTER_LF.search(buf, scan, stop)
    return found.end() if found else -1


def rescan_from(buf: bytes | bytearray, scan: int, stop: int) -> int:
    """Where :func:`header_end` resumes once ``buf[:stop]`` held no blank line: its last LF."""
    last = buf.rfind(b"\n", scan, stop)
    return last if last >= 0 else scan


@dataclass(frozen=True)
class DigestCheck:
    """The outcome of one WARC digest header.

    ``expected`` and ``actual`` are lower-case hex; ``header`` is the value as the record wrote
    it.  For a payload digest ``actual`` is the transmitted body's digest and ``actual_decoded``
    the transfer-decoded body's (only when the body used chunked transfer coding).
    """

    outcome: Outcome
    algorithm: str | None = None
    header: str | None = None
    expected: str | None = None
    actual: str | None = None
    actual_decoded: str | None = None
    basis: Basis | None = None

    @property
    def failed(self) -> bool:
        """The record fails on this digest: it does not match, its record could not be read
        to its end, or the value cannot be checked (unknown algorithm, malformed value)."""
        return self.outcome in ("mismatch", "unreadable", "unsupported", "invalid")


@dataclass(frozen=True)
class RecordCheck:
    """The digest outcomes of one WARC record and where it sits."""

    file: str
    offset: int
    record_id: str | None
    warc_type: str | None
    target_uri: str | None
    block: DigestCheck
    payload: DigestCheck
    errors: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not (self.block.failed or self.payload.failed or self.errors)


# -- one record while it is being read -----------------------------------------------------------


class _Dechunker:
    """Push decoder for HTTP chunked transfer coding; ``ok`` turns False on malformed input."""

    def __init__(self, sink: Callable[[bytes], None]) -> None:
        self.sink = sink
        self.state = "size"
        self.line = bytearray()
        self.remaining = 0
        self.ok = True

    def feed(self, data: bytes) -> None:
        pos, end = 0, len(data)
        while pos < end and self.ok and self.state != "done":
            if self.state == "data":
                take = min(self.remaining, end - pos)
                self.sink(data[pos : pos + take])
                pos += take
                self.remaining -= take
                if self.remaining == 0:
                    self.state = "crlf"
                continue
            nl = data.find(b"\n", pos)
            stop = end if nl < 0 else nl + 1
            self.line += data[pos:stop]
            pos = stop
            if len(self.line) > 8192:
                self.ok = False
            if nl < 0:
                continue
            line = bytes(self.line).strip()
            self.line.clear()
            if self.state == "crlf":
                self.ok = line == b""
                self.state = "size"
            elif self.state == "size":
                try:
                    size = int(line.split(b";", 1)[0].strip(), 16)
                except ValueError:
                    self.ok = False
                    continue
                if size == 0:
                    self.state = "trailer"
                else:
                    self.remaining, self.state = size, "data"
            elif self.state == "trailer" and line == b"":
                self.state = "done"

    @property
    def complete(self) -> bool:
        return self.ok and self.state == "done"


class _Record:
    """Mutable state of the record being read; frozen into a :class:`RecordCheck` at its end."""

    def __init__(self, file: str, offset: int, headers: dict[str, str]) -> None:
        self.file, self.offset, self.headers = file, offset, headers
        self.errors: list[str] = []
        self.warc_type = headers.get("warc-type")
        self.length = int(headers["content-length"])
        self.remaining = self.length
        self.block_expected = _parse_expected(headers.get("warc-block-digest"))
        self.payload_expected = _parse_expected(headers.get("warc-payload-digest"))
        self.block_hash = _hasher(self.block_expected)
        self.tx_hash = _hasher(self.payload_expected)
        self.dec_hash = _hasher(self.payload_expected)
        content_type = headers.get("content-type", "").lower()
        uri = headers.get("warc-target-uri", "")
        if uri.startswith("<") and uri.endswith(">"):  # wget 1.19 wrote <uri>; warcio strips it
            uri = uri[1:-1]
        self.http = (
            self.warc_type in ("response", "request", "revisit")
            and uri.startswith(("http:", "https:"))
            and content_type.startswith("application/http")
        )
        self.http_head: bytearray | None = bytearray() if self.http else None
        self.http_scan = 0
        self.dechunker: _Dechunker | None = None
        self.complete = False
        self.fatal = False  # its gzip member could not be decoded

    def feed(self, data: bytes) -> None:
        if self.block_hash is not None:
            self.block_hash.update(data)
        if self.http_head is not None:
            self.http_head += data
            end = header_end(self.http_head, 0, len(self.http_head), self.http_scan)
            if end < 0:
                self.http_scan = rescan_from(self.http_head, self.http_scan, len(self.http_head))
                if len(self.http_head) > MAX_HEADER:
                    self.errors.append("HTTP header block too long")
                    self.http_head = None
                    self.tx_hash = self.dec_hash = None
                return
            body = bytes(self.http_head[end:])
            self._start_body(bytes(self.http_head[:end]))
            self.http_head = None
            data = body
        if data:
            if self.tx_hash is not None:
                self.tx_hash.update(data)
            if self.dechunker is not None:
                self.dechunker.feed(data)

    def _start_body(self, head: bytes) -> None:
        for line in head.split(b"\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
                if self.dec_hash is not None:
                    self.dechunker = _Dechunker(self.dec_hash.update)
                break

    def finish(self, file_errors: list[str]) -> RecordCheck:
        errors = tuple(self.errors + file_errors)
        readable = self.complete and not self.fatal
        block = _outcome(self.block_expected, self.block_hash, readable, "block")
        if self.warc_type == "revisit" and self.payload_expected[3] is None:
            payload = _skipped(self.payload_expected)
        elif self.http and self.http_head is not None:
            # the block ended before its HTTP headers did: there is no payload to check
            payload = _outcome(self.payload_expected, self.tx_hash, False, "transmitted")
        else:
            source = self.tx_hash if self.http else self.block_hash
            payload = _outcome(self.payload_expected, source, readable, "transmitted")
            if payload.outcome == "mismatch" and self.dechunker is not None:
                decoded = self.dec_hash.hexdigest() if self.dec_hash is not None else None
                if self.dechunker.complete and decoded == payload.expected:
                    payload = DigestCheck(
                        "ok", payload.algorithm, payload.header, payload.expected, payload.actual,
                        decoded, "decoded",
                    )  # fmt: skip
                else:
                    payload = DigestCheck(
                        "mismatch", payload.algorithm, payload.header, payload.expected,
                        payload.actual, decoded, None,
                    )  # fmt: skip
        if not self.http and payload.basis == "transmitted":
            payload = DigestCheck(
                payload.outcome, payload.algorithm, payload.header, payload.expected,
                payload.actual, None, "block",
            )  # fmt: skip
        return RecordCheck(
            file=self.file,
            offset=self.offset,
            record_id=self.headers.get("warc-record-id"),
            warc_type=self.warc_type,
            target_uri=self.headers.get("warc-target-uri"),
            block=block,
            payload=payload,
            errors=errors,
        )


# algorithm, header as written, hex value, and why it cannot be checked ("unsupported": hashlib
# does not know the algorithm, "invalid": the value is no digest of it)
_Expected = tuple[str | None, str | None, str | None, Literal["unsupported", "invalid"] | None]


def _parse_expected(header: str | None) -> _Expected:
    if header is None:
        return None, None, None, None
    label, sep, value = header.strip().partition(":")
    if not sep or not label.strip() or not value.strip():
        return None, header, None, "invalid"
    try:
        algorithm = normalize_algorithm(label)
    except ValueError:
        return None, header, None, "unsupported"
    try:
        raw = decode_digest_value(value, algorithm)
    except ValueError:
        return algorithm, header, None, "invalid"
    return algorithm, header, raw.hex(), None


def _hasher(expected: _Expected) -> hashlib._Hash | None:
    algorithm = expected[0]
    return hashlib.new(algorithm) if algorithm else None


def _outcome(
    expected: _Expected, hasher: hashlib._Hash | None, readable: bool, basis: Basis
) -> DigestCheck:
    algorithm, header, hexvalue, problem = expected
    if header is None:
        return DigestCheck("absent")
    if problem is not None:
        return DigestCheck(problem, algorithm, header)
    if hexvalue is None or hasher is None:
        return DigestCheck("unsupported", algorithm, header)
    if not readable:
        return DigestCheck("unreadable", algorithm, header, hexvalue)
    actual = hasher.hexdigest()
    if actual == hexvalue:
        return DigestCheck("ok", algorithm, header, hexvalue, actual, None, basis)
    return DigestCheck("mismatch", algorithm, header, hexvalue, actual)


def _skipped(expected: _Expected) -> DigestCheck:
    algorithm, header, hexvalue, _ = expected
    if header is None:
        return DigestCheck("absent")
    return DigestCheck("skipped", algorithm, header, hexvalue)
