"""``archiver demo``: the whole pipeline on the bundled example site, served on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from archiver import directio
from archiver.bag import make_bag
from archiver.capture import CaptureOptions, Seed, capture
from archiver.capture.browser.chromium import find_chromium
from archiver.cli.capture import format_summary
from archiver.collection import Collection
from archiver.errors import BrowserError, WARCError
from archiver.fixity import damage_warc_record, format_report, verify
from archiver.fsutil import atomic_write
from archiver.lanes import describe
from archiver.model import SCREENSHOT_PREFIX, BrowserOptions
from archiver.pipeline import extract_collection
from archiver.reindex import reindex
from archiver.testing import SiteServer

_MARKER = ".archiver-demo"
SEED_PATH = "/2023/11/nug-and-resistance-forces-urge-junta-troops-to-defect-before-time-runs-out/"
#: the example site's script-driven articles (see examples/site/README.md)
LIVE_PATHS = (
    "/live/2023/11/solar-power-keeps-night-clinics-open-in-northern-karen-state/",
    "/live/2023/11/live-updates-karen-state-and-the-border-november-23/",
    "/live/2023/11/seed-savers-keep-heirloom-hill-rice-varieties-alive/",
)


def _fresh_output(output: Path) -> None:
    """Empty ``output`` if an earlier demo made it; refuse to touch anything else."""
    if output.exists():
        if not (output / _MARKER).exists():
            raise click.UsageError(
                f"{output} exists and was not made by 'archiver demo'; choose another --output"
            )
        shutil.rmtree(output)
    output.mkdir(parents=True)
    (output / _MARKER).write_text("made by archiver demo; deleted by the next demo run\n")


def _step(title: str) -> None:
    click.echo("")
    click.secho(f"== {title}", bold=True)


@click.command("demo")
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=Path("demo-output"),
    show_default=True,
    help="Folder for everything the demo makes.",
)
def demo_command(output: Path) -> int:
    """Capture, extract, bag and verify the bundled example news site."""
    _fresh_output(output)
    status = 0
    with SiteServer() as site:
        click.echo(f"Serving the example news site at {site.url('/')} (127.0.0.1 only)")
        _step("capture: the site's RSS feed, every article with its images, CSS and scripts")
        col = Collection.create(
            output / "collection",
            name="karen-news-demo",
            description="Demo capture of the bundled example news site",
        )
        options = CaptureOptions(operator="archiver demo", contact="https://example.org/demo")
        summary = capture(
            [Seed.feed(site.url("/feed/")), Seed.page(site.url("/"))], col, options=options
        )
        click.echo(format_summary(summary))
        status |= 0 if summary.ok else 1
        _step("re-capture of the unchanged site: unchanged payloads become small revisits")
        again = capture(
            [Seed.feed(site.url("/feed/")), Seed.page(site.url("/"))], col, options=options
        )
        growth = again.bytes / summary.bytes if summary.bytes else 0.0
        click.echo(
            f"  second capture wrote {again.bytes:,} bytes "
            f"({growth:.1%} of the first), {again.revisits} revisit records"
        )
        status |= _browser_capture(site, col, options, output)
    _step("extract: clean article text and metadata, validated against the published schema")
    status |= _extract(col)
    _step("the collection")
    _describe(col)
    status |= _reindex_copy(col, output)
    status |= _bag_and_verify(col, output)
    click.echo("")
    click.secho(f"Done. Everything is in {output.resolve()}", bold=True)
    return status


def _browser_capture(
    site: SiteServer, col: Collection, options: CaptureOptions, output: Path
) -> int:
    """The script-driven articles, loaded in headless Chromium (skipped, saying so, without)."""
    _step("capture --browser: script-driven articles, loaded in headless Chromium")
    try:
        chromium = find_chromium()
    except BrowserError as exc:
        click.echo(f"  skipped: {exc}")
        return 0
    seeds = [site.url(path) for path in LIVE_PATHS]
    summary = capture(seeds, col, options=replace(options, browser=BrowserOptions(chromium)))
    click.echo(format_summary(summary))
    click.echo(
        "  (what only the browser found: lazy images, a script-inserted banner, JSON comments "
        "and live-blog items, an injected stylesheet and web font, a video iframe)"
    )
    for path in _save_screenshots(col, seeds, output / "screenshots"):
        click.echo(f"  screenshot: {path} (copied out of its WARC record)")
    return 0 if summary.ok else 1


def _reindex_copy(col: Collection, output: Path) -> int:
    """Lose a copy's catalog and indexes, and rebuild them from its WARC files alone."""
    _step("index: a copy loses its catalog and indexes; they are rebuilt from the WARCs alone")
    copy = output / "collection-reindexed"
    shutil.copytree(col.path, copy, ignore=shutil.ignore_patterns(".lock"))
    for name in ("catalog.sqlite", "catalog.sqlite-wal", "catalog.sqlite-shm"):
        (copy / name).unlink(missing_ok=True)
    (copy / "indexes" / "index.cdxj").unlink()
    (copy / "pages" / "pages.jsonl").unlink()
    summary = reindex(copy)
    same = (copy / "indexes" / "index.cdxj").read_bytes() == col.index_path.read_bytes()
    click.echo(
        f"  {summary.records:,} records of {summary.warc_files} WARC files, "
        f"{summary.pages} pages: index.cdxj {'identical to' if same else 'DIFFERENT from'} "
        "the capture's"
    )
    return 0 if same and not summary.damaged else 1


def _save_screenshots(col: Collection, pages: list[str], folder: Path) -> list[Path]:
    """Write the PNG screenshots of ``pages`` stored in ``col`` to ``folder``; their paths."""
    from archiver.warc.reader import iter_records

    wanted = {SCREENSHOT_PREFIX + url for url in pages}
    saved: list[Path] = []
    folder.mkdir(exist_ok=True)

    def save(record: Any) -> None:
        uri = record.rec_headers.get_header("WARC-Target-URI") or ""
        if record.rec_type == "resource" and uri in wanted:
            slug = uri.rstrip("/").rsplit("/", 1)[-1] or "page"
            target = folder / f"{slug}.png"
            with atomic_write(target, "wb") as out:
                shutil.copyfileobj(record.content_stream(), out)
            saved.append(target.resolve())

    for warc in col.warc_files():
        for _record in iter_records(warc, inspect=save):
            pass
    return saved


def _extract(col: Collection) -> int:
    summary = extract_collection(col)
    click.echo(
        f"  {summary.written} article record(s) written to {summary.output}"
        f" ({len(summary.invalid)} invalid, {summary.empty} page(s) without article text)"
    )
    for bad in summary.invalid:
        click.echo(f"  INVALID {bad.url}: {'; '.join(bad.errors)}")
    seed = rendered = None
    with col.articles_path.open(encoding="utf-8") as fh:
        for line in fh:
            record = json.loads(line)
            if seed is None and record["url"].endswith(SEED_PATH):
                seed = record  # the first capture's record (the second one is a revisit)
            if record["url"].endswith(LIVE_PATHS[2]):
                rendered = record
    if rendered is not None:
        words = len(str(rendered["text"]).split())
        click.echo(
            f"  rendered by script, so extracted from the browser's rendered DOM: "
            f"{rendered['title']!r} ({words} words, source {rendered['source']['target_uri']})"
        )
    if seed is None:
        click.echo("  the seed article was not extracted")
        return 1
    shown = dict(seed)
    text = str(shown["text"])
    shown["text"] = text[:240] + f"… [{len(text):,} characters in all]"
    click.echo("  The seed article's record (text shortened here):")
    for line in json.dumps(shown, indent=2, ensure_ascii=False).splitlines():
        click.echo("    " + line)
    return 0 if not summary.invalid else 1


def _bag_and_verify(col: Collection, output: Path) -> int:
    _step("bag: the collection packaged as a BagIt 1.0 bag (the collection is not touched)")
    bag = make_bag(
        col,
        output / "bag",
        info={
            "Source-Organization": "archiver demo",
            "Contact-Email": "archive@example.org",
        },
    )
    click.echo(f"  bag:       {bag.path.resolve()}")
    click.echo(
        f"  payload:   {bag.payload_files} files, {bag.payload_bytes:,} bytes "
        f"(Payload-Oxum {bag.payload_oxum}); manifests: {', '.join(bag.algorithms)}"
    )
    click.echo(f"  digests:   {describe(bag.algorithms)}")
    large = sum(
        1
        for path in (bag.path / "data").rglob("*")
        if path.is_file() and path.stat().st_size >= directio.MIN_SIZE
    )
    click.echo(
        f"  copies:    {directio.describe(bag.path.parent)} "
        f"(payload files that large here: {large} of {bag.payload_files})"
    )
    history = output / "fixity-history.sqlite"
    _step("verify: every file's digests and every WARC record's digests")
    report = verify(bag.path, history=history)
    for line in format_report(report).splitlines():
        click.echo("  " + line)
    if not report.ok:
        return 1
    _step("damage a copy of the bag (one byte of the seed article's WARC record) and verify it")
    damaged = output / "bag-damaged"
    shutil.copytree(bag.path, damaged)
    seed_url = _seed_url(col)
    target = None
    for warc in sorted((damaged / "data").rglob("*.warc.gz")):
        try:
            target = damage_warc_record(warc, target_uri=seed_url)
            break
        except WARCError:
            continue
    if target is None:
        click.echo("  no response record to damage")
        return 1
    click.echo(f"  flipped a byte of {target.record_id} ({target.target_uri})")
    click.echo(f"  in {target.file} (record at offset {target.offset})")
    damaged_report = verify(damaged, history=history)
    for line in format_report(damaged_report).splitlines():
        click.echo("  " + line)
    if damaged_report.ok:
        click.echo("  THE DAMAGE WAS NOT FOUND")
        return 1
    click.echo(f"  History of fixity runs: {history}")
    return 0


def _seed_url(col: Collection) -> str | None:
    with col.pages_path.open(encoding="utf-8") as fh:
        for line in fh:
            url = json.loads(line).get("url")
            if url and url.endswith(SEED_PATH):
                return str(url)
    return None


def _describe(col: Collection) -> None:
    click.echo(f"  collection:  {col.path.resolve()}")
    for warc in col.warc_files():
        click.echo(f"  WARC:        {warc}  ({warc.stat().st_size:,} bytes)")
    index_lines = _count_lines(col.index_path)
    page_lines = _count_lines(col.pages_path) - 1  # the first line is the WACZ header
    click.echo(f"  CDXJ index:  {col.index_path}  ({index_lines} entries)")
    click.echo(f"  pages:       {col.pages_path}  ({page_lines} pages)")
    click.echo(f"  catalog:     {col.catalog_path}")


def _count_lines(path: Path) -> int:
    with path.open(encoding="utf-8") as fh:
        return sum(1 for _ in fh)
