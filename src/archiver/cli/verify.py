"""`archiver verify` (not written yet)."""

from __future__ import annotations

import click


@click.command("verify")
def verify_command() -> int:
    """Not implemented yet."""
    raise click.UsageError("archiver verify is not implemented yet")
