"""`archiver extract` (not written yet)."""

from __future__ import annotations

import click


@click.command("extract")
def extract_command() -> int:
    """Not implemented yet."""
    raise click.UsageError("archiver extract is not implemented yet")
