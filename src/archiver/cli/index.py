"""``archiver index COLLECTION``: rebuild the catalog, CDXJ index and pages from the WARCs."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import click

from archiver.reindex import reindex


@click.command("index")
@click.argument("collection", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--force", is_flag=True, help="Rebuild even if an unfinished capture's queue is lost."
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def index_command(collection: Path, force: bool, as_json: bool) -> int:
    """Rebuild COLLECTION's catalog, CDXJ index and pages list from its WARC files alone.

    The old catalog is kept beside the new one (catalog.sqlite.bak-TIME). Exit code 0 when
    every WARC file was read to its end, 1 when some had an unreadable record (indexed up to
    it), 2 for bad usage.
    """
    summary = reindex(collection, force=force)
    if as_json:
        data = asdict(summary)
        data["collection"] = str(summary.collection)
        if summary.previous_catalog is not None:
            data["previous_catalog"] = str(summary.previous_catalog)
        click.echo(json.dumps(data, indent=2))
    else:
        click.echo(
            f"Indexed {summary.records} records of {summary.warc_files} WARC file(s) in "
            f"{summary.collection}: {summary.pages} page(s)"
        )
        if summary.previous_catalog is not None:
            click.echo(f"  the previous catalog is kept as {summary.previous_catalog}")
        for damage in summary.damaged:
            click.echo(f"  UNREADABLE: {damage}")
    return 1 if summary.damaged else 0
