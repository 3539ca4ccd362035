"""Run archiver verify and bagit-python on every case of the LoC BagIt conformance suite.

Prints a Markdown table (case, expected, archiver, bagit-python) for docs/fixity.md::

    python benchmarks/fixity/conformance.py > /tmp/table.md

A case counts as right when the verdict matches its folder: valid (no error), invalid and
linux-only/windows-only (an error), warning (no error and a warning).  bagit-python reports
warnings only through its logger, so they are captured from there.
"""

from __future__ import annotations

import logging
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

import bagit  # noqa: E402

from archiver.fixity import verify  # noqa: E402

SUITE = ROOT.parent / "shared" / "data" / "bagit-conformance-suite"
RESTORE = {"special-system-files": "data/.DS_Store"}  # lost by git; see tests/fixity


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record.getMessage())


def bagit_python(path: Path) -> str:
    handler = _Collect()
    logger = logging.getLogger("bagit")
    logger.addHandler(handler)
    try:
        bagit.Bag(str(path)).validate()
        verdict = "valid"
    except (bagit.BagError, bagit.BagValidationError, OSError, UnicodeError, ValueError) as exc:
        verdict = f"invalid ({type(exc).__name__})"
    finally:
        logger.removeHandler(handler)
    if verdict == "valid" and handler.records:
        verdict = "valid + warning"
    return verdict


def archiver(path: Path) -> str:
    report = verify(path)
    if not report.ok:
        return "invalid (" + ", ".join(sorted({p.code for p in report.errors})) + ")"
    if report.warnings:
        return "valid + warning (" + ", ".join(sorted({p.code for p in report.warnings})) + ")"
    return "valid"


def right(category: str, verdict: str) -> bool:
    if category == "valid":
        return verdict.startswith("valid")
    if category == "warning":
        return verdict.startswith("valid + warning")
    return verdict.startswith("invalid")


def main() -> int:
    logging.getLogger("bagit").setLevel(logging.WARNING)
    logging.getLogger("bagit").propagate = False
    rows = []
    score = {"archiver": 0, "bagit": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for case in sorted(p for p in SUITE.glob("v*/*/*") if p.is_dir()):
            category = case.parent.name
            path = case
            if case.name in RESTORE and not (case / RESTORE[case.name]).exists():
                path = Path(tmp) / case.name
                shutil.copytree(case, path)
                (path / RESTORE[case.name]).write_bytes(b"")
            ours, theirs = archiver(path), bagit_python(path)
            score["archiver"] += right(category, ours)
            score["bagit"] += right(category, theirs)
            ok_ours = "yes" if right(category, ours) else "**no**"
            ok_theirs = "yes" if right(category, theirs) else "**no**"
            rows.append(
                f"| {case.parent.parent.name}/{category}/{case.name} | {category} | "
                f"{ours} | {ok_ours} | {theirs} | {ok_theirs} |"
            )
    total = len(rows)
    print(
        f"archiver right on {score['archiver']} of {total}; "
        f"bagit-python on {score['bagit']} of {total}.\n"
    )
    print("| case | expected | archiver verify | right | bagit-python 1.9 | right |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
