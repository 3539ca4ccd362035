"""Writing WARC/1.1 files: one gzip member per record, rotation by size, atomic finalisation.

A file is written under ``NAME.warc.gz.open`` and renamed to ``NAME.warc.gz`` when it is
closed, so a file under its final name is always complete.  Its first record is a
``warcinfo``.  :meth:`WarcWriter.write_group` writes several records (a request, its response
and their metadata) contiguously in one file and, still holding the lock, calls a ``commit``
callback so the caller can record where they went before any other thread writes: the catalog
and the file can then never disagree about which records are complete.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import os
import socket
import threading
import uuid
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from archiver.fsutil import fsync_dir
from archiver.model import RecordLocation

__all__ = [
    "WARC_VERSION",
    "RecordSpec",
    "WarcWriter",
    "format_digest",
    "new_record_id",
    "warc_date",
    "warc_fields",
]

log = logging.getLogger(__name__)

WARC_VERSION = "WARC/1.1"
CONFORMS_TO = "http://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
_COPY_SIZE = 1024 * 1024
_PREPARE_MAX = 8 * 1024 * 1024


def new_record_id() -> str:
    """A fresh ``<urn:uuid:…>`` WARC-Record-ID."""
    return f"<urn:uuid:{uuid.uuid4()}>"


def warc_date(moment: datetime) -> str:
    """WARC/1.1 date with microseconds, always UTC: ``2026-11-25T03:12:00.123456Z``."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


_CONTROLS = {c: " " for c in range(32) if c != 9} | {127: " "}


def warc_fields(fields: Iterable[tuple[str, str]]) -> bytes:
    """An ``application/warc-fields`` block: one ``name: value`` line per field.  Control
    characters in a value (a CR or LF in a collection's description, say) become spaces, so a
    value can never start a field of its own."""
    return "".join(
        f"{k.translate(_CONTROLS)}: {v.translate(_CONTROLS)}\r\n" for k, v in fields
    ).encode("utf-8")


def format_digest(algorithm: str, digest: bytes) -> str:
    """``sha1:BASE32`` for SHA-1 (the web-archive convention), ``algo:hex`` otherwise."""
    if algorithm == "sha1":
        return "sha1:" + base64.b32encode(digest).decode("ascii")
    return f"{algorithm}:{digest.hex()}"


@dataclass
class RecordSpec:
    """One record to write.  ``block`` is bytes or an iterable of byte chunks of ``length``.

    Digests are given when the caller computed them while receiving the bytes; otherwise
    the block digest is computed here (``block`` must then be bytes).
    """

    rec_type: str
    headers: list[tuple[str, str]]
    block: bytes | Iterable[bytes]
    length: int
    content_type: str | None = None
    block_digest: str | None = None
    record_id: str = field(default_factory=new_record_id)
    #: zlib level of the record's gzip member: 0 stores a block that cannot shrink (a JPEG,
    #: a WOFF2 font, a gzip body) at the same size for a quarter of the CPU
    compress_level: int = 6


@dataclass(frozen=True)
class Prepared:
    """Records compressed ahead of :meth:`WarcWriter.write_group` by :meth:`WarcWriter.prepare`."""

    warcinfo_id: str
    members: list[bytes]


class WarcWriter:
    """Writes records into rotating WARC files inside ``directory``.  Thread-safe.

    ``warcinfo`` holds the fields of each file's warcinfo record (``software``, ``isPartOf``,
    …); ``format`` and ``conformsTo`` are added.  ``on_open(filename, end)`` is called (under
    the lock) after a new file's warcinfo record is written, with the file's size at that point.
    """

    def __init__(
        self,
        directory: Path,
        prefix: str,
        *,
        warcinfo: Sequence[tuple[str, str]],
        max_size: int = 1024**3,
        digest_algorithm: str = "sha256",
        on_open: Callable[[str, int], None] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.prefix = prefix
        self.max_size = max_size
        self.digest_algorithm = digest_algorithm
        self.warcinfo_fields = [
            *warcinfo,
            ("format", "WARC File Format 1.1"),
            ("conformsTo", CONFORMS_TO),
        ]
        self.on_open = on_open
        self._lock = threading.Lock()
        self._fh: IO[bytes] | None = None
        self._name: str | None = None
        self._warcinfo_id: str | None = None
        self._serial = 0
        self.closed_files: list[str] = []
        self.bytes_written = 0
        self.records_written = 0

    # -- files -------------------------------------------------------------------------------

    def _new_name(self) -> str:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S%f")
        host = socket.gethostname().split(".")[0] or "host"
        name = f"{self.prefix}-{stamp}-{self._serial:05d}-{host}-{os.getpid()}.warc.gz"
        self._serial += 1
        return name

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        name = self._new_name()
        self._fh = open(self.directory / (name + ".open"), "xb")  # noqa: SIM115 - kept open
        self._name = name
        self._warcinfo_id = new_record_id()
        fields = [("warc-filename", name), *self.warcinfo_fields]
        body = warc_fields(fields)
        spec = RecordSpec(
            rec_type="warcinfo",
            headers=[("WARC-Filename", name)],
            block=body,
            length=len(body),
            content_type="application/warc-fields",
            record_id=self._warcinfo_id,
        )
        self._write_record(spec)
        self._fh.flush()
        if self.on_open:
            self.on_open(name, self._fh.tell())
        log.info("opened %s", name)

    def _close_current(self) -> None:
        if self._fh is None or self._name is None:
            return
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        final = self.directory / self._name
        os.replace(self.directory / (self._name + ".open"), final)
        fsync_dir(self.directory)
        log.info("closed %s", final.name)
        self.closed_files.append(self._name)
        self._fh = None
        self._name = None

    def close(self) -> None:
        """Finish the current file (rename it to its final name)."""
        with self._lock:
            self._close_current()

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- records -----------------------------------------------------------------------------

    def prepare(self, records: Sequence[RecordSpec]) -> Prepared | None:
        """Compress ``records`` now, outside the writer lock (zlib releases the GIL, so
        threads compress in parallel); :meth:`write_group` then only copies the bytes.

        Returns None (nothing prepared) for blocks over 8 MiB, which stream under the lock
        so that memory stays flat, and before the first file is open.  A block given as an
        iterator is read into bytes here, so it can still be written if a rotation makes the
        prepared members stale.
        """
        warcinfo_id = self._warcinfo_id
        if warcinfo_id is None or any(spec.length > _PREPARE_MAX for spec in records):
            return None
        members = []
        for spec in records:
            if not isinstance(spec.block, bytes):
                spec.block = b"".join(spec.block)
            members.append(b"".join(self._member(spec, warcinfo_id)))
        return Prepared(warcinfo_id, members)

    def write_group(
        self,
        records: Sequence[RecordSpec],
        *,
        commit: Callable[[list[RecordLocation]], None] | None = None,
        prepared: Prepared | None = None,
    ) -> list[RecordLocation]:
        """Write ``records`` one after another in the same file; return their locations.

        ``commit(locations)`` runs under the writer lock after the bytes are flushed.
        ``prepared`` is what :meth:`prepare` made of the same records.
        """
        with self._lock:
            if self._fh is not None and self._fh.tell() >= self.max_size:
                self._close_current()
            if self._fh is None:
                self._open()
            assert self._fh is not None and self._name is not None
            if prepared is not None and prepared.warcinfo_id != self._warcinfo_id:
                prepared = None  # a new file began since: its records name its own warcinfo
            start = self._fh.tell()
            written, count = self.bytes_written, self.records_written
            try:
                if prepared is None:
                    locations = [self._write_record(spec) for spec in records]
                else:
                    locations = self._write_members(start, prepared.members)
                self._fh.flush()
                if commit is not None:
                    commit(locations)
            except BaseException:
                # Half a group (a failed read, a full disk, a catalog that refused the commit)
                # must not stay in the file: later groups would be appended after garbage.
                self._rewind(start)
                self.bytes_written, self.records_written = written, count
                raise
            return locations

    def _rewind(self, start: int) -> None:
        assert self._fh is not None and self._name is not None
        try:
            self._fh.seek(start)
            self._fh.truncate()
            self._fh.flush()
        except OSError:
            # Cannot even cut the file: leave it under its .open name for recovery, which
            # cuts it back to the catalog's last committed offset on the next run.
            log.error("could not cut %s back to %d; left for recovery", self._name, start)
            with contextlib.suppress(OSError):
                self._fh.close()
            self._fh = None
            self._name = None

    def _member(self, spec: RecordSpec, warcinfo_id: str | None) -> Iterator[bytes]:
        """The record as one gzip member, in compressed pieces."""
        headers: list[tuple[str, str]] = [
            ("WARC-Type", spec.rec_type),
            ("WARC-Record-ID", spec.record_id),
        ]
        names = {k.lower() for k, _ in spec.headers}
        if "warc-date" not in names:
            headers.append(("WARC-Date", warc_date(datetime.now(timezone.utc))))
        headers.extend(spec.headers)
        if spec.rec_type != "warcinfo" and warcinfo_id:
            headers.append(("WARC-Warcinfo-ID", warcinfo_id))
        if spec.content_type:
            headers.append(("Content-Type", spec.content_type))
        block_digest = spec.block_digest
        if block_digest is None and isinstance(spec.block, bytes):
            h = hashlib.new(self.digest_algorithm, spec.block)
            block_digest = format_digest(self.digest_algorithm, h.digest())
        if block_digest:
            headers.append(("WARC-Block-Digest", block_digest))
        headers.append(("Content-Length", str(spec.length)))
        head = WARC_VERSION + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
        compressor = zlib.compressobj(spec.compress_level, zlib.DEFLATED, 31)
        yield compressor.compress(head.encode("utf-8"))
        written = 0
        for chunk in _chunks(spec.block):
            written += len(chunk)
            yield compressor.compress(chunk)
        if written != spec.length:
            raise ValueError(
                f"record {spec.record_id}: block is {written} bytes, Content-Length {spec.length}"
            )
        yield compressor.compress(b"\r\n\r\n")
        yield compressor.flush()

    def _write_record(self, spec: RecordSpec) -> RecordLocation:
        assert self._fh is not None and self._name is not None
        offset = self._fh.tell()
        for piece in self._member(spec, self._warcinfo_id):
            self._fh.write(piece)
        return self._written(offset)

    def _write_members(self, start: int, members: Sequence[bytes]) -> list[RecordLocation]:
        """Append finished members with one write: under the lock, every call that lets go of
        the GIL may wait for it to come back while the other workers queue behind the lock."""
        assert self._fh is not None and self._name is not None
        locations = []
        offset = start
        for member in members:
            locations.append(RecordLocation(self._name, offset, len(member)))
            offset += len(member)
        self._fh.write(b"".join(members))
        self.bytes_written += offset - start
        self.records_written += len(members)
        return locations

    def _written(self, offset: int) -> RecordLocation:
        assert self._fh is not None and self._name is not None
        length = self._fh.tell() - offset
        self.bytes_written += length
        self.records_written += 1
        return RecordLocation(filename=self._name, offset=offset, length=length)


def _chunks(block: bytes | Iterable[bytes]) -> Iterator[bytes]:
    if isinstance(block, bytes):
        for i in range(0, len(block), _COPY_SIZE):
            yield block[i : i + _COPY_SIZE]
    else:
        yield from block


def digest_of(algorithm: str, data: bytes) -> str:
    """Formatted digest of ``data``."""
    return format_digest(algorithm, hashlib.new(algorithm, data).digest())


def any_digest(h: Any) -> str:
    """Format a finished ``hashlib`` object."""
    return format_digest(h.name, h.digest())
