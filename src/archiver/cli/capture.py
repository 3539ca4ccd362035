"""`archiver capture` (being written)."""

from __future__ import annotations

import click


@click.command("capture")
def capture_command() -> int:
    """Not implemented yet."""
    raise click.UsageError("not implemented yet")
