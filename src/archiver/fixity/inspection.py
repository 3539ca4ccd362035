"""The state of one bag inspection, the payload walk, and safe reading of tag files.

Split from :mod:`archiver.fixity.checks`: :class:`Inspection` collects every problem;
:func:`walk_payload` lists the payload without following links; :func:`tag_lines` and
:func:`read_bagit_txt` open a tag file through a :class:`~archiver.fixity.tagsource.TagSource`
(a folder's: only if it is a regular file, a symbolic link, FIFO or device in its place is
reported, never read) and read it a line at a time; :func:`warc_problems` adds a WARC file's
checks.  Names (system files, collisions, names that are not UTF-8) are checked by
:mod:`archiver.fixity.names`.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from archiver.bag.tagfiles import BagDeclaration, TagIssue, parse_bagit_txt
from archiver.bag.tagread import Refusal, TagLines, file_kind, read_opened, shown
from archiver.errors import WARCFormatError
from archiver.fixity.names import collisions, is_printable, is_system_file
from archiver.fixity.report import FileCheck, Problem, RecordRef, Severity
from archiver.fixity.tagsource import TagSource
from archiver.warc.check import RecordCheck, WarcCheck
from archiver.warc.reader import iter_records

__all__ = [
    "Inspection",
    "check_arc",
    "read_bagit_txt",
    "tag_lines",
    "walk_payload",
    "warc_problems",
]

#: bytes read of bagit.txt (two short lines)
BAGIT_TXT_LIMIT = 4096


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
            if not is_printable(entry.name):
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
                if is_system_file(name):
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


def _refused(found: Inspection, name: str, refusal: Refusal) -> None:
    code = {"symlink": "symlink", "special-file": "special-file"}.get(
        refusal.kind, "tag-file-unreadable"
    )
    found.add("error", code, f"tag file {refusal.reason}", path=name)


@contextlib.contextmanager
def tag_lines(
    tags: TagSource, name: str, encoding: str, found: Inspection
) -> Iterator[TagLines | None]:
    """The lines of the tag file ``name`` (None if it is missing or refused, which is reported
    unless missing); problems met while reading are added when the block ends."""
    opened = tags.open(name)
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


def read_bagit_txt(tags: TagSource, found: Inspection) -> None:
    """Read bagit.txt (refused unread unless a regular file) into ``found.declaration``."""
    data = read_opened(tags.open("bagit.txt"), BAGIT_TXT_LIMIT)
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


def warc_problems(warc: WarcCheck, found: Inspection) -> None:
    """Add a WARC file's problems to ``found``: each damaged record is listed and gives at least
    one error (so a report that lists a damaged record is never ``ok``)."""
    found.warc_files += 1
    found.warc_records += len(warc.records)
    for error in warc.errors:
        found.add("error", "warc-file-damaged", error, path=warc.file)
    for record in warc.records:
        if record.ok:
            continue
        found.damaged_records.append(record)
        ref = RecordRef.of(record)
        for label, digest in (("block", record.block), ("payload", record.payload)):
            name = f"WARC-{label.title()}-Digest"
            if digest.outcome == "mismatch":
                found.add(
                    "error",
                    f"warc-{label}-digest",
                    f"the record's {name} no longer matches",
                    path=warc.file,
                    algorithm=digest.algorithm,
                    expected=digest.expected,
                    actual=digest.actual,
                    record=ref,
                )
            elif digest.outcome in ("unsupported", "invalid"):
                why = "names an algorithm hashlib does not know"
                if digest.outcome == "invalid":
                    why = "is not a valid digest value for its algorithm"
                found.add(
                    "error",
                    f"warc-digest-{digest.outcome}",
                    f"{name} {shown(digest.header or '')} {why}: the record cannot be checked",
                    path=warc.file,
                    algorithm=digest.algorithm,
                    record=ref,
                )
            elif digest.outcome == "unreadable" and not record.errors:
                found.add(
                    "error",
                    "warc-record-damaged",
                    f"the record could not be read far enough to check its {name}",
                    path=warc.file,
                    record=ref,
                )
        for error in record.errors:
            found.add("error", "warc-record-damaged", error, path=warc.file, record=ref)


def check_arc(root: Path, path: str, found: Inspection) -> None:
    """ARC records carry no digests: read each one whole (its framing), and say what could
    not be checked."""
    try:
        count = sum(1 for _ in iter_records(root / path, arc=True))
    except WARCFormatError as exc:
        found.add("error", "arc-record-damaged", f"an ARC record cannot be read: {exc.reason}",
                  path=path)  # fmt: skip
        return
    found.add(
        "warning",
        "arc-not-record-checked",
        f"an ARC file: its {count} records were read whole, but ARC records carry no digests "
        "to check (its manifest digests are checked)",
        path=path,
    )
