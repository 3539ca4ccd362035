"""``archiver bag COLLECTION BAG``: package a collection as a BagIt 1.0 bag."""

from __future__ import annotations

import json
from typing import Any

import click

from archiver.bag import DEFAULT_ALGORITHMS, SERIALIZE_FORMATS, make_bag
from archiver.cli.progress import byte_progress, tree_size
from archiver.errors import UsageError


def _parse_info(items: tuple[str, ...]) -> dict[str, list[str]]:
    info: dict[str, list[str]] = {}
    for item in items:
        label, sep, value = item.partition(":")
        if not sep or not label.strip():
            raise UsageError(f"--info wants 'Label: value', got {item!r}")
        info.setdefault(label.strip(), []).append(value.strip())
    return info


@click.command("bag")
@click.argument("collection", type=click.Path(exists=True, file_okay=False))
@click.argument("bag", type=click.Path())
@click.option("--serialize", type=click.Choice(SERIALIZE_FORMATS), help="Write one archive file.")
@click.option(
    "--info",
    "infos",
    multiple=True,
    metavar="'LABEL: VALUE'",
    help="A bag-info.txt field (repeatable).",
)
@click.option("--source-organization", help="bag-info Source-Organization.")
@click.option("--contact-name", help="bag-info Contact-Name.")
@click.option("--contact-email", help="bag-info Contact-Email.")
@click.option(
    "--algorithm",
    "algorithms",
    multiple=True,
    default=DEFAULT_ALGORITHMS,
    show_default=True,
    help="Manifest algorithm (repeatable).",
)
@click.option("--hardlink", is_flag=True, help="Hard-link closed WARC files instead of copying.")
@click.option("--no-fsync", is_flag=True, help="Do not wait for the copy to reach the disk.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Hashing threads (default: cores). SHA-512 is hashed four files at a time where the "
    "CPU allows (ARCHIVER_SHA512_LANES=0: hashlib only; -v says which).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def bag_command(
    collection: str,
    bag: str,
    serialize: Any,
    infos: tuple[str, ...],
    source_organization: str | None,
    contact_name: str | None,
    contact_email: str | None,
    algorithms: tuple[str, ...],
    hardlink: bool,
    no_fsync: bool,
    workers: int | None,
    as_json: bool,
) -> int:
    """Package COLLECTION as a BagIt 1.0 bag at BAG (the collection is never changed)."""
    info: dict[str, list[str]] = {}
    for label, value in (
        ("Source-Organization", source_organization),
        ("Contact-Name", contact_name),
        ("Contact-Email", contact_email),
    ):
        if value:
            info[label] = [value]
    for label, values in _parse_info(infos).items():
        info.setdefault(label, []).extend(values)
    with byte_progress(f"bagging {collection}", tree_size(collection)) as progress:
        summary = make_bag(
            collection,
            bag,
            info=info,
            algorithms=algorithms,
            link="hardlink" if hardlink else "copy",
            serialize=serialize,
            workers=workers,
            fsync=not no_fsync,
            progress=progress,
        )
    if as_json:
        click.echo(
            json.dumps(
                {
                    "bag": str(summary.path),
                    "payload_oxum": summary.payload_oxum,
                    "files": summary.payload_files,
                    "bytes": summary.payload_bytes,
                    "algorithms": list(summary.algorithms),
                    "seconds": round(summary.seconds, 3),
                }
            )
        )
    else:
        click.echo(
            f"bagged {summary.payload_files} files ({summary.payload_bytes} bytes) into "
            f"{summary.path} with {', '.join(summary.algorithms)} in {summary.seconds:.2f} s"
        )
    return 0
