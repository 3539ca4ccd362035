"""The record layer of the WARC checker: a push parser over decompressed WARC bytes.

:class:`RecordStream` is fed the decompressed stream (from :class:`archiver.warc.check.WarcChecker`)
in pieces of any size and turns it into :class:`RecordCheck` outcomes: it parses each WARC header,
streams the block through the block hasher, finds the HTTP headers, and feeds the payload to
hashers for the body as transmitted and (through a chunked-coding decoder) as transfer-decoded.
Memory is bounded by the header limits, never by a record's length.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from archiver.hashing import parse_warc_digest

__all__ = ["MAX_HEADER", "Basis", "DigestCheck", "Outcome", "RecordCheck", "RecordStream"]

Outcome = Literal["ok", "mismatch", "absent", "unsupported", "skipped", "unreadable"]
Basis = Literal["block", "transmitted", "decoded"]

#: WARC or HTTP header block; longer means the stream is not a WARC.
MAX_HEADER = 1024 * 1024


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
        return self.outcome in ("mismatch", "unreadable")


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
        self.http = self.warc_type in (
            "response",
            "request",
            "revisit",
        ) and content_type.startswith("application/http")
        self.http_head: bytearray | None = bytearray() if self.http else None
        self.dechunker: _Dechunker | None = None
        self.complete = False
        self.fatal = False  # its gzip member could not be decoded

    def feed(self, data: bytes) -> None:
        if self.block_hash is not None:
            self.block_hash.update(data)
        if self.http_head is not None:
            start = max(0, len(self.http_head) - 3)
            self.http_head += data
            end = self.http_head.find(b"\r\n\r\n", start)
            if end < 0:
                if len(self.http_head) > MAX_HEADER:
                    self.errors.append("HTTP header block too long")
                    self.http_head = None
                    self.tx_hash = self.dec_hash = None
                return
            body = bytes(self.http_head[end + 4 :])
            self._start_body(bytes(self.http_head[: end + 4]))
            self.http_head = None
            data = body
        if data:
            if self.tx_hash is not None:
                self.tx_hash.update(data)
            if self.dechunker is not None:
                self.dechunker.feed(data)

    def _start_body(self, head: bytes) -> None:
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"transfer-encoding" and b"chunked" in value.lower():
                if self.dec_hash is not None:
                    self.dechunker = _Dechunker(self.dec_hash.update)
                break

    def finish(self, file_errors: list[str]) -> RecordCheck:
        errors = tuple(self.errors + file_errors)
        readable = self.complete and not self.fatal
        block = _outcome(self.block_expected, self.block_hash, readable, "block")
        if self.warc_type == "revisit":
            payload = _skipped(self.payload_expected)
        elif self.http and self.http_head is not None:
            # the block ended before its HTTP headers did: there is no payload to check
            payload = (
                DigestCheck("unreadable", *self._payload_fields())
                if self.payload_expected[0] is not None
                else DigestCheck("absent")
            )
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

    def _payload_fields(self) -> tuple[str | None, str | None, str | None]:
        algorithm, header, expected = self.payload_expected
        return algorithm, header, expected


_Expected = tuple[str | None, str | None, str | None]  # algorithm, header as written, hex


def _parse_expected(header: str | None) -> _Expected:
    if header is None:
        return None, None, None
    try:
        algorithm, raw = parse_warc_digest(header)
    except ValueError:
        return None, header, None
    return algorithm, header, raw.hex()


def _hasher(expected: _Expected) -> hashlib._Hash | None:
    algorithm = expected[0]
    return hashlib.new(algorithm) if algorithm else None


def _outcome(
    expected: _Expected, hasher: hashlib._Hash | None, readable: bool, basis: Basis
) -> DigestCheck:
    algorithm, header, hexvalue = expected
    if header is None:
        return DigestCheck("absent")
    if hexvalue is None or hasher is None:
        return DigestCheck("unsupported", algorithm, header)
    if not readable:
        return DigestCheck("unreadable", algorithm, header, hexvalue)
    actual = hasher.hexdigest()
    if actual == hexvalue:
        return DigestCheck("ok", algorithm, header, hexvalue, actual, None, basis)
    return DigestCheck("mismatch", algorithm, header, hexvalue, actual)


def _skipped(expected: _Expected) -> DigestCheck:
    algorithm, header, hexvalue = expected
    if header is None:
        return DigestCheck("absent")
    return DigestCheck("skipped", algorithm, header, hexvalue)


# -- the record layer: a push parser over the decompressed stream -----------------------------


class RecordStream:
    """Parses WARC records from a stream of decompressed bytes pushed into :meth:`feed`."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.state = "seek"  # seek | header | block | trailer | dead
        self.buf = bytearray()
        self.record: _Record | None = None
        self.record_offset = 0
        self.trailer_left = 0
        self.done: list[tuple[_Record, list[str]]] = []
        self.pending: list[_Record] = []  # finished in the current gzip member
        self.errors: list[str] = []
        self.position = 0  # offset of the next byte (plain files: file offset)
        self.member_offset: int | None = None

    def begin_member(self, offset: int) -> None:
        self.member_offset = offset

    def end_member(self, error: str | None) -> None:
        """A gzip member ended; ``error`` is set if its CRC or size did not match.

        One record per member: a record still open here is cut short (its Content-Length runs
        past the member), and leftover bytes are not a record; either way the next member
        starts afresh, so damage in one member cannot swallow the next record.
        """
        if self.state == "trailer" and self.record is not None:
            self._close_record()
        if self.record is not None:
            self.record.errors.append(
                f"the record's block runs past the end of its gzip member ({self.record.remaining}"
                f" of {self.record.length} bytes missing)"
            )
            self.pending.append(self.record)
            self.record = None
        elif self.state == "header" and self.buf.strip():
            self.errors.append(
                f"offset {self.record_offset}: bytes after the record in its gzip member are "
                "not a WARC record"
            )
        for record in self.pending:
            self.done.append((record, [error] if error else []))
        self.pending.clear()
        self.buf.clear()
        self.state = "seek"

    def damaged_member(self, message: str) -> None:
        """The current member could not be decoded; close its record and wait for the next."""
        if self.record is not None or self.pending:
            for record in [*self.pending, *([self.record] if self.record else [])]:
                record.fatal = True
                self.done.append((record, [message]))
            self.record = None
        else:
            # nothing of the record could be decoded: report it by its offset alone
            where = self.member_offset if self.member_offset is not None else self.position
            orphan = _Record(self.file, where, {"content-length": "0"})
            orphan.fatal = True
            self.done.append((orphan, [message]))
        self.pending.clear()
        self.state = "seek"
        self.buf.clear()

    def _start_offset(self) -> int:
        return self.member_offset if self.member_offset is not None else self.position

    def feed(self, data: bytes) -> None:
        pos, end = 0, len(data)
        while pos < end:
            if self.state in ("dead", "dead_member"):
                return
            if self.state == "seek":
                while pos < end and data[pos] in b"\r\n":
                    pos += 1
                    self.position += 1
                if pos < end:
                    self.record_offset = self._start_offset()
                    self.state = "header"
                continue
            if self.state == "header":
                start = max(0, len(self.buf) - 3)
                nl = data.find(b"\r\n\r\n", pos)
                if nl >= 0:
                    stop = nl + 4
                    self.buf += data[pos:stop]
                else:
                    stop = end
                    self.buf += data[pos:end]
                found = self.buf.find(b"\r\n\r\n", start)
                if len(self.buf) >= 5 and not self.buf.startswith(b"WARC/"):
                    self.position += stop - pos
                    pos = stop
                    self._bad_header(f"no WARC record starts here (found {bytes(self.buf[:40])!r})")
                    continue
                if found < 0:
                    self.position += stop - pos
                    pos = stop
                    if len(self.buf) > MAX_HEADER:
                        self._bad_header("WARC header block too long")
                    continue
                # bytes beyond the header end (only when the terminator straddled two feeds)
                extra = len(self.buf) - (found + 4)
                stop -= extra
                self.position += stop - pos
                pos = stop
                head = bytes(self.buf[: found + 4])
                self.buf.clear()
                self._open_record(head)
                continue
            if self.state == "block":
                assert self.record is not None
                take = min(self.record.remaining, end - pos)
                if take:
                    self.record.feed(data[pos : pos + take])
                    self.record.remaining -= take
                    pos += take
                    self.position += take
                if self.record.remaining == 0:
                    self.record.complete = True
                    self.state = "trailer"
                    self.trailer_left = 4
                continue
            if self.state == "trailer":
                # "\r\n\r\n" ends each record; tolerate a short or absent one
                while pos < end and self.trailer_left and data[pos] in b"\r\n":
                    pos += 1
                    self.position += 1
                    self.trailer_left -= 1
                self._close_record()
                continue

    def _open_record(self, head: bytes) -> None:
        lines = head.decode("utf-8", "replace").split("\r\n")
        if not lines[0].startswith("WARC/"):
            self._bad_header(f"no WARC record starts here (found {lines[0][:40]!r})")
            return
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            if line[0] in " \t" and headers:
                last = next(reversed(headers))
                headers[last] += " " + line.strip()
                continue
            name, sep, value = line.partition(":")
            if sep:
                headers.setdefault(name.strip().lower(), value.strip())
        try:
            length = int(headers.get("content-length", ""))
            if length < 0:
                raise ValueError
        except ValueError:
            self._bad_header("record has no valid Content-Length")
            return
        self.record = _Record(self.file, self.record_offset, headers)
        self.state = "block"
        if length == 0:
            self.record.complete = True
            self.state, self.trailer_left = "trailer", 4

    def _bad_header(self, message: str) -> None:
        self.errors.append(f"offset {self.record_offset}: {message}")
        self.buf.clear()
        # in a gzip file the next member is a fresh start; a plain file cannot be resynchronised
        self.state = "dead" if self.member_offset is None else "dead_member"

    def _close_record(self) -> None:
        assert self.record is not None
        if self.member_offset is None:
            self.done.append((self.record, []))
        else:
            self.pending.append(self.record)
        self.record = None
        self.state = "seek"

    def member_boundary_reset(self) -> None:
        """A new gzip member begins: a member skipped after a bad header is over."""
        if self.state == "dead_member":
            self.state = "seek"

    def finish(self) -> tuple[list[RecordCheck], list[str]]:
        errors = list(self.errors)
        if self.record is not None:
            self.record.errors.append(
                f"file ends inside the record ({self.record.remaining} of "
                f"{self.record.length} block bytes missing)"
            )
            self.done.append((self.record, []))
            self.record = None
        for record in self.pending:
            self.done.append((record, []))
        self.pending.clear()
        if self.state == "header" and self.buf.strip():
            errors.append(f"offset {self.record_offset}: file ends inside a WARC header")
        checks = [record.finish(extra) for record, extra in self.done]
        return checks, errors
