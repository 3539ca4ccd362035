"""The state of one bag inspection, the payload walk, and safe reading of tag files.

Split from :mod:`archiver.fixity.checks`: :class:`Inspection` collects every problem;
:func:`walk_payload` lists the payload without following links; :func:`tag_lines` and
:func:`read_bagit_txt` open a tag file only if it is a regular file (a symbolic link, FIFO or
device in its place is reported, never read) and read it a line at a time.
"""

from __future__ import annotations

import contextlib
import os
import stat
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from archiver.bag.tagfiles import BagDeclaration, TagIssue, parse_bagit_txt
from archiver.bag.tagread import Refusal, TagLines, file_kind, open_tag, read_small
from archiver.fixity.report import FileCheck, Problem, RecordRef, Severity
from archiver.warc.check import RecordCheck

__all__ = [
    "Inspection",
    "printable",
    "printable_names",
    "read_bagit_txt",
    "tag_lines",
    "walk_payload",
]

#: bytes read of bagit.txt (two short lines)
BAGIT_TXT_LIMIT = 4096

SYSTEM_FILES = {
    ".ds_store",
    "thumbs.db",
    "desktop.ini",
    "ehthumbs.db",
    ".spotlight-v100",
    ".trashes",
}


@dataclass
class Inspection:
    """What :func:`inspect_bag` found (mutable while it runs; the report is the frozen form)."""

    declaration: BagDeclaration | None = None
    problems: list[Problem] = field(default_factory=list)
    files: list[FileCheck] = field(default_factory=list)
    algorithms: tuple[str, ...] = ()
    payload_files: int = 0
    payload_bytes: int = 0
    warc_files: int = 0
    warc_records: int = 0
    damaged_records: list[RecordCheck] = field(default_factory=list)
    #: payload path -> hex digest in the history algorithm (for change detection)
    current: dict[str, str | None] = field(default_factory=dict)
    history_algorithm: str | None = None

    def add(self, severity: Severity, code: str, message: str, **context: object) -> None:
        self.problems.append(Problem(severity, code, message, **context))  # type: ignore[arg-type]

    def add_issue(self, issue: TagIssue) -> None:
        where = issue.path if issue.line is None else f"{issue.path} line {issue.line}"
        self.add(issue.severity, issue.code, f"{where}: {issue.message}", path=issue.path)


def walk_payload(root: Path, found: Inspection) -> dict[str, int]:
    """Every regular file under data/ as ``{relative posix path: size}``; links are reported.

    ``os.scandir`` gives each entry's type without a system call and its size with one lstat,
    where Path checks cost three per file (a bag can hold a hundred thousand files).
    """
    payload: dict[str, int] = {}
    data = root / "data"
    if not data.is_dir() or data.is_symlink():
        found.add("error", "payload-missing", "the bag has no data/ folder", path="data")
        return payload
    folders = [(str(data), "data")]
    while folders:
        folder, rel_folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            found.add(
                "error", "folder-unreadable", f"cannot list: {exc.strerror or exc}", path=rel_folder
            )
            continue
        for entry in entries:
            rel = f"{rel_folder}/{entry.name}"
            if not _is_printable(entry.name):
                found.add(
                    "warning",
                    "name-not-utf8",
                    "the name is not UTF-8: shown with \\x escapes, it can match no UTF-8 "
                    "manifest line",
                    path=rel,
                )
            if entry.is_dir(follow_symlinks=False):
                folders.append((entry.path, rel))
            elif (entry.is_symlink() and _points_to_folder(entry)) or entry.is_symlink():
                found.add(
                    "error", "symlink", "a symbolic link in the payload (not followed)", path=rel
                )
            elif not entry.is_file(follow_symlinks=False):
                found.add(
                    "error",
                    "special-file",
                    f"{_kind_of(entry)} in the payload (not read)",
                    path=rel,
                )
            else:
                try:
                    payload[rel] = entry.stat(follow_symlinks=False).st_size
                except OSError as exc:  # a folder that can be listed but not entered
                    found.add(
                        "error", "file-unreadable", f"cannot read: {exc.strerror or exc}", path=rel
                    )
                    continue
                name = entry.name
                if name.lower() in SYSTEM_FILES or name.startswith("._"):
                    found.add(
                        "warning", "system-file", f"an operating-system file ({name})", path=rel
                    )
    collisions(sorted(payload), found, "on disk")
    return payload


def _kind_of(entry: os.DirEntry[str]) -> str:
    try:
        return file_kind(entry.stat(follow_symlinks=False).st_mode)
    except OSError:
        return "a special file"


def _points_to_folder(entry: os.DirEntry[str]) -> bool:
    """Whether a symbolic link leads to a folder (a loop or a broken chain does not)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def collisions(paths: list[str], found: Inspection, where: str) -> None:
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


def _is_printable(text: str | None) -> bool:
    return text is None or text.isascii() or printable(text) == text


def printable_names(found: Inspection) -> None:
    """Escape every name that is not UTF-8, wherever the inspection holds one.

    Reports, JSON, PREMIS and the history are UTF-8: a file or folder whose name on disk is not
    (its bytes surrogate-escaped by Python) is written with ``\\xNN`` escapes, the same way in
    every run, so the history still matches it from one run to the next.
    """

    def ref(record: RecordRef | None) -> RecordRef | None:
        if record is None or _is_printable(record.file):
            return record
        return replace(record, file=printable(record.file))

    found.problems[:] = [
        p
        if _is_printable(p.path) and _is_printable(p.message) and ref(p.record) is p.record
        else replace(
            p,
            path=printable(p.path) if p.path is not None else None,
            message=printable(p.message),
            record=ref(p.record),
        )
        for p in found.problems
    ]
    found.files[:] = [
        f if _is_printable(f.path) else replace(f, path=printable(f.path)) for f in found.files
    ]
    found.damaged_records[:] = [
        r if _is_printable(r.file) else replace(r, file=printable(r.file))
        for r in found.damaged_records
    ]
    found.current = {printable(k): v for k, v in found.current.items()}


def _refused(found: Inspection, name: str, refusal: Refusal) -> None:
    code = {"symlink": "symlink", "special-file": "special-file"}.get(
        refusal.kind, "tag-file-unreadable"
    )
    found.add("error", code, f"tag file {refusal.reason}", path=name)


@contextlib.contextmanager
def tag_lines(root: Path, name: str, encoding: str, found: Inspection) -> Iterator[TagLines | None]:
    """The lines of the tag file ``name`` (None if it is missing or refused, which is reported
    unless missing); problems met while reading are added when the block ends."""
    opened = open_tag(root / name)
    if isinstance(opened, Refusal):
        if opened.kind != "missing":
            _refused(found, name, opened)
        yield None
        return
    try:
        try:
            lines = TagLines(opened, encoding)
        except (OSError, LookupError) as exc:
            found.add("error", "tag-file-unreadable", f"cannot read: {exc}", path=name)
            yield None
            return
        with lines:
            yield lines
        for severity, code, message, line in lines.problems:
            found.add_issue(TagIssue(severity, code, message, name, line))
    finally:
        opened.close()


def read_bagit_txt(root: Path, found: Inspection) -> None:
    """Read bagit.txt (refused unread unless a regular file) into ``found.declaration``."""
    data = read_small(root / "bagit.txt", BAGIT_TXT_LIMIT)
    if isinstance(data, Refusal):
        if data.kind == "missing":
            found.add("error", "bagit-txt-missing", "the bag has no bagit.txt", path="bagit.txt")
        else:
            _refused(found, "bagit.txt", data)
        return
    if len(data) > BAGIT_TXT_LIMIT:
        found.add(
            "error",
            "bagit-txt-form",
            f"bagit.txt: is longer than {BAGIT_TXT_LIMIT} bytes (two short lines expected)",
            path="bagit.txt",
        )
        return
    declaration, issues = parse_bagit_txt(data)
    found.declaration = declaration
    for issue in issues:
        found.add_issue(issue)


def is_regular(path: Path) -> bool:
    """Whether ``path`` itself (not a link's target) is a regular file."""
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False
