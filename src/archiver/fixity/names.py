"""Names in a bag: operating-system files, collisions, and names that are not UTF-8.

Shared by the folder checks (:mod:`archiver.fixity.inspection`) and the streamed checks of a
serialised bag (:mod:`archiver.fixity.streamed`), so both report a name the same way.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import replace
from typing import TYPE_CHECKING

from archiver.fixity.report import RecordRef

if TYPE_CHECKING:
    from archiver.fixity.inspection import Inspection

__all__ = [
    "SYSTEM_FILES",
    "collisions",
    "is_printable",
    "is_system_file",
    "printable",
    "printable_names",
]

SYSTEM_FILES = {
    ".ds_store",
    "thumbs.db",
    "desktop.ini",
    "ehthumbs.db",
    ".spotlight-v100",
    ".trashes",
}


def is_system_file(name: str) -> bool:
    """Whether a file name is one an operating system leaves behind (``.DS_Store``, ``._x``)."""
    return name.lower() in SYSTEM_FILES or name.startswith("._")


def collisions(paths: list[str], found: Inspection, where: str) -> None:
    """Warn about names that differ only in Unicode normalisation or in letter case."""
    by_case: dict[str, list[str]] = defaultdict(list)
    by_norm: dict[str, list[str]] = defaultdict(list)
    for p in paths:
        by_case[unicodedata.normalize("NFC", p).casefold()].append(p)
        by_norm[unicodedata.normalize("NFC", p)].append(p)
    for group in by_norm.values():
        if len(set(group)) > 1:
            found.add(
                "warning",
                "normalization-collision",
                f"names {where} differ only in Unicode normalisation: {sorted(set(group))}",
                path=group[0],
            )
    for group in by_case.values():
        distinct = {unicodedata.normalize("NFC", g) for g in group}
        if len(distinct) > 1:
            found.add(
                "warning",
                "case-collision",
                f"names {where} differ only in letter case: {sorted(distinct)}",
                path=group[0],
            )


def printable(text: str) -> str:
    """Text holding a name that is not UTF-8 on disk (surrogate-escaped) with \\xNN escapes."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def is_printable(text: str | None) -> bool:
    return text is None or text.isascii() or printable(text) == text


def printable_names(found: Inspection) -> None:
    """Escape every name that is not UTF-8, wherever the inspection holds one.

    Reports, JSON, PREMIS and the history are UTF-8: a file or folder whose name on disk is not
    (its bytes surrogate-escaped by Python) is written with ``\\xNN`` escapes, the same way in
    every run, so the history still matches it from one run to the next.
    """

    def ref(record: RecordRef | None) -> RecordRef | None:
        if record is None or is_printable(record.file):
            return record
        return replace(record, file=printable(record.file))

    found.problems[:] = [
        p
        if is_printable(p.path) and is_printable(p.message) and ref(p.record) is p.record
        else replace(
            p,
            path=printable(p.path) if p.path is not None else None,
            message=printable(p.message),
            record=ref(p.record),
        )
        for p in found.problems
    ]
    found.files[:] = [
        f if is_printable(f.path) else replace(f, path=printable(f.path)) for f in found.files
    ]
    found.damaged_records[:] = [
        r if is_printable(r.file) else replace(r, file=printable(r.file))
        for r in found.damaged_records
    ]
    found.current = {printable(k): v for k, v in found.current.items()}
