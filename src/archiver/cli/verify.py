"""``archiver verify BAG ...``: fixity runs with history, JSON and PREMIS output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from archiver.bag import load_profile
from archiver.cli.progress import byte_progress, tree_size
from archiver.errors import ArchiverError, UsageError
from archiver.fixity import (
    FixityReport,
    default_history_path,
    format_report,
    report_to_json,
    verify,
    write_premis,
)


@click.command("verify")
@click.argument("bags", nargs=-1, required=True, type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (one per bag).")
@click.option("--history", type=click.Path(dir_okay=False), help="SQLite history file.")
@click.option("--no-history", is_flag=True, help="Do not record this run.")
@click.option("--premis", type=click.Path(dir_okay=False), help="Write PREMIS 3 events here.")
@click.option("--fast", is_flag=True, help="Completeness and Payload-Oxum only; no digests.")
@click.option(
    "--profile",
    metavar="FILE|archiver",
    help="Also validate against a BagIt profile ('archiver' = the shipped one).",
)
@click.option("--no-warc", is_flag=True, help="Do not check WARC record digests.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Hashing workers (default: cores). SHA-512 is hashed four files at a time where the "
    "CPU allows (ARCHIVER_SHA512_LANES=0: hashlib only; -v says which).",
)
@click.option("--processes", is_flag=True, help="Hash in worker processes instead of threads.")
def verify_command(
    bags: tuple[str, ...],
    as_json: bool,
    history: str | None,
    no_history: bool,
    premis: str | None,
    fast: bool,
    profile: str | None,
    no_warc: bool,
    workers: int | None,
    processes: bool,
) -> int:
    """Verify each BAG (folder, .tar, .tar.gz or .zip).

    Exit 0: every bag valid; 1: a problem found in some bag; 2: bad usage, or a bag that
    cannot be opened (missing, or a serialised bag with unsafe entries).  Runs are recorded
    in the history (default: fixity-history.sqlite in the user's data folder).
    """
    if premis and len(bags) > 1:
        raise UsageError("--premis takes one bag at a time")
    if history and no_history:
        raise UsageError("--history and --no-history contradict each other")
    db: Path | None = None if no_history else Path(history) if history else default_history_path()
    loaded: dict[str, Any] | None = None
    if profile:
        loaded = load_profile(None if profile == "archiver" else profile)
    status = 0
    for bag in bags:
        try:
            report = _run(bag, db, fast, loaded, no_warc, workers, processes)
        except ArchiverError as exc:
            click.echo(f"error: {exc}", err=True)
            status = 2
            continue
        if premis:
            write_premis(report, premis)
        if as_json:
            click.echo(json.dumps(report_to_json(report), ensure_ascii=False))
        else:
            click.echo(format_report(report))
        if not report.ok and status == 0:
            status = 1
    return status


def _run(
    bag: str,
    db: Path | None,
    fast: bool,
    loaded: dict[str, Any] | None,
    no_warc: bool,
    workers: int | None,
    processes: bool,
) -> FixityReport:
    with byte_progress(f"verifying {Path(bag).name}", tree_size(bag)) as progress:
        return verify(
            bag,
            fast=fast,
            history=db,
            profile=loaded,
            check_warcs=not no_warc,
            workers=workers,
            pool="process" if processes else "thread",
            progress=progress,
        )
