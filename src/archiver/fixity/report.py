"""The fixity report: typed problems, per-file outcomes, damaged WARC records, history changes.

:func:`format_report` renders it for people (the CLI and ``archiver demo`` both use it);
:func:`report_to_json` gives the document described by ``schemas/fixity-report.schema.json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from archiver.warc.check import RecordCheck

__all__ = [
    "Change",
    "FileChange",
    "FileCheck",
    "FileOutcome",
    "FixityReport",
    "Problem",
    "RecordRef",
    "Severity",
    "format_report",
    "report_to_json",
]

Severity = Literal["error", "warning"]
FileOutcome = Literal["ok", "mismatch", "missing", "unlisted", "unreadable", "present"]
Change = Literal["confirmed", "changed", "missing", "new", "moved"]


@dataclass(frozen=True)
class RecordRef:
    """Where a WARC record sits: bag-relative file, gzip member offset, id, type and URI."""

    file: str
    offset: int
    record_id: str | None
    warc_type: str | None
    target_uri: str | None

    @classmethod
    def of(cls, check: RecordCheck) -> RecordRef:
        return cls(check.file, check.offset, check.record_id, check.warc_type, check.target_uri)


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding.  ``code`` is stable (see docs/fixity.md); ``message`` is for people."""

    severity: Severity
    code: str
    message: str
    path: str | None = None
    algorithm: str | None = None
    expected: str | None = None
    actual: str | None = None
    record: RecordRef | None = None


@dataclass(frozen=True, slots=True)
class FileCheck:
    """The outcome for one file and one algorithm."""

    path: str
    algorithm: str
    expected: str | None
    actual: str | None
    outcome: FileOutcome


@dataclass(frozen=True)
class FileChange:
    """How a payload file changed since the previous run recorded in the history."""

    path: str
    change: Change
    previous_path: str | None = None
    algorithm: str | None = None
    previous: str | None = None
    current: str | None = None


@dataclass(frozen=True)
class FixityReport:
    """The outcome of one verification run of one bag.

    ``ok`` is True when no problem is an error.  ``damaged_records`` holds every WARC record
    whose digests or gzip member failed; ``warc_records`` counts all records read.
    """

    bag: str
    started: datetime
    finished: datetime
    tool: str
    fast: bool
    bagit_version: str | None
    algorithms: tuple[str, ...]
    payload_files: int
    payload_bytes: int
    problems: tuple[Problem, ...]
    files: tuple[FileCheck, ...]
    warc_files: int = 0
    warc_records: int = 0
    damaged_records: tuple[RecordCheck, ...] = ()
    changes: tuple[FileChange, ...] = ()
    run_id: int | None = None
    previous_run_id: int | None = None
    profile: str | None = None

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    @property
    def ok(self) -> bool:
        return not self.errors

    def changes_of(self, kind: Change) -> tuple[FileChange, ...]:
        return tuple(c for c in self.changes if c.change == kind)


def _problem_line(p: Problem) -> str:
    parts = [f"[{p.code}]"]
    if p.path:
        parts.append(p.path)
    if p.record is not None:
        r = p.record
        parts.append(
            f"record at offset {r.offset} {r.record_id or '(no id)'} "
            f"({r.warc_type or '?'} {r.target_uri or '-'})"
        )
    if p.algorithm:
        parts.append(f"{p.algorithm}")
    line = " ".join(parts) + f": {p.message}"
    if p.expected is not None or p.actual is not None:
        line += f"\n      expected {p.expected or '-'}\n      actual   {p.actual or '-'}"
    return line


def format_report(report: FixityReport, *, max_lines: int = 200) -> str:
    """The report as text for a terminal: verdict, what was checked, every problem, changes."""
    lines: list[str] = []
    verdict = "VALID" if report.ok else "INVALID"
    lines.append(f"bag:      {report.bag}")
    lines.append(
        f"result:   {verdict} ({len(report.errors)} errors, {len(report.warnings)} warnings)"
    )
    if report.fast:
        lines.append("mode:     FAST - completeness and Payload-Oxum only; NO digests were checked")
    else:
        lines.append(
            f"checked:  {report.payload_files} payload files ({report.payload_bytes} bytes) "
            f"with {', '.join(report.algorithms) or 'no algorithm'}; "
            f"{report.warc_records} records in {report.warc_files} WARC files"
        )
    seconds = (report.finished - report.started).total_seconds()
    lines.append(
        f"run:      {report.started.isoformat(timespec='seconds')} ({seconds:.2f} s)"
        + (f", history run #{report.run_id}" if report.run_id is not None else "")
    )
    if report.profile:
        lines.append(f"profile:  {report.profile}")
    for title, group in (("errors", report.errors), ("warnings", report.warnings)):
        if group:
            lines.append(f"{title}:")
            for problem in group[:max_lines]:
                lines.append("  - " + _problem_line(problem).replace("\n", "\n  "))
            if len(group) > max_lines:
                lines.append(f"  ... and {len(group) - max_lines} more")
    if report.previous_run_id is not None:
        counts = {
            k: len(report.changes_of(k))
            for k in ("confirmed", "changed", "missing", "new", "moved")
        }
        summary = ", ".join(f"{n} {k}" for k, n in counts.items())
        lines.append(f"since run #{report.previous_run_id}: {summary}")
        for change in report.changes:
            if change.change == "confirmed":
                continue
            if change.change == "moved":
                lines.append(f"  - moved   {change.previous_path} -> {change.path}")
            else:
                lines.append(f"  - {change.change:<7} {change.path}")
    elif report.run_id is not None:
        lines.append("history:  first run for this bag (baseline recorded)")
    return "\n".join(lines)


def _record_json(r: RecordCheck) -> dict[str, Any]:
    def digest(d: Any) -> dict[str, Any]:
        return {
            "outcome": d.outcome,
            "algorithm": d.algorithm,
            "expected": d.expected,
            "actual": d.actual,
            "actual_decoded": d.actual_decoded,
            "basis": d.basis,
        }

    return {
        "file": r.file,
        "offset": r.offset,
        "record_id": r.record_id,
        "warc_type": r.warc_type,
        "target_uri": r.target_uri,
        "block_digest": digest(r.block),
        "payload_digest": digest(r.payload),
        "errors": list(r.errors),
    }


def report_to_json(report: FixityReport) -> dict[str, Any]:
    """The report as a JSON-ready dict (validates against fixity-report.schema.json)."""

    def problem(p: Problem) -> dict[str, Any]:
        out: dict[str, Any] = {"severity": p.severity, "code": p.code, "message": p.message}
        for key in ("path", "algorithm", "expected", "actual"):
            value = getattr(p, key)
            if value is not None:
                out[key] = value
        if p.record is not None:
            out["record"] = {
                "file": p.record.file,
                "offset": p.record.offset,
                "record_id": p.record.record_id,
                "warc_type": p.record.warc_type,
                "target_uri": p.record.target_uri,
            }
        return out

    return {
        "format": "archiver-fixity-report/1",
        "bag": report.bag,
        "ok": report.ok,
        "fast": report.fast,
        "digests_checked": not report.fast,
        "started": report.started.isoformat(),
        "finished": report.finished.isoformat(),
        "tool": report.tool,
        "bagit_version": report.bagit_version,
        "algorithms": list(report.algorithms),
        "payload": {"files": report.payload_files, "bytes": report.payload_bytes},
        "warc": {
            "files": report.warc_files,
            "records": report.warc_records,
            "damaged_records": [_record_json(r) for r in report.damaged_records],
        },
        "errors": len(report.errors),
        "warnings": len(report.warnings),
        "problems": [problem(p) for p in report.problems],
        "files": [
            {
                "path": f.path,
                "algorithm": f.algorithm,
                "expected": f.expected,
                "actual": f.actual,
                "outcome": f.outcome,
            }
            for f in report.files
        ],
        "history": {
            "run_id": report.run_id,
            "previous_run_id": report.previous_run_id,
            "changes": [
                {
                    "path": c.path,
                    "change": c.change,
                    "previous_path": c.previous_path,
                    "algorithm": c.algorithm,
                    "previous": c.previous,
                    "current": c.current,
                }
                for c in report.changes
            ],
        },
        "profile": report.profile,
    }
