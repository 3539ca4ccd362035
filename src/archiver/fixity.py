"""Fixity verification runs, reports, history and PREMIS export (not written yet)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class FixityReport:
    """The outcome of one verification run (placeholder)."""

    bag: Path
    ok: bool


def verify(bag: str | Path) -> FixityReport:
    """Verify a bag."""
    raise NotImplementedError
