"""The fixity history: every run of every bag in one SQLite file, kept outside the bags.

Each run stores its start, end, tool version and verdict, and per file and algorithm the path,
expected digest, actual digest and outcome.  :func:`record_run` also compares the run with the
previous run of the same bag and says, per payload file, whether it was *confirmed* (same
digest), *changed*, *missing*, *new*, or *moved* (the same digest now at another path).
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import platformdirs

from archiver.errors import FixityError
from archiver.fixity.report import FileChange, FileCheck

__all__ = ["HistoryRun", "default_history_path", "last_runs", "record_run"]

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    bag TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT NOT NULL,
    tool TEXT NOT NULL,
    fast INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    errors INTEGER NOT NULL,
    warnings INTEGER NOT NULL,
    history_algorithm TEXT
);
CREATE INDEX IF NOT EXISTS runs_bag ON runs (bag, id);
CREATE TABLE IF NOT EXISTS files (
    run_id INTEGER NOT NULL REFERENCES runs (id),
    path TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    expected TEXT,
    actual TEXT,
    outcome TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS files_run ON files (run_id);
CREATE TABLE IF NOT EXISTS payload (
    run_id INTEGER NOT NULL REFERENCES runs (id),
    path TEXT NOT NULL,
    digest TEXT
);
CREATE INDEX IF NOT EXISTS payload_run ON payload (run_id);
CREATE TABLE IF NOT EXISTS changes (
    run_id INTEGER NOT NULL REFERENCES runs (id),
    path TEXT NOT NULL,
    change TEXT NOT NULL,
    previous_path TEXT
);
"""


@dataclass(frozen=True)
class HistoryRun:
    """One stored run (summary)."""

    id: int
    bag: str
    started: str
    finished: str
    tool: str
    fast: bool
    ok: bool
    errors: int
    warnings: int


def default_history_path() -> Path:
    """``fixity-history.sqlite`` in the user's data folder (platformdirs)."""
    return Path(platformdirs.user_data_dir("archiver", appauthor=False)) / "fixity-history.sqlite"


@contextlib.contextmanager
def _connect(path: Path) -> Iterator[sqlite3.Connection]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(path, timeout=30)
    except (OSError, sqlite3.Error) as exc:
        raise FixityError(f"cannot open the fixity history: {exc}", path=path) from exc
    try:
        conn.executescript(_SCHEMA)
        with conn:
            yield conn
    except sqlite3.Error as exc:
        raise FixityError(f"fixity history error: {exc}", path=path) from exc
    finally:
        conn.close()


def _changes(
    previous: Mapping[str, str | None], current: Mapping[str, str | None], algorithm: str | None
) -> list[FileChange]:
    changes: list[FileChange] = []
    gone = sorted(set(previous) - set(current))
    added = sorted(set(current) - set(previous))
    by_digest: dict[str, list[str]] = {}
    for path in gone:
        digest = previous[path]
        if digest:
            by_digest.setdefault(digest, []).append(path)
    moved_from: set[str] = set()
    for path in added:
        digest = current[path]
        sources = by_digest.get(digest or "", [])
        if digest and sources:
            source = sources.pop(0)
            moved_from.add(source)
            changes.append(FileChange(path, "moved", source, algorithm, digest, digest))
        else:
            changes.append(FileChange(path, "new", None, algorithm, None, digest))
    for path in gone:
        if path not in moved_from:
            changes.append(FileChange(path, "missing", None, algorithm, previous[path], None))
    for path in sorted(set(previous) & set(current)):
        before, now = previous[path], current[path]
        if before is None or now is None:
            continue  # a fast run (or an unreadable file) cannot confirm content
        kind = "confirmed" if before == now else "changed"
        changes.append(FileChange(path, kind, None, algorithm, before, now))  # type: ignore[arg-type]
    return sorted(changes, key=lambda c: (c.change == "confirmed", c.path))


def record_run(
    db: str | os.PathLike[str],
    *,
    bag: str,
    started: datetime,
    finished: datetime,
    tool: str,
    fast: bool,
    ok: bool,
    errors: int,
    warnings: int,
    files: Sequence[FileCheck],
    current: Mapping[str, str | None],
    algorithm: str | None,
) -> tuple[int, int | None, list[FileChange]]:
    """Store a run; returns ``(run id, previous run id or None, changes since the previous run)``.

    ``current`` maps each payload path to its digest in ``algorithm`` (None if not computed).
    """
    path = Path(db)
    with _connect(path) as conn:
        row = conn.execute(
            "SELECT id, history_algorithm FROM runs WHERE bag = ? ORDER BY id DESC LIMIT 1", (bag,)
        ).fetchone()
        previous_id: int | None = row[0] if row else None
        changes: list[FileChange] = []
        if previous_id is not None:
            prev_algorithm = row[1]
            previous: dict[str, str | None] = {
                p: d
                for p, d in conn.execute(
                    "SELECT path, digest FROM payload WHERE run_id = ?", (previous_id,)
                )
            }
            if prev_algorithm != algorithm:
                # digests in different algorithms cannot be compared: compare presence only
                previous = dict.fromkeys(previous)
                current = dict.fromkeys(current)
            changes = _changes(previous, current, algorithm)
        cursor = conn.execute(
            "INSERT INTO runs (bag, started, finished, tool, fast, ok, errors, warnings, "
            "history_algorithm) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                bag,
                started.isoformat(),
                finished.isoformat(),
                tool,
                int(fast),
                int(ok),
                errors,
                warnings,
                algorithm,
            ),
        )
        run_id = int(cursor.lastrowid or 0)
        conn.executemany(
            "INSERT INTO files (run_id, path, algorithm, expected, actual, outcome) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(run_id, f.path, f.algorithm, f.expected, f.actual, f.outcome) for f in files],
        )
        conn.executemany(
            "INSERT INTO payload (run_id, path, digest) VALUES (?, ?, ?)",
            [(run_id, p, d) for p, d in sorted(current.items())],
        )
        conn.executemany(
            "INSERT INTO changes (run_id, path, change, previous_path) VALUES (?, ?, ?, ?)",
            [(run_id, c.path, c.change, c.previous_path) for c in changes],
        )
    log.info("recorded fixity run %d of %s in %s", run_id, bag, path)
    return run_id, previous_id, changes


def last_runs(
    db: str | os.PathLike[str], *, bag: str | None = None, limit: int = 20
) -> list[HistoryRun]:
    """The most recent runs (of one bag, or of all), newest first."""
    with _connect(Path(db)) as conn:
        query = "SELECT id, bag, started, finished, tool, fast, ok, errors, warnings FROM runs"
        args: tuple[object, ...] = ()
        if bag is not None:
            query += " WHERE bag = ?"
            args = (bag,)
        rows = conn.execute(query + " ORDER BY id DESC LIMIT ?", (*args, limit)).fetchall()
    return [
        HistoryRun(r[0], r[1], r[2], r[3], r[4], bool(r[5]), bool(r[6]), r[7], r[8]) for r in rows
    ]
