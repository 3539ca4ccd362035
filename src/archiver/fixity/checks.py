"""The RFC 8493 checks of one bag folder, collecting every problem.

:func:`inspect_bag` reads the tag files, walks the payload, hashes every file once for all the
bag's algorithms (in parallel: SHA-512 lanes where :mod:`archiver.lanes` applies, else a pool,
largest first) while the WARC checker reads each WARC's records from the same bytes, and
compares.  It never writes inside the bag.  The tag files are read through a
:class:`~archiver.fixity.tagsource.TagSource`, and the digests may come from elsewhere, so a
serialised bag streamed past (:mod:`archiver.fixity.streamed`) gets the same comparison.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from archiver.bag.tagfiles import (
    ManifestEntry,
    manifest_algorithm,
    parse_bag_info,
    parse_fetch,
    parse_manifest,
    unsafe_reason,
)
from archiver.bag.tagread import is_regular, shown
from archiver.fixity.inspection import (
    Inspection,
    check_arc,
    read_bagit_txt,
    tag_lines,
    walk_payload,
    warc_problems,
)
from archiver.fixity.names import collisions, printable, printable_names
from archiver.fixity.report import FileCheck
from archiver.fixity.tagsource import FolderTags, Parsed, TagSource
from archiver.hashing import (
    FileDigests,
    LargestFirst,
    PoolKind,
    hash_file,
    normalize_algorithm,
)
from archiver.lanes import Job, LaneRun, usable
from archiver.warc.check import WarcCheck, WarcChecker, is_arc_name, is_warc_name

__all__ = ["Inspection", "inspect_bag", "printable", "printable_names"]

log = logging.getLogger(__name__)

# preferred algorithm for history and "moved" detection, strongest first
_STRENGTH = ("sha512", "sha384", "sha256", "sha224", "sha1", "md5")


def inspect_bag(
    root: Path,
    *,
    fast: bool = False,
    check_warcs: bool = True,
    workers: int | None = None,
    pool: PoolKind = "thread",
    progress: Callable[[int], None] | None = None,
) -> Inspection:
    """Run every check on the bag folder ``root``; see :func:`archiver.fixity.verify`."""
    found = Inspection()
    tags = FolderTags(root)
    read_bagit_txt(tags, found)
    payload = walk_payload(root, found)
    early = None
    if not fast:
        # Hash the payload from now on, for the algorithms the manifest names promise, while
        # this thread reads and checks the tag files (a big bag's manifests take a while).
        algos = _named_algorithms(root)
        if algos:
            where = str(root)
            jobs = [(size, _job(where, rel, algos, check_warcs)) for rel, size in payload.items()]
            early = _Early(algos, _Hashing(jobs, workers=workers, pool=pool))
    try:
        _inspect(
            root,
            found,
            payload,
            tags=tags,
            early=early,
            fast=fast,
            check_warcs=check_warcs,
            workers=workers,
            pool=pool,
            progress=progress,
        )
    finally:
        if early is not None:
            early.work.close()
    return found


def _parse_tag(
    tags: TagSource,
    name: str,
    encoding: str,
    found: Inspection,
    parse: Callable[[Any, str], Parsed],
) -> list[Any] | None:
    """A tag file's entries, parsed a line at a time (None: missing or refused, and said)."""
    done = tags.parsed(name)
    if done is None:
        with tag_lines(tags, name, encoding, found) as lines:
            if lines is None:  # a link or special file in its place: reported, not read
                return None
            done = parse(lines, name)
    entries, issues = done
    for issue in issues:
        found.add_issue(issue)
    return entries


def _inspect(
    root: Path,
    found: Inspection,
    payload: dict[str, int],
    *,
    tags: TagSource,
    early: _Early | None,
    fast: bool,
    check_warcs: bool,
    workers: int | None,
    pool: PoolKind,
    progress: Callable[[int], None] | None,
    hashed: _Hashed | None = None,
) -> None:
    """Check tag files, manifests and Oxum against ``payload`` ({path: size}); hash and compare.

    ``hashed`` holds digests computed already (a streamed archive), else files are read below
    ``root``.
    """
    encoding = found.declaration.encoding if found.declaration else "utf-8"
    strict = found.declaration is not None and found.declaration.version >= (1, 0)
    found.payload_files = len(payload)
    found.payload_bytes = sum(payload.values())
    nfc_payload = {unicodedata.normalize("NFC", p): p for p in payload}
    # a name that matches exactly one file only if letter case is ignored (a bag made on a
    # case-insensitive file system, where both spellings were one file); None: several match.
    # A key equal to its path is the path's own string (a bag may hold 100,000 files).
    folded: dict[str, str | None] = {}
    for p in payload:
        key = unicodedata.normalize("NFC", p)
        fold = key.casefold()
        fold = key if fold == key else fold
        folded[fold] = None if fold in folded else p
    nfc_payload.update(
        {key: p for key, p in folded.items() if p is not None and key not in nfc_payload}
    )
    del folded

    # -- bag-info.txt and Payload-Oxum ---------------------------------------------------------
    fields = _parse_tag(tags, "bag-info.txt", encoding, found, parse_bag_info) or []
    oxums = [v for k, v in fields if k.lower() == "payload-oxum"]
    if oxums:
        _check_oxum(oxums[0], found)

    # -- fetch.txt ---------------------------------------------------------------------------------
    fetch_paths: set[str] = set()
    for entry in _parse_tag(tags, "fetch.txt", encoding, found, parse_fetch) or []:
        reason = unsafe_reason(entry.path)
        if reason or not entry.path.startswith("data/"):
            found.add(
                "error",
                "fetch-unsafe-path",
                f"fetch.txt line {entry.line}: path {shown(entry.path)} "
                f"{reason or 'is outside the payload folder data/'}; refused",
                path="fetch.txt",
            )
            continue
        fetch_paths.add(entry.path)

    # -- manifests ---------------------------------------------------------------------------------
    payload_manifests: dict[str, list[ManifestEntry]] = {}
    tag_manifests: dict[str, list[ManifestEntry]] = {}
    for name in tags.top_files():
        kind = manifest_algorithm(name)
        if kind is None:
            continue
        is_tag, algo_name = kind
        entries = _parse_tag(tags, name, encoding, found, parse_manifest)
        if entries is None:
            continue
        try:
            algo = normalize_algorithm(algo_name)
        except ValueError:
            found.add(
                "warning" if is_tag else "error",
                "unsupported-algorithm",
                f"{name}: algorithm {shown(algo_name)} is unknown here; "
                "its digests cannot be checked",
                path=name,
            )
            algo = algo_name
        (tag_manifests if is_tag else payload_manifests)[algo] = entries
    if not payload_manifests:
        found.add("error", "manifest-missing", "the bag has no payload manifest (manifest-*.txt)")

    expected: dict[str, dict[str, str]] = {}  # algorithm -> disk path -> digest
    for algo, entries in payload_manifests.items():
        expected[algo] = _resolve_entries(
            algo, entries, payload, nfc_payload, fetch_paths, strict, found, tag=False
        )
        for path in sorted(set(payload) - set(expected[algo])):
            found.add(
                "error",
                "file-unlisted",
                f"payload file is not listed in manifest-{algo}.txt",
                path=path,
                algorithm=algo,
            )
    tag_expected: dict[str, dict[str, str]] = {}
    for algo, entries in tag_manifests.items():
        tag_expected[algo] = _resolve_entries(
            algo, entries, {}, {}, set(), strict, found, tag=True, tags=tags
        )
    for table in (payload_manifests, tag_manifests):  # resolved: the entries are not needed
        for algo in table:
            table[algo] = []

    supported = tuple(a for a in payload_manifests if a in _hashable())
    found.algorithms = tuple(sorted(supported, key=_rank))
    found.history_algorithm = found.algorithms[0] if found.algorithms else None
    if fast:
        for algo in found.algorithms:
            for path, digest in sorted(expected[algo].items()):
                outcome = "present" if path in payload else "missing"
                found.files.append(FileCheck(path, algo, digest, None, outcome))  # type: ignore[arg-type]
        found.current = dict.fromkeys(payload)
        return

    if check_warcs:
        for path in sorted(p for p in payload if is_arc_name(p)):
            check_arc(root, path, found)
    if hashed is None:
        hashed = _hash_folder(
            root, payload, tag_expected, check_warcs, workers, pool, found, progress, early
        )
    _compare(payload, expected, tag_expected, hashed, found)


@dataclass
class _Early:
    """Payload hashing started before the manifests were read, for ``algos``."""

    algos: tuple[str, ...]
    work: _Hashing


_HashJob = tuple[str, str, tuple[str, ...], bool]  # bag root, path, algorithms, is a WARC
_HashResult = tuple[str, FileDigests, WarcCheck | None]
_Hashed = tuple[dict[str, FileDigests], list[WarcCheck]]  # digests by path, WARC checks


class _Hashing:
    """Hash ``(size, job)`` pairs, started at once; iterate for the results, then close.

    SHA-512 lanes (:mod:`archiver.lanes`) when they apply to a thread pool whose jobs all want
    the same algorithms, else one file per task, largest first.
    """

    def __init__(
        self, jobs: Sequence[tuple[int, _HashJob]], *, workers: int | None, pool: PoolKind
    ) -> None:
        algos = {job[2] for _, job in jobs}
        self._lanes: LaneRun[tuple[str, WarcChecker | None]] | None = None
        self._tasks: LargestFirst[_HashJob, _HashResult] | None = None
        if pool == "thread" and len(algos) == 1 and usable(next(iter(algos))):
            work = []
            for size, (root, rel, _, is_warc) in jobs:
                checker = WarcChecker(rel) if is_warc else None
                consumer = checker.feed if checker else None
                work.append(Job(Path(root) / rel, size, (rel, checker), consumer=consumer))
            self._lanes = LaneRun(work, next(iter(algos)), workers=workers)
        else:
            log.info("hashing %d files with hashlib, one file per %s", len(jobs), pool)
            self._tasks = LargestFirst(_hash_job, jobs, workers=workers, pool=pool)

    def __iter__(self) -> Iterator[_HashResult]:
        if self._tasks is not None:
            yield from self._tasks
            return
        assert self._lanes is not None
        for job, result in self._lanes:
            rel, checker = job.tag
            yield rel, result, checker.result() if checker else None

    def close(self) -> None:
        if self._tasks is not None:
            self._tasks.close()
        if self._lanes is not None:
            self._lanes.close()


def _named_algorithms(root: Path) -> tuple[str, ...]:
    """The hashable algorithms of the payload manifests, from their file names alone."""
    names = set()
    for item in root.iterdir():
        kind = manifest_algorithm(item.name)
        if kind is None or kind[0] or not is_regular(item):
            continue
        try:
            algo = normalize_algorithm(kind[1])
        except ValueError:
            continue
        if algo in _hashable():
            names.add(algo)
    return tuple(sorted(names))


def _job(root: str, rel: str, algos: tuple[str, ...], check_warcs: bool) -> _HashJob:
    return (root, rel, algos, check_warcs and is_warc_name(rel))


def _hash_job(job: _HashJob) -> _HashResult:
    """Hash one file (and check its WARC records); top-level so a process pool can run it."""
    root, rel, algos, is_warc = job
    checker = WarcChecker(rel) if is_warc else None
    result = hash_file(Path(root) / rel, algos, consumer=checker.feed if checker else None)
    return rel, result, checker.result() if checker else None


def _size(path: Path) -> int:
    """A tag file's size, for scheduling only (0 if it cannot be read: hashing says why)."""
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _hashable() -> set[str]:
    return set(hashlib.algorithms_available)


def _rank(algo: str) -> int:
    return _STRENGTH.index(algo) if algo in _STRENGTH else len(_STRENGTH)


def _check_oxum(value: str, found: Inspection) -> None:
    octets, _, count = value.partition(".")
    if not (octets.isdigit() and count.isdigit()):
        found.add(
            "error",
            "oxum-invalid",
            f"Payload-Oxum {shown(value)} is not OCTETS.COUNT",
            path="bag-info.txt",
        )
        return
    actual = f"{found.payload_bytes}.{found.payload_files}"
    if (int(octets), int(count)) != (found.payload_bytes, found.payload_files):
        found.add(
            "error",
            "oxum-mismatch",
            "Payload-Oxum does not match the payload (bytes.files)",
            path="bag-info.txt",
            expected=value,
            actual=actual,
        )


def _resolve_entries(
    algo: str,
    entries: list[ManifestEntry],
    payload: dict[str, int],
    nfc_payload: dict[str, str],
    fetch_paths: set[str],
    strict: bool,
    found: Inspection,
    *,
    tag: bool,
    tags: TagSource | None = None,
) -> dict[str, str]:
    """Map manifest entries to files, reporting unsafe, duplicate and missing entries."""
    name = f"{'tag' if tag else ''}manifest-{algo}.txt"
    resolved: dict[str, str] = {}
    seen: dict[str, str] = {}
    for entry in entries:
        reason = unsafe_reason(entry.path)
        if reason:
            found.add(
                "error",
                "unsafe-path",
                f"{name} line {entry.line}: path {shown(entry.raw_path)} {reason}; not opened",
                path=name,
            )
            continue
        if not tag and not entry.path.startswith("data/"):
            found.add(
                "error",
                "path-outside-payload",
                f"{name} line {entry.line}: {shown(entry.path)} is not inside data/",
                path=name,
            )
            continue
        if entry.path in seen:
            if seen[entry.path] != entry.digest:
                found.add(
                    "error",
                    "duplicate-entry-conflict",
                    f"{name} lists the path twice with different digests",
                    path=entry.path,
                    algorithm=algo,
                    expected=seen[entry.path],
                    actual=entry.digest,
                )
            else:
                found.add(
                    "error" if strict else "warning",
                    "duplicate-entry",
                    f"{name} lists the path twice (same digest)",
                    path=entry.path,
                    algorithm=algo,
                )
            continue
        seen[entry.path] = entry.digest
        if tag:
            assert tags is not None
            if not tags.is_file(entry.path):
                found.add(
                    "error",
                    "tag-file-missing",
                    f"{name} lists a tag file that is missing",
                    path=entry.path,
                    algorithm=algo,
                )
                continue
            resolved[entry.path] = entry.digest
            continue
        disk = entry.path
        own = nfc_payload.get(disk)
        if own == disk:  # the payload's own string: one copy of a path for every manifest
            disk = own
        elif disk not in payload:
            key = unicodedata.normalize("NFC", disk)
            nfc = nfc_payload.get(key) or nfc_payload.get(key.casefold())
            if nfc is not None:
                how = "Unicode normalisation" if nfc_payload.get(key) else "ignoring letter case"
                found.add(
                    "warning",
                    "name-mismatch",
                    f"{name} names {shown(entry.path)}, which matches the file {shown(nfc)} "
                    f"only after {how}",
                    path=nfc,
                )
                disk = nfc
            else:
                note = (
                    " (listed in fetch.txt, not yet fetched)" if entry.path in fetch_paths else ""
                )
                found.add(
                    "error",
                    "file-missing",
                    f"{name} lists a file that is not in the bag{note}",
                    path=entry.path,
                    algorithm=algo,
                    expected=entry.digest,
                )
                found.files.append(FileCheck(entry.path, algo, entry.digest, None, "missing"))
                continue
        if disk in resolved and resolved[disk] != entry.digest:
            found.add(
                "error",
                "duplicate-entry-conflict",
                f"{name} lists the file under two spellings with different digests",
                path=disk,
                algorithm=algo,
            )
            continue
        resolved[disk] = entry.digest
    if not tag:
        collisions(sorted(seen), found, f"in {name}")
    return resolved


def _hash_folder(
    root: Path,
    payload: dict[str, int],
    tag_expected: dict[str, dict[str, str]],
    check_warcs: bool,
    workers: int | None,
    pool: PoolKind,
    found: Inspection,
    progress: Callable[[int], None] | None,
    early: _Early | None = None,
) -> _Hashed:
    """Hash the payload and the files the tag manifests list below ``root`` (once each)."""
    payload_algos = found.algorithms
    # every payload file wants the payload algorithms; files a tag manifest lists want more
    extra: dict[str, set[str]] = {}
    for algo, files in tag_expected.items():
        if algo in _hashable():
            for path in files:
                extra.setdefault(path, set()).add(algo)
    every = frozenset(payload_algos)
    jobs = (
        (rel, every | extra.get(rel, every) if rel in payload else extra[rel])
        for rel in [*payload, *(p for p in extra if p not in payload)]
    )

    results: dict[str, FileDigests] = {}
    warcs: list[WarcCheck] = []

    def collect(rel: str, result: FileDigests, warc: WarcCheck | None) -> None:
        first = rel not in results
        if not first:  # a second pass for algorithms the first did not have
            before = results[rel]
            merged = {**before.hexdigests, **result.hexdigests}
            error = before.error or result.error  # digests of a pass that failed are missing
            result = FileDigests(result.path, result.size, merged, error)
        results[rel] = result
        if warc is not None:
            warcs.append(warc)
        if progress is not None and first:
            progress(result.size)

    if early is not None:
        for rel, result, warc in early.work:
            collect(rel, result, warc)
    done = set(early.algos) if early is not None else set()
    sizes = []
    where = str(root)
    for rel, algos in jobs:
        missing = algos if rel not in results else algos - done
        if missing:
            warc_check = check_warcs and rel in payload and is_warc_name(rel) and rel not in results
            size = payload[rel] if rel in payload else _size(root / rel)
            sizes.append((size, (where, rel, tuple(sorted(missing)), warc_check)))
    rest = _Hashing(sizes, workers=workers, pool=pool)
    try:
        for rel, result, warc in rest:
            collect(rel, result, warc)
    finally:
        rest.close()
    return results, warcs


def _compare(
    payload: dict[str, int],
    expected: dict[str, dict[str, str]],
    tag_expected: dict[str, dict[str, str]],
    hashed: _Hashed,
    found: Inspection,
) -> None:
    """Compare the digests with the manifests; record the outcomes and the WARC checks."""
    results, warcs = hashed
    for algo, table in list(expected.items()) + [(f"tag:{a}", t) for a, t in tag_expected.items()]:
        real = algo.removeprefix("tag:")
        if real not in _hashable():
            continue
        for path, digest in sorted(table.items()):
            got = results.get(path)
            if got is None:
                continue
            if got.error:
                found.add("error", "file-unreadable", got.error, path=path, algorithm=real)
                found.files.append(FileCheck(path, real, digest, None, "unreadable"))
                continue
            actual = got.hexdigests[real]  # both passes succeeded (else got.error is set)
            if actual == digest:  # manifest digests are lower-cased when read
                found.files.append(FileCheck(path, real, digest, digest, "ok"))
            else:
                found.add(
                    "error",
                    "digest-mismatch",
                    "the file's digest does not match its manifest",
                    path=path,
                    algorithm=real,
                    expected=digest,
                    actual=actual,
                )
                found.files.append(FileCheck(path, real, digest, actual, "mismatch"))
    for algo in found.algorithms:
        for path in sorted(set(payload) - set(expected.get(algo, {}))):
            got = results.get(path)
            value = got.hexdigests.get(algo) if got and not got.error else None
            found.files.append(FileCheck(path, algo, None, value, "unlisted"))
    if found.history_algorithm:
        for path in payload:
            got = results.get(path)
            found.current[path] = (
                got.hexdigests.get(found.history_algorithm) if got and not got.error else None
            )
    for warc in sorted(warcs, key=lambda w: w.file):
        warc_problems(warc, found)
