"""The ``archiver`` command: a thin shell over the public API.

Each sub-command lives in its own module and only parses options, calls the API and prints.
Exit codes: 0 success; 1 the work ran and found a problem; 2 bad usage or bad input.
"""

from __future__ import annotations

import importlib
import logging
import signal
import sys
import threading
from collections.abc import Sequence

import click

from archiver import __version__
from archiver.errors import ArchiverError, StorageError

EXIT_OK = 0
EXIT_PROBLEM = 1
EXIT_USAGE = 2


# Sub-commands are imported only when used: `archiver capture` need not load the extractor.
_COMMANDS = {
    "capture": ("archiver.cli.capture", "capture_command"),
    "extract": ("archiver.cli.extract", "extract_command"),
    "index": ("archiver.cli.index", "index_command"),
    "bag": ("archiver.cli.bag", "bag_command"),
    "verify": ("archiver.cli.verify", "verify_command"),
    "demo": ("archiver.cli.demo", "demo_command"),
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        where = _COMMANDS.get(cmd_name)
        if where is None:
            return None
        command = getattr(importlib.import_module(where[0]), where[1])
        assert isinstance(command, click.Command)
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="archiver")
@click.option("-v", "--verbose", count=True, help="Log more (-v info, -vv debug).")
def cli(verbose: int) -> None:
    """Preserve news articles: capture, extract, bag, verify."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM (systemd, kill, a container stopping) is a Ctrl-C


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (never calls ``sys.exit`` itself).

    SIGTERM is handled as Ctrl-C: the command stops within seconds and leaves what it wrote
    consistent (a capture resumes when run again).
    """
    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if in_main else None
    try:
        result = cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_USAGE
    except (click.exceptions.Abort, KeyboardInterrupt):
        click.echo("Interrupted: stopped; what was written is consistent (run again to resume).",
                   err=True)  # fmt: skip
        return EXIT_PROBLEM
    except ArchiverError as exc:
        click.echo(f"error: {exc}", err=True)
        return exit_code_for(exc)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return int(result or 0)


def exit_code_for(exc: ArchiverError) -> int:
    """2 for bad usage or input; 1 when the work could not finish (a full or read-only disk)."""
    return EXIT_PROBLEM if isinstance(exc, StorageError) else EXIT_USAGE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
