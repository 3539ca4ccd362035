"""``archiver extract``: WARC files or collections → article records (JSON Lines)."""

from __future__ import annotations

import json
import sys
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

import click

from archiver.collection import Collection
from archiver.errors import UsageError
from archiver.extract import SiteRules, load_rules
from archiver.pipeline import ExtractProgress, ExtractSummary, extract_warcs


def summary_dict(summary: ExtractSummary) -> dict[str, Any]:
    """The summary as JSON-ready data (what ``--json`` prints)."""
    data = asdict(summary)
    data["output"] = str(summary.output) if summary.output else "-"
    data["ok"] = summary.ok
    return data


def format_summary(summary: ExtractSummary) -> str:
    """Human lines: how many records, where, and every invalid record or failure."""
    where = summary.output if summary.output else "standard output"
    lines = [
        f"Wrote {summary.written} article record(s) from {len(summary.warc_files)} WARC file(s)"
        f" to {where} in {summary.seconds:.1f}s"
        + (f"; {summary.empty} page(s) had no article text" if summary.empty else "")
    ]
    for bad in summary.invalid:
        lines.append(f"invalid record left out: {bad.url} ({bad.warc_filename}@{bad.offset})")
        lines.extend(f"  {error}" for error in bad.errors)
    for failure in summary.failures:
        lines.append(f"not extracted: {failure.url}: {failure.reason}")
    return "\n".join(lines)


def _with_progress(
    warcs: list[Path], output: str | IO[str], rules: SiteRules | None, executor: Executor | None
) -> ExtractSummary:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]extracting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[written]} records", style="dim"),
        console=Console(stderr=True),
        transient=True,
    ) as bar:
        task = bar.add_task("extract", total=len(warcs), written=0)

        def update(p: ExtractProgress) -> None:
            bar.update(task, completed=p.warc_files_done, written=p.written)

        return extract_warcs(warcs, output=output, rules=rules, executor=executor, progress=update)


def _inputs(paths: tuple[str, ...]) -> tuple[list[Path], Path | None]:
    """WARC files to read and, for a single collection, its articles.jsonl."""
    warcs: list[Path] = []
    collections: list[Collection] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            col = Collection.open(path)
            collections.append(col)
            warcs.extend(col.warc_files())
        elif path.is_file():
            warcs.append(path)
        else:
            raise UsageError(f"{path}: no such file or collection")
    default = collections[0].articles_path if len(collections) == 1 == len(paths) else None
    return warcs, default


@click.command("extract")
@click.argument("inputs", nargs=-1, required=True, metavar="COLLECTION_OR_WARC...")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="JSON Lines file to write ('-' for standard output). "
    "Default: the collection's articles/articles.jsonl, or standard output for WARC files.",
)
@click.option("--rules", type=click.Path(dir_okay=False, exists=True), help="Site rules file.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=1, show_default=True,
              help="Processes to use (one WARC file per task).")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def extract_command(
    inputs: tuple[str, ...], output: str | None, rules: str | None, jobs: int, as_json: bool
) -> int:
    """Extract article text and metadata from WARC files or collections.

    Every record is validated against the article schema before it is written; an invalid
    record is reported with its URL and errors and left out (exit code 1).
    """
    warcs, default = _inputs(inputs)
    site_rules: SiteRules | None = load_rules(rules) if rules else None
    target = output or (str(default) if default else "-")
    to_stdout = target == "-"
    executor = ProcessPoolExecutor(max_workers=jobs) if jobs > 1 else None
    output_to: str | IO[str] = sys.stdout if to_stdout else target
    try:
        if not as_json and sys.stderr.isatty():
            summary = _with_progress(warcs, output_to, site_rules, executor)
        else:
            summary = extract_warcs(warcs, output=output_to, rules=site_rules, executor=executor)
    finally:
        if executor is not None:
            executor.shutdown()
    report = json.dumps(summary_dict(summary), indent=2) if as_json else format_summary(summary)
    # Records own standard output when they are written there; the report then goes to stderr.
    click.echo(report, err=to_stdout)
    return 0 if summary.ok else 1
