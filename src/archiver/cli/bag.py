"""`archiver bag` (not written yet)."""

from __future__ import annotations

import click


@click.command("bag")
def bag_command() -> int:
    """Not implemented yet."""
    raise click.UsageError("archiver bag is not implemented yet")
