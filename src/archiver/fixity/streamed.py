"""Verifying a serialised bag (.tar, .tar.gz, .zip) by streaming it: nothing is unpacked.

Two passes over the archive, in archive order, each with bounded memory:

1. Headers.  Every entry is judged (:class:`~archiver.bag.archive.ArchiveReader` refuses links,
   devices, unsafe and duplicate names), the declared sizes of the payload are summed, and
   bagit.txt and bag-info.txt are read (at most :data:`SMALL_TAG_LIMIT` bytes each).  The
   declared sizes are compared with Payload-Oxum *before any payload byte is read*: when they
   disagree the payload is not read at all (``payload-not-read``), so a 100 KB archive that
   declares 10 GiB costs nothing.  A sparse tar member is expanded only when Payload-Oxum
   agrees with its declared size.
2. Data.  Manifests and fetch.txt are parsed line by line as they stream past, through the
   folder's line reader (:class:`~archiver.bag.tagread.TagLines`, with its line cap); each
   payload file and tag file is hashed as it is read (a WARC's records are checked from the same
   bytes), and only its digests are kept.

The comparison is then the folder's (:mod:`archiver.fixity.checks`), so a serialised bag gets
the same problem codes as its unpacked folder.  Nothing is written anywhere.
"""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from archiver.bag.archive import ArchiveReader, Entry, EntryReadError
from archiver.bag.tagfiles import (
    TagIssue,
    manifest_algorithm,
    parse_bag_info,
    parse_fetch,
    parse_manifest,
)
from archiver.bag.tagread import Refusal, TagLines
from archiver.fixity.checks import Inspection, _inspect
from archiver.fixity.inspection import read_bagit_txt
from archiver.fixity.names import collisions, is_printable, is_system_file
from archiver.fixity.tagsource import Parsed
from archiver.hashing import BLOCK_SIZE, SPLIT_SIZE, FileDigests, MultiHasher, normalize_algorithm
from archiver.warc.check import WarcCheck, WarcChecker, is_warc_name

__all__ = ["SMALL_TAG_LIMIT", "ArchiveListing", "inspect_archive"]

log = logging.getLogger(__name__)

#: bagit.txt and bag-info.txt are read into memory; larger ones are reported, not read
SMALL_TAG_LIMIT = 1024 * 1024
#: a manifest or fetch.txt may hold this many lines more than four per file in the archive
SPARE_LINES = 100_000


class ArchiveListing:
    """What the header pass saw: the files of the bag, and the small tag files' bytes."""

    def __init__(self, archive: Path) -> None:
        self.archive = archive
        self.payload: dict[str, int] = {}  # data/... -> declared size
        self.sparse: set[str] = set()
        self.others: set[str] = set()  # regular files outside data/
        self.has_data = False
        self.small: dict[str, bytes | str] = {}  # bytes, or why they were not read
        self.lines: dict[str, Parsed] = {}  # manifests and fetch.txt, filled by the data pass
        self.tag_listed: dict[str, set[str]] = {}  # tag manifest -> the payload files it lists

    # -- archiver.fixity.tagsource.TagSource -------------------------------------------------------
    def top_files(self) -> list[str]:
        return sorted(name for name in self.others if "/" not in name)

    def is_file(self, rel: str) -> bool:
        return rel in self.others or rel in self.payload

    def open(self, name: str) -> BinaryIO | Refusal:
        """bagit.txt or bag-info.txt, held from the header pass (no other file is opened)."""
        data = self.small.get(name)
        if isinstance(data, bytes):
            return io.BytesIO(data)
        if name not in self.others:
            return Refusal("missing", "is missing")
        return Refusal("unreadable", f"in {self.archive.name} {data or 'was not read'}")

    def parsed(self, name: str) -> Parsed | None:
        return self.lines.get(name)

    def add(self, entry: Entry, found: Inspection) -> None:
        name = entry.name
        in_data = name == "data" or name.startswith("data/")
        self.has_data |= in_data and (entry.is_dir or name != "data")
        if in_data and not is_printable(name.rpartition("/")[2]):
            found.add(
                "warning",
                "name-not-utf8",
                "the name is not UTF-8: shown with \\x escapes, it can match no UTF-8 "
                "manifest line",
                path=name,
            )
        if entry.is_dir:
            return
        if not name.startswith("data/"):
            self.others.add(name)
            return
        self.payload[name] = entry.size
        if entry.sparse:
            self.sparse.add(name)
        base = name.rpartition("/")[2]
        if is_system_file(base):
            found.add("warning", "system-file", f"an operating-system file ({base})", path=name)


class _Tee(io.RawIOBase):
    """An entry's bytes as a raw file, each byte read fed to the hasher (and a WARC checker)."""

    def __init__(self, stream: Any, feeds: Sequence[Callable[[bytes], None]]) -> None:
        self.stream, self.feeds = stream, feeds
        self.error: str | None = None

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        block = self.read_block(len(buffer))
        buffer[: len(block)] = block
        return len(block)

    def read_block(self, size: int = BLOCK_SIZE) -> bytes:
        if self.error is not None:
            raise OSError(self.error)
        try:
            block: bytes = self.stream.read(size)
        except EntryReadError as exc:
            self.error = str(exc)
            log.warning("%s", self.error)
            raise OSError(self.error) from exc
        for feed in self.feeds:
            feed(block)
        return block

    def drain(self) -> None:
        """Read (and feed) what the parser left, if it stopped before the end."""
        try:
            while self.read_block():
                pass
        except OSError:
            pass


def _capped(lines: TagLines, limit: int, over: list[int]) -> Iterator[tuple[int, str]]:
    """``lines``, stopped after ``limit`` of them (``over`` is then given the line number)."""
    for count, item in enumerate(lines, 1):
        if count > limit:
            over.append(item[0])
            return
        yield item


def _parse_entry(
    raw: _Tee, name: str, encoding: str, parse: Callable[[Any, str], Parsed], max_lines: int
) -> Parsed:
    """A manifest's or fetch.txt's entries, parsed a line at a time as the entry streams past,
    with the problems in the order a folder's would be reported (the reader's, then the
    parser's)."""
    try:
        lines = TagLines(io.BufferedReader(raw, BLOCK_SIZE), encoding)
    except (OSError, LookupError) as exc:
        return [], [TagIssue("error", "tag-file-unreadable", f"cannot read: {exc}", name)]
    over: list[int] = []
    with lines:  # closes the tee only: the archive reader closes the entry's stream
        entries, issues = parse(_capped(lines, max_lines, over), name)
    read = [TagIssue(sev, code, message, name, line) for sev, code, message, line in lines.problems]
    if over:
        read.append(
            TagIssue(
                "error",
                "tag-file-too-large",
                f"holds more than {max_lines} lines, far more than the archive holds files; "
                "the rest was not read",
                name,
                over[0],
            )
        )
    return entries, read + issues


def inspect_archive(
    archive: Path,
    fmt: str | None,
    *,
    fast: bool = False,
    check_warcs: bool = True,
    progress: Callable[[int], None] | None = None,
) -> tuple[Inspection, ArchiveListing]:
    """Run every check on a serialised bag without unpacking it; see the module documentation.

    Raises :class:`~archiver.errors.UnsafePathError` for an entry no bag may hold and
    :class:`~archiver.errors.BagError` for an archive that cannot be read.
    """
    reader = ArchiveReader(archive, fmt)
    found = Inspection()
    listing = ArchiveListing(archive)
    small = ("bagit.txt", "bag-info.txt")
    # -- pass 1: headers, bagit.txt, bag-info.txt ------------------------------------------------
    for entry, stream in reader.walk(lambda e: e.name in small and e.size <= SMALL_TAG_LIMIT):
        listing.add(entry, found)
        if entry.name in small and not entry.is_dir:
            listing.small[entry.name] = _read_small(entry, stream)
    if not listing.has_data:
        found.add("error", "payload-missing", "the bag has no data/ folder", path="data")
    collisions(sorted(listing.payload), found, "in the archive")
    read_bagit_txt(listing, found)
    encoding = found.declaration.encoding if found.declaration else "utf-8"

    # -- Payload-Oxum against the declared sizes, before a payload byte is read --------------------
    oxum = _oxum(listing, encoding)
    declared = (sum(listing.payload.values()), len(listing.payload))
    agrees = oxum == declared
    read_payload = not fast and (oxum is None or agrees)
    if oxum is not None and not agrees:
        largest = max(listing.payload, key=lambda p: listing.payload[p], default=None)
        where = (
            f"; its largest entry is {largest} ({listing.payload[largest]} bytes)"
            if largest
            else ""
        )
        found.add(
            "error",
            "payload-not-read",
            f"{archive.name} declares {declared[0]} bytes in {declared[1]} payload files but "
            f"Payload-Oxum says {oxum[0]}.{oxum[1]}{where}: the payload was not read",
            path="bag-info.txt",
        )
    # -- pass 2: manifests and fetch.txt parsed, every file hashed as it streams past -------------
    results, warcs = _data_pass(
        reader,
        listing,
        encoding,
        hashing=not fast,
        read_payload=read_payload,
        agrees=agrees,
        check_warcs=check_warcs,
        progress=progress,
    )
    _inspect(
        archive,
        found,
        listing.payload,
        tags=listing,
        early=None,
        fast=fast or not read_payload,
        check_warcs=check_warcs,
        workers=None,
        pool="thread",
        progress=None,
        hashed=(results, warcs),
    )
    return found, listing


def _read_small(entry: Entry, stream: Any) -> bytes | str:
    if stream is None:
        return f"declares {entry.size} bytes, more than the {SMALL_TAG_LIMIT} read here; not read"
    chunks = []
    try:
        while block := stream.read(BLOCK_SIZE):
            chunks.append(block)
    except EntryReadError as exc:
        return str(exc)
    return b"".join(chunks)


def _oxum(listing: ArchiveListing, encoding: str) -> tuple[int, int] | None:
    """Payload-Oxum from bag-info.txt as (octets, count); None if missing or not OCTETS.COUNT."""
    data = listing.small.get("bag-info.txt")
    if not isinstance(data, bytes):
        return None
    try:
        with TagLines(io.BytesIO(data), encoding) as lines:
            fields = parse_bag_info(lines)[0]
    except LookupError:
        return None
    values = [v for k, v in fields if k.lower() == "payload-oxum"]
    octets, _, count = values[0].partition(".") if values else ("", "", "")
    if not (octets.isdigit() and count.isdigit()):
        return None
    return int(octets), int(count)


def _algorithms(names: list[str]) -> tuple[set[str], set[str]]:
    """The hashable algorithms of the payload and the tag manifests, from their names."""
    payload: set[str] = set()
    tag: set[str] = set()
    for name in names:
        kind = manifest_algorithm(name)
        if kind is None:
            continue
        try:
            algo = normalize_algorithm(kind[1])
        except ValueError:
            continue
        if algo in hashlib.algorithms_available:
            (tag if kind[0] else payload).add(algo)
    return payload, tag


def _data_pass(
    reader: ArchiveReader,
    listing: ArchiveListing,
    encoding: str,
    *,
    hashing: bool,
    read_payload: bool,
    agrees: bool,
    check_warcs: bool,
    progress: Callable[[int], None] | None,
) -> tuple[dict[str, FileDigests], list[WarcCheck]]:
    top = listing.top_files()
    payload_algos, tag_algos = _algorithms(top)
    max_lines = SPARE_LINES + 4 * (len(listing.payload) + len(listing.others))
    parsers: dict[str, Callable[[Any, str], Parsed]] = {
        name: parse_fetch if name == "fetch.txt" else parse_manifest
        for name in top
        if name == "fetch.txt" or manifest_algorithm(name)
    }
    results: dict[str, FileDigests] = {}
    warcs: list[WarcCheck] = []
    if not hashing:
        payload_algos, tag_algos = set(), set()
    elif not agrees:  # a sparse member is expanded only when Payload-Oxum vouches for its size
        for name in sorted(listing.sparse):
            results[name] = FileDigests(
                listing.archive,
                0,
                {},
                f"archive entry {name!r} of {listing.archive.name} is a sparse "
                f"member declaring {listing.payload[name]} bytes: not expanded, as bag-info.txt "
                "has no Payload-Oxum that agrees",
            )

    def algorithms(name: str) -> set[str]:
        if name not in listing.payload:
            return set(tag_algos)
        if not read_payload or name in results:
            return set()
        # a tag manifest may list payload files too: hash for it unless it was read already
        # and does not list this one
        extra = {
            a for a in tag_algos if (listed := listing.tag_listed.get(a)) is None or name in listed
        }
        return payload_algos | extra

    for entry, stream in reader.walk(lambda e: e.name in parsers or bool(algorithms(e.name))):
        if stream is None:
            continue
        algos = algorithms(entry.name)
        parser = parsers.get(entry.name)
        is_payload = entry.name in listing.payload
        checker = (
            WarcChecker(entry.name)
            if is_payload and check_warcs and is_warc_name(entry.name)
            else None
        )
        hasher = MultiHasher(algos, split=len(algos) > 1 and entry.size >= SPLIT_SIZE)
        tee = _Tee(stream, [hasher.update] + ([checker.feed] if checker is not None else []))
        try:
            if parser is not None:
                parsed = _parse_entry(tee, entry.name, encoding, parser, max_lines)
                listing.lines[entry.name] = parsed
            tee.drain()
        finally:
            hasher.close()
        error = tee.error
        if parser is not None:
            kind = manifest_algorithm(entry.name)
            if kind is not None and kind[0]:
                paths = {e.path for e in parsed[0] if e.path.startswith("data/")}
                for algo in _algorithms([entry.name])[1]:
                    listing.tag_listed[algo] = paths
        if algos:  # small per entry: the algorithm names and the path object are shared
            hexes = {} if error else hasher.hexdigests()
            digests = {a: hexes[a] for a in sorted(algos)} if hexes else {}
            results[entry.name] = FileDigests(listing.archive, hasher.size, digests, error)
        if checker is not None:
            warcs.append(checker.result())
        if progress is not None and is_payload:
            progress(entry.size)
    return results, warcs
