"""Building a BagIt 1.0 bag from a collection without touching the collection.

The bag is assembled in a staging folder beside the target (``.NAME.partial-XXXX``) and renamed
into place only when every file, manifest and tag manifest is written, so a crash leaves no half
bag under the final name; the next run removes a staging folder a killed run left
(:mod:`archiver.bag.staging`).  The collection is only read, under a shared lock (a read-only
collection is read without one).  Each payload file is read once: copied and hashed for every
algorithm in the same pass, through SHA-512 lanes where :mod:`archiver.lanes` applies, else
spread over a pool largest first so big and small files balance.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import time
from collections.abc import Callable, Generator, Mapping, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

from archiver._version import __version__
from archiver.bag.profile import PROFILE_IDENTIFIER
from archiver.bag.serialize import SerializeFormat, serialize_bag
from archiver.bag.staging import make_staging, release_staging, remove_stale_staging
from archiver.bag.tagfiles import format_bag_info, format_manifest
from archiver.collection import Collection
from archiver.errors import BagError, BagExistsError, UsageError
from archiver.fsutil import fsync_dir, new_file_mode
from archiver.hashing import (
    FileDigests,
    copy_and_hash,
    default_workers,
    hash_file,
    normalize_algorithm,
)
from archiver.hashing import run_largest_first as _run
from archiver.lanes import Job, LaneRun, usable

__all__ = ["DEFAULT_ALGORITHMS", "BagSummary", "make_bag"]

log = logging.getLogger(__name__)

DEFAULT_ALGORITHMS = ("sha512", "sha256")
BAGIT_VERSION = "1.0"
SOFTWARE_AGENT = f"archiver {__version__} <https://pypi.org/project/archiver/>"
LinkMode = Literal["copy", "hardlink"]

# bag-info labels the bag computes itself; callers may not set them
_COMPUTED = {"payload-oxum", "bagging-date", "bag-software-agent", "bagit-profile-identifier"}
_CONTACT_ORDER = (
    "Source-Organization",
    "Organization-Address",
    "Contact-Name",
    "Contact-Phone",
    "Contact-Email",
)


@dataclass(frozen=True)
class BagSummary:
    """What :func:`make_bag` wrote: the bag folder (or serialised file) and its payload."""

    path: Path
    payload_files: int
    payload_bytes: int
    algorithms: tuple[str, ...]
    seconds: float
    serialized: bool = False

    @property
    def payload_oxum(self) -> str:
        return f"{self.payload_bytes}.{self.payload_files}"


def _as_collection(collection: Collection | str | os.PathLike[str]) -> Collection:
    if isinstance(collection, Collection):
        return collection
    return Collection.open(collection)


def _utf8_name(base: Path, name: str) -> None:
    """Refuse a name that is not UTF-8: RFC 8493 manifests are UTF-8 and cannot list it."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raw = str(base / name).encode("utf-8", "surrogateescape")
        shown = raw.decode("utf-8", "backslashreplace")
        raise BagError(
            "the collection holds a file or folder whose name is not UTF-8 (shown with \\x "
            "escapes); a BagIt manifest cannot list it: rename it, then bag again",
            path=shown,
        ) from None


def _payload_files(root: Path) -> list[tuple[str, int]]:
    """Every file of the collection as ``(posix relative path, size)``; refuses links and
    names that are not UTF-8, before anything is copied."""
    found: list[tuple[str, int]] = []
    for folder, dirs, files in os.walk(root):
        base = Path(folder)
        for name in dirs:
            _utf8_name(base, name)
            if (base / name).is_symlink():
                raise BagError(
                    "the collection holds a symbolic link; bag refused", path=base / name
                )
        for name in files:
            _utf8_name(base, name)
            full = base / name
            rel = full.relative_to(root).as_posix()
            if rel == ".lock":
                continue
            if full.is_symlink() or not full.is_file():
                raise BagError(
                    "the collection holds a link or special file; bag refused", path=full
                )
            found.append((rel, full.stat().st_size))
    return sorted(found)


def _info_fields(
    collection: Collection, info: Mapping[str, str | Sequence[str]], oxum: str
) -> list[tuple[str, str]]:
    given: list[tuple[str, str]] = []
    for label, value in info.items():
        if label.lower() in _COMPUTED:
            raise UsageError(f"bag-info field {label!r} is computed by archiver and cannot be set")
        values = [value] if isinstance(value, str) else list(value)
        given.extend((label, v) for v in values)
    fields: list[tuple[str, str]] = []
    lowered = {label.lower() for label, _ in given}
    for label in _CONTACT_ORDER:
        fields.extend((lbl, v) for lbl, v in given if lbl.lower() == label.lower())
    if "external-identifier" not in lowered:
        fields.append(("External-Identifier", collection.name))
    description = str(collection.metadata.get("description") or "")
    if "external-description" not in lowered and description:
        fields.append(("External-Description", description))
    contact = {label.lower() for label in _CONTACT_ORDER}
    fields.extend((lbl, v) for lbl, v in given if lbl.lower() not in contact)
    fields += [
        ("Bagging-Date", date.today().isoformat()),
        ("Payload-Oxum", oxum),
        ("Bag-Software-Agent", SOFTWARE_AGENT),
        ("BagIt-Profile-Identifier", PROFILE_IDENTIFIER),
    ]
    return fields


def make_bag(
    collection: Collection | str | os.PathLike[str],
    bag_dir: str | os.PathLike[str],
    *,
    info: Mapping[str, str | Sequence[str]] | None = None,
    algorithms: Sequence[str] = DEFAULT_ALGORITHMS,
    link: LinkMode = "copy",
    serialize: SerializeFormat | None = None,
    workers: int | None = None,
    fsync: bool = True,
    progress: Callable[[int], None] | None = None,
) -> BagSummary:
    """Package ``collection`` as a BagIt 1.0 bag at ``bag_dir``; the source is never changed.

    The payload is ``data/<collection folder name>/``.  ``info`` adds bag-info.txt fields
    (Source-Organization, Contact-Name, Contact-Email, …); External-Identifier and
    External-Description come from collection.json.  ``link="hardlink"`` hard-links the closed
    WARC files (immutable once written) and copies everything else, which can change in place.
    With ``serialize`` the bag is written as one archive ``bag_dir`` + ``.tar``/``.tar.gz``/
    ``.zip`` instead of a folder.  ``progress`` is called with the byte count of each payload
    file once it is copied.

    Raises :class:`~archiver.errors.CollectionLockedError` while a capture writes the
    collection, :class:`~archiver.errors.BagError` if it holds unfinished ``*.warc.gz.open``
    files, and :class:`~archiver.errors.BagExistsError` if the target exists.

    >>> make_bag("karen-news", "karen-news-bag", info={"Source-Organization": "Karen News"})
    ... # doctest: +SKIP
    """
    started = time.monotonic()
    col = _as_collection(collection)
    algos = tuple(dict.fromkeys(normalize_algorithm(a) for a in algorithms))
    if not algos:
        raise UsageError("make_bag needs at least one digest algorithm")
    if link not in ("copy", "hardlink"):
        raise UsageError(f"link must be 'copy' or 'hardlink', not {link!r}")
    target = Path(bag_dir)
    final = target.with_name(target.name + "." + serialize) if serialize else target
    if final.exists() or final.is_symlink():
        raise BagExistsError("a file or folder already exists where the bag would go", path=final)
    source = col.path.resolve()
    parent = final.parent.resolve()
    if parent == source or source in parent.parents:
        raise UsageError(f"the bag cannot be written inside the collection it packages ({source})")
    parent.mkdir(parents=True, exist_ok=True)

    remove_stale_staging(parent, target.name)  # what a killed run (SIGKILL) left behind
    staging: Path | None = None
    try:
        with col.read_lock():
            unfinished = col.open_warc_files()
            if unfinished:
                raise BagError(
                    f"the collection has unfinished WARC files ({unfinished[0].name}); "
                    "finish or recover the capture first",
                    path=col.path,
                )
            payload = _payload_files(source)  # refuses links and names BagIt cannot list
            staging = make_staging(parent, target.name)
            files, size = _copy_payload(
                source, staging, payload, algos, link, workers, fsync, progress
            )
        _write_tag_files(col, staging, files, algos, info or {}, size, fsync)
        release_staging(staging)
        if serialize:
            serialize_bag(staging, serialize, output=final, top_folder=target.name)
            # the archive is written through mkstemp (0600): give it the umask's mode
            os.chmod(final, new_file_mode())
            shutil.rmtree(staging)
        else:
            os.rename(staging, final)
            fsync_dir(parent)
    except BaseException:  # an error, Ctrl-C or SIGTERM (the CLI makes it a KeyboardInterrupt)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise
    seconds = time.monotonic() - started
    log.info("bagged %s into %s: %d files, %d bytes", col.path, final, len(files[algos[0]]), size)
    return BagSummary(final, len(files[algos[0]]), size, algos, seconds, bool(serialize))


def _copy_payload(
    source: Path,
    staging: Path,
    payload: list[tuple[str, int]],
    algos: tuple[str, ...],
    link: LinkMode,
    workers: int | None,
    fsync: bool,
    progress: Callable[[int], None] | None,
) -> tuple[dict[str, dict[str, str]], int]:
    data_root = staging / "data" / source.name
    folders = {data_root} | {(data_root / rel).parent for rel, _ in payload}
    for folder in sorted(folders):
        folder.mkdir(parents=True, exist_ok=True)
    for here, dirs, _ in os.walk(source):  # keep empty folders: the layout is the collection's
        for name in dirs:
            (data_root / Path(here).relative_to(source) / name).mkdir(parents=True, exist_ok=True)

    def linked(rel: str) -> bool:
        return link == "hardlink" and rel.startswith("archive/") and rel.endswith(".warc.gz")

    writers: Executor | None = None  # the hashlib path's pool for direct writes

    def work(rel: str) -> tuple[str, FileDigests]:
        src, dst = source / rel, data_root / rel
        if linked(rel):
            _link(src, dst)
            result = hash_file(dst, algos)
            if result.error:
                raise BagError(result.error, path=src)
            return rel, result
        try:
            return rel, copy_and_hash(src, dst, algos, fsync=fsync, writers=writers)
        except OSError as exc:
            raise BagError(f"cannot copy: {exc.strerror or exc}", path=src) from exc

    def lane_work() -> Generator[tuple[str, FileDigests], None, None]:
        jobs = []
        for rel, size in payload:
            src, dst = source / rel, data_root / rel
            if linked(rel):
                _link(src, dst)
                jobs.append(Job(dst, size, rel))
            else:
                jobs.append(Job(src, size, rel, copy_to=dst, fsync=fsync))
        with LaneRun(jobs, algos, workers=workers) as run:
            for job, result in run:
                if result.error:
                    raise BagError(result.error, path=source / job.tag)
                yield job.tag, result

    digests: dict[str, dict[str, str]] = {a: {} for a in algos}
    total = 0
    prefix = f"data/{source.name}/"
    with contextlib.ExitStack() as stack:
        if usable(algos):
            done = lane_work()
        else:
            log.info("hashing %d files with hashlib, one file per thread", len(payload))
            threads = workers or default_workers()
            writers = stack.enter_context(
                ThreadPoolExecutor(threads, thread_name_prefix="archiver-write")
            )
            done = _run(work, [(size, rel) for rel, size in payload], workers=workers)
        # closed in every case (before the writers stop), so no worker is still copying when
        # the caller removes the staging folder
        stack.enter_context(contextlib.closing(done))
        for rel, result in done:
            total += result.size
            if progress is not None:
                progress(result.size)
            for algo in algos:
                digests[algo][prefix + rel] = result.hexdigests[algo]
    if fsync:
        for folder in sorted(folders, key=lambda p: -len(p.parts)):
            fsync_dir(folder)
    return digests, total


def _link(src: Path, dst: Path) -> None:
    """Hard-link a closed WARC into the staging folder; a clear error where that cannot be."""
    try:
        os.link(src, dst)
    except OSError as exc:
        hint = (
            " (link='hardlink' needs the bag on the same file system as the collection)"
            if exc.errno == errno.EXDEV
            else ""
        )
        raise BagError(f"cannot hard-link: {exc.strerror or exc}{hint}", path=src) from exc


def _write_text(path: Path, text: str, *, fsync: bool) -> None:
    """Write a tag file in the (private) staging folder; the folder's rename is what is atomic.

    No fsync unless asked: on ext4 an fsync also pushes out every dirty page of the payload just
    copied, which would make ``fsync=False`` wait for the disk after all.
    """
    with open(path, "x", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
        if fsync:
            fh.flush()
            os.fsync(fh.fileno())


def _write_tag_files(
    col: Collection,
    staging: Path,
    digests: dict[str, dict[str, str]],
    algos: tuple[str, ...],
    info: Mapping[str, str | Sequence[str]],
    size: int,
    fsync: bool,
) -> None:
    count = len(digests[algos[0]])
    written: list[str] = []

    def write(name: str, text: str) -> None:
        _write_text(staging / name, text, fsync=fsync)
        written.append(name)

    write("bagit.txt", f"BagIt-Version: {BAGIT_VERSION}\nTag-File-Character-Encoding: UTF-8\n")
    write("bag-info.txt", format_bag_info(_info_fields(col, info, f"{size}.{count}")))
    for algo in algos:
        write(f"manifest-{algo}.txt", format_manifest(digests[algo]))
    tag_digests = {name: hash_file(staging / name, algos).hexdigests for name in written}
    for algo in algos:
        text = format_manifest({name: d[algo] for name, d in tag_digests.items()})
        _write_text(staging / f"tagmanifest-{algo}.txt", text, fsync=fsync)
    if fsync:
        fsync_dir(staging)
