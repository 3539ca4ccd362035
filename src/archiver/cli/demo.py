"""`archiver demo` (being written)."""

from __future__ import annotations

import click


@click.command("demo")
def demo_command() -> int:
    """Not implemented yet."""
    raise click.UsageError("not implemented yet")
