"""The framing layer of the WARC checker: a push parser that finds the records in a stream.

:class:`RecordStream` is fed the decompressed stream (from :class:`archiver.warc.check.WarcChecker`)
in pieces of any size.  It parses each WARC header, hands the block to a
:class:`~archiver.warc.records._Record`, and checks the separator after it:

- a header ends at its first blank line, whatever its line ends (CRLF, LF, CR CR LF), as warcio
  reads it; the first line must be ``WARC/<major>.<minor>`` (versions other than 0.17, 0.18,
  1.0 and 1.1 are read but fail the record, as ``warcio check`` fails them);
- a block must be followed by at least one line end (WARC asks for CRLF CRLF): when it is not,
  the record fails (its Content-Length is likely wrong) and reading goes on;
- when the bytes that follow are no record (a wrong Content-Length, garbage, a header without
  a valid Content-Length), the stream is **resynchronised**: the damage is reported once, then
  the parser searches forward for a line starting ``WARC/<version>`` whose header lines are
  fields and which has a valid Content-Length, and checks on from there.  A gzip member boundary
  is a fresh start as well.  Records inside bytes a wrong Content-Length swallowed are lost
  (their bytes were hashed as the damaged record's block).

Memory is bounded by the header limits, never by a record's length; the resynchronising search
keeps at most a few bytes between pieces and visits each byte a bounded number of times.
"""

from __future__ import annotations

import re

from archiver.warc.records import MAX_HEADER, RecordCheck, _Record, header_end, rescan_from

__all__ = ["KNOWN_VERSIONS", "RecordStream"]

#: WARC versions warcio reads; others fail their record.
KNOWN_VERSIONS = ("0.17", "0.18", "1.0", "1.1")

_VERSION = re.compile(rb"WARC/(\d+\.\d+)")
_CANDIDATE_FIRST = re.compile(rb"WARC/\d+\.\d+[ \t\r]*\n")
_FIELD = re.compile(rb"[^\s:][^:\n]*:|[ \t]")  # "Name:" or a continuation line
_MAX_FIRST_LINE = 64  # a resync candidate's first line ("WARC/1.1" and line end) is short


class RecordStream:
    """Parses WARC records from a stream of decompressed bytes pushed into :meth:`feed`."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.state = "seek"  # seek | header | block | resync | candidate
        self.buf = bytearray()
        self.scan = 0  # header_end resumes here in buf
        self.record: _Record | None = None
        self.record_offset = 0
        self.done: list[tuple[_Record, list[str]]] = []
        self.pending: list[_Record] = []  # finished in the current gzip member
        self.errors: list[str] = []
        self.position = 0  # offset of the next byte (plain files: file offset)
        self.member_offset: int | None = None
        self.after: _Record | None = None  # the record whose separator is being read
        self.separated = False  # a line end followed it
        # resynchronising: where it began, why, and whether the next byte starts a line
        self.lost_at = 0
        self.lost_reason = ""
        self.line_start = False
        self.candidate: list[bytes] = []  # header lines of a resync candidate so far
        self.candidate_at = 0

    # -- gzip member boundaries (called by the gzip layer) --

    def begin_member(self, offset: int) -> None:
        self.member_offset = offset

    @property
    def lost(self) -> bool:
        """Whether the bytes being read are not records (a damaged stretch is being skipped)."""
        return self.state in ("resync", "candidate")

    def end_member(self, error: str | None) -> None:
        """A gzip member ended; ``error`` is set if its CRC or size did not match.

        A record still open here is cut short (its Content-Length runs past the member), and
        leftover bytes are not a record; either way the next member starts afresh, so damage in
        one member cannot swallow the next record.
        """
        self._separator_verdict("its gzip member ends")
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
        self._flush_lost("its gzip member")
        for record in self.pending:
            self.done.append((record, [error] if error else []))
        self.pending.clear()
        self._reset()

    def damaged_member(self, message: str) -> None:
        """The current member could not be decoded; close its record and wait for the next."""
        self.after = None
        self._flush_lost("its gzip member, which is damaged")
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
        self._reset()

    def member_boundary_reset(self) -> None:
        """A new gzip member begins: whatever was being skipped is over."""
        if self.lost:
            self._flush_lost("its gzip member")
            self._reset()

    def _reset(self) -> None:
        self.state = "seek"
        self.buf.clear()
        self.candidate.clear()

    def _start_offset(self) -> int:
        return self.member_offset if self.member_offset is not None else self.position

    # -- the stream --

    def feed(self, data: bytes) -> None:
        pos, end = 0, len(data)
        while pos < end:
            state = self.state
            if state == "seek":
                pos = self._seek(data, pos, end)
            elif state == "header":
                pos = self._header(data, pos, end)
            elif state == "block":
                pos = self._block(data, pos, end)
            elif state == "resync":
                if self.buf:  # the few bytes kept from the last piece come first
                    data = bytes(self.buf) + data[pos:]
                    self.position -= len(self.buf)
                    self.buf.clear()
                    pos, end = 0, len(data)
                pos = self._resync(data, pos, end)
            else:  # candidate
                data, pos = self._candidate(data, pos, end)
                end = len(data)

    def _seek(self, data: bytes, pos: int, end: int) -> int:
        """Skip the line ends between records; the next byte starts a header."""
        start = pos
        while pos < end and data[pos] in b"\r\n":
            pos += 1
        if data.find(b"\n", start, pos) >= 0:
            self.separated = True
        self.position += pos - start
        if pos < end:
            self._separator_verdict("the next bytes follow its block directly")
            self.record_offset = self._start_offset()
            self.state, self.scan = "header", 0
        return pos

    def _separator_verdict(self, what: str) -> None:
        """The bytes after a block are over: the record fails if no line end followed it."""
        if self.after is not None and not self.separated:
            self.after.errors.append(
                f"the record's block is not followed by its separator (CRLF CRLF): {what}, "
                "so its Content-Length may be wrong"
            )
        self.after = None

    def _header(self, data: bytes, pos: int, end: int) -> int:
        """Collect a WARC header up to its blank line (in ``data`` itself when it all is)."""
        if not self.buf:
            stop = min(end, pos + MAX_HEADER)
            found = header_end(data, pos, stop, pos)
            if found >= 0:
                self.position += found - pos
                self._open_record(data[pos:found])
                return found
            self.buf += data[pos:stop]
            self.scan = rescan_from(self.buf, 0, len(self.buf))
            self.position += stop - pos
            pos = stop
        else:
            seen = len(self.buf)
            stop = min(end, pos + MAX_HEADER + 1 - seen)
            self.buf += data[pos:stop]
            found = header_end(self.buf, 0, len(self.buf), self.scan)
            if found >= 0:
                used = found - seen
                self.position += used
                head = bytes(self.buf[:found])
                self.buf.clear()
                self._open_record(head)
                return pos + used
            self.scan = rescan_from(self.buf, self.scan, len(self.buf))
            self.position += stop - pos
            pos = stop
        if len(self.buf) >= 5 and not self.buf.startswith(b"WARC/"):
            self._lose(self.record_offset, f"no WARC record starts here (found "
                       f"{bytes(self.buf[:40])!r})", bytes(self.buf[1:]))  # fmt: skip
        elif len(self.buf) > MAX_HEADER:
            self._lose(self.record_offset, "WARC header block too long", bytes(self.buf[1:]))
        return pos

    def _open_record(self, head: bytes, *, quiet: bool = False) -> bool:
        """Start the record whose header is ``head``; False (and resync) if it is none."""
        version = _VERSION.match(head)
        if version is None:
            shown = head.split(b"\n", 1)[0][:40]
            self._lose(self.record_offset, f"no WARC record starts here (found {shown!r})",
                       head[1:], quiet=quiet)  # fmt: skip
            return False
        headers: dict[str, str] = {}
        for raw in head.decode("utf-8", "replace").split("\n")[1:]:
            line = raw.rstrip()
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
            # the header's own bytes hold no record start (its lines are fields): skip them
            self._lose(self.record_offset, "record has no valid Content-Length", b"", quiet=quiet)
            return False
        self.record = _Record(self.file, self.record_offset, headers)
        number = version.group(1).decode()
        if number not in KNOWN_VERSIONS:
            self.record.errors.append(f"WARC version {number} is not one of "
                                      f"{', '.join(KNOWN_VERSIONS)}")  # fmt: skip
        self.state = "block"
        if length == 0:
            self._block_done()
        return True

    def _block(self, data: bytes, pos: int, end: int) -> int:
        assert self.record is not None
        take = min(self.record.remaining, end - pos)
        if take:
            self.record.feed(data[pos : pos + take])
            self.record.remaining -= take
            pos += take
            self.position += take
        if self.record.remaining == 0:
            self._block_done()
        return pos

    def _block_done(self) -> None:
        assert self.record is not None
        self.record.complete = True
        if self.member_offset is None:
            self.done.append((self.record, []))
        else:
            self.pending.append(self.record)
        self.after, self.separated = self.record, False
        self.record = None
        self.state = "seek"

    # -- resynchronising after damage --

    def _lose(self, at: int, reason: str, rescan: bytes, *, quiet: bool = False) -> None:
        """The bytes from ``at`` are no record: search on for the next one.

        ``rescan`` holds bytes already taken from the stream that are searched first (they
        end where the stream stands now).
        """
        self.buf.clear()
        self.candidate.clear()
        if not quiet:
            self.lost_at, self.lost_reason = at, reason
        self.state = "resync"
        self.line_start = False
        self.buf += rescan  # searched first: feed() puts these bytes back before the stream

    def _found_again(self, offset: int) -> None:
        """The resynchronising search found the record at ``offset``: report what it skipped."""
        self.errors.append(
            f"offset {self.lost_at}: {self.lost_reason}; {offset - self.lost_at} bytes hold no "
            f"record, checking resumed at the record at offset {offset}"
        )
        self.lost_reason = ""

    def _flush_lost(self, where: str) -> None:
        """The search ends at the end of ``where`` without finding a record: report it."""
        if self.lost_reason:
            self.errors.append(
                f"offset {self.lost_at}: {self.lost_reason}; the rest of {where} holds no "
                "record that could be read"
            )
        self.lost_reason = ""

    def _resync(self, data: bytes, pos: int, end: int) -> int:
        """Search for a line that starts ``WARC/``; keep a few bytes if it may straddle."""
        if self.line_start and data.startswith(b"WARC/"[: end - pos], pos):
            found = pos if end - pos >= 5 else -1
            if found < 0:  # "WAR" at a line start: wait for more
                self.buf += data[pos:end]
                self.position += end - pos
                return end
        else:
            found = data.find(b"\nWARC/", pos, end)
            found = found + 1 if found >= 0 else -1
        if found < 0:
            keep = max(pos, end - 5)  # "\nWARC" minus its last byte may straddle the pieces
            self.buf += data[keep:end]
            self.line_start = keep > pos and data[keep - 1] == 0x0A
            self.position += end - pos
            return end
        self.position += found - pos
        self.candidate_at = self.position
        self.candidate.clear()
        self.state = "candidate"
        return found

    def _candidate(self, data: bytes, pos: int, end: int) -> tuple[bytes, int]:
        """Read a candidate header a line at a time: a first line ``WARC/<version>``, then
        field lines, then a blank line; anything else and the search goes on."""
        nl = data.find(b"\n", pos, end)
        if nl < 0:
            self.buf += data[pos:end]
            self.position += end - pos
            size = sum(map(len, self.candidate)) + len(self.buf)
            if (not self.candidate and len(self.buf) > _MAX_FIRST_LINE) or size > MAX_HEADER:
                return self._reject(data, end)
            return data, end
        line = bytes(self.buf) + data[pos : nl + 1]
        self.buf.clear()
        self.position += nl + 1 - pos
        pos = nl + 1
        if not self.candidate:
            if not _CANDIDATE_FIRST.fullmatch(line):
                self.buf += line
                return self._reject(data, pos)
            self.candidate.append(line)
            return data, pos
        if not line.strip():  # the blank line: a whole header
            head = b"".join(self.candidate) + line
            self.candidate.clear()
            self.record_offset = self.candidate_at
            if self.member_offset is not None:
                self.record_offset = self.member_offset
            if self._open_record(head, quiet=True):
                if self.lost_reason:
                    self._found_again(self.record_offset)
            else:
                self.line_start = True  # after a header: the next byte starts a line
            return data, pos
        if not _FIELD.match(line) or sum(map(len, self.candidate)) > MAX_HEADER:
            # not a header line: the search goes on from this line's start
            self.position -= len(line)
            self.candidate.clear()
            self.state, self.line_start = "resync", True
            return line + data[pos:end], 0
        self.candidate.append(line)
        return data, pos

    def _reject(self, data: bytes, pos: int) -> tuple[bytes, int]:
        """The candidate is none: search on from the byte after its start.

        The candidate's lines and ``buf`` hold every byte from its start to ``data[pos]``.
        """
        taken = b"".join(self.candidate) + bytes(self.buf)
        self.candidate.clear()
        self.buf.clear()
        self.state, self.line_start = "resync", False
        self.position = self.candidate_at + 1
        return taken[1:] + data[pos:], 0

    def finish(self) -> tuple[list[RecordCheck], list[str]]:
        self._separator_verdict("the file ends")
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
            self.errors.append(f"offset {self.record_offset}: file ends inside a WARC header")
        elif self.state == "candidate" and self.candidate:
            self.errors.append(f"offset {self.candidate_at}: file ends inside a WARC header")
        self._flush_lost("the file")
        errors = list(self.errors)
        checks = [record.finish(extra) for record, extra in self.done]
        return checks, errors
