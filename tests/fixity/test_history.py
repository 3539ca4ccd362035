"""The fixity history: runs stored with per-file outcomes, changes against the previous run."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from archiver.bag import BagSummary
from archiver.fixity import default_history_path, last_runs, verify
from archiver.fixity.history import _changes


def test_runs_and_files_are_stored(bag: BagSummary, tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    first = verify(bag.path, history=db)
    second = verify(bag.path, history=db)
    runs = last_runs(db)
    assert [r.id for r in runs] == [second.run_id, first.run_id]
    assert runs[0].ok and runs[0].bag == str(bag.path.resolve())
    assert runs[0].tool.startswith("archiver ")
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT path, algorithm, expected, actual, outcome FROM files WHERE run_id = ?",
            (second.run_id,),
        ).fetchall()
    conn.close()
    assert len(rows) == (bag.payload_files + 4) * 2  # payload + tag files, two algorithms
    assert {r[4] for r in rows} == {"ok"}
    assert all(r[2] == r[3] for r in rows)
    assert {c.change for c in second.changes} == {"confirmed"}
    assert len(second.changes) == bag.payload_files


def test_fast_runs_report_presence_only(bag: BagSummary, tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    verify(bag.path, history=db)
    (bag.path / "data" / "karen-news" / "articles" / "articles.jsonl").unlink()
    fast = verify(bag.path, history=db, fast=True)
    assert [(c.change, c.path) for c in fast.changes] == [
        ("missing", "data/karen-news/articles/articles.jsonl")
    ]


def test_bags_are_kept_apart(bag: BagSummary, tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    verify(bag.path, history=db)
    other = tmp_path / "copy"
    __import__("shutil").copytree(bag.path, other)
    report = verify(other, history=db)
    assert report.previous_run_id is None
    assert len(last_runs(db, bag=str(other.resolve()))) == 1


def test_change_rules() -> None:
    previous = {"a": "1", "b": "2", "c": "3", "d": "4"}
    current = {"a": "1", "b": "9", "e": "3", "f": "5"}
    changes = {(c.change, c.path, c.previous_path) for c in _changes(previous, current, "sha512")}
    assert changes == {
        ("confirmed", "a", None),
        ("changed", "b", None),
        ("moved", "e", "c"),
        ("missing", "d", None),
        ("new", "f", None),
    }


def test_default_history_path_is_in_user_data_dir() -> None:
    path = default_history_path()
    assert path.name == "fixity-history.sqlite" and "archiver" in str(path)
