"""``verify``: one fixity run of a bag folder or serialised bag."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from archiver._version import __version__
from archiver.bag.profile import BagFiles, check_profile, load_profile
from archiver.bag.serialize import serialization_of
from archiver.errors import FixityError
from archiver.fixity.checks import inspect_bag, printable, printable_names
from archiver.fixity.history import record_run
from archiver.fixity.report import FixityReport, Problem
from archiver.fixity.streamed import inspect_archive
from archiver.hashing import PoolKind

__all__ = ["verify"]

log = logging.getLogger(__name__)

TOOL = f"archiver {__version__}"


def verify(
    bag: str | os.PathLike[str],
    *,
    fast: bool = False,
    history: str | os.PathLike[str] | None = None,
    profile: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    check_warcs: bool = True,
    workers: int | None = None,
    pool: PoolKind = "thread",
    progress: Callable[[int], None] | None = None,
) -> FixityReport:
    """Verify a bag (folder, or .tar/.tar.gz/.zip) and return a report of every problem.

    Checks every RFC 8493 rule for a complete and valid bag and, inside the payload, every WARC
    record's block and payload digest.  ``fast=True`` checks completeness and Payload-Oxum only
    (no digests; the report says so).  ``history`` is a SQLite file where the run is stored and
    compared with the previous run of the same bag (None: not recorded).  ``profile`` is a
    BagIt profile (path or mapping) to validate against as well.  Nothing is written inside the
    bag; a serialised bag is read as a stream, entry by entry, and nothing is unpacked
    (:mod:`archiver.fixity.streamed`).

    Raises :class:`~archiver.errors.UnsafePathError` for a serialised bag with unsafe entries,
    :class:`~archiver.errors.BagError` if ``bag`` does not exist or cannot be opened.
    """
    source = Path(bag)
    if not source.exists():
        raise FixityError("no such bag", path=source)
    started = datetime.now(timezone.utc)
    fmt = serialization_of(source) if source.is_file() else None
    loaded = load_profile(profile) if profile is not None else None
    if source.is_dir():
        found = inspect_bag(
            source,
            fast=fast,
            check_warcs=check_warcs,
            workers=workers,
            pool=pool,
            progress=progress,
        )
        view = None
    else:  # streamed, nothing unpacked
        found, listing = inspect_archive(
            source, fmt, fast=fast, check_warcs=check_warcs, progress=progress
        )
        view = BagFiles(listing.others | set(listing.payload), listing.open)
    if loaded is not None:
        for message in check_profile(view or source, loaded, serialization=fmt):
            found.add("error", "profile", message)
    printable_names(found)
    finished = datetime.now(timezone.utc)
    problems = tuple(found.problems)
    errors = sum(p.severity == "error" for p in problems)
    run_id = previous_id = None
    changes: tuple[Any, ...] = ()
    key = printable(str(source.resolve()))
    if history is not None:
        run_id, previous_id, change_list = record_run(
            history,
            bag=key,
            started=started,
            finished=finished,
            tool=TOOL,
            fast=fast,
            ok=errors == 0,
            errors=errors,
            warnings=len(problems) - errors,
            files=found.files,
            current=found.current,
            algorithm=found.history_algorithm,
        )
        changes = tuple(change_list)
    profile_name = None
    if loaded is not None:
        profile_name = str(loaded["BagIt-Profile-Info"]["BagIt-Profile-Identifier"])
    return FixityReport(
        bag=printable(str(source)),
        started=started,
        finished=finished,
        tool=TOOL,
        fast=fast,
        bagit_version=found.declaration.version_text if found.declaration else None,
        algorithms=found.algorithms,
        payload_files=found.payload_files,
        payload_bytes=found.payload_bytes,
        problems=_ordered(problems),
        files=tuple(found.files),
        warc_files=found.warc_files,
        warc_records=found.warc_records,
        damaged_records=tuple(found.damaged_records),
        changes=changes,
        run_id=run_id,
        previous_run_id=previous_id,
        profile=profile_name,
    )


def _ordered(problems: tuple[Problem, ...]) -> tuple[Problem, ...]:
    return tuple(sorted(problems, key=lambda p: (p.severity != "error", p.path or "", p.code)))
