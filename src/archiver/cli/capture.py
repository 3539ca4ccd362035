"""``archiver capture``: fetch pages, feeds and sitemaps into a collection."""

from __future__ import annotations

import json
import re
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import click

from archiver.capture import CaptureOptions, CaptureSummary, Seed, capture
from archiver.capture.crawl import CaptureProgress
from archiver.model import BrowserOptions

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def parse_size(value: str) -> int:
    """``"100MB"`` → 104857600 (binary units; a plain number is bytes)."""
    m = _SIZE.match(value)
    if not m:
        raise click.BadParameter(f"{value!r} is not a size such as 500K, 100MB or 1G")
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


class _Size(click.ParamType):  # type: ignore[type-arg]
    name = "SIZE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> int:
        if isinstance(value, int):
            return value
        try:
            return parse_size(str(value))
        except click.BadParameter as exc:
            self.fail(str(exc.message), param, ctx)


def _read_url_file(path: str) -> list[str]:
    stream = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
    with stream:
        return [
            line.strip() for line in stream if line.strip() and not line.lstrip().startswith("#")
        ]


def summary_dict(summary: CaptureSummary) -> dict[str, Any]:
    """The summary as JSON-ready data (what ``--json`` prints)."""
    data = asdict(summary)
    data["collection"] = str(summary.collection)
    data["ok"] = summary.ok
    return data


def format_summary(summary: CaptureSummary) -> str:
    """A few human lines: what was captured, where, and what failed."""
    lines = [
        f"Captured {summary.pages} page(s) and {summary.requisites} requisite(s) "
        f"in {summary.seconds:.1f}s into {summary.collection}",
        f"  {summary.records} WARC records ({summary.revisits} revisits of unchanged payloads), "
        f"{summary.bytes:,} bytes written",
    ]
    lines += [
        f"  WARC file: {summary.collection / 'archive' / name}" for name in summary.warc_files
    ]
    if summary.resumed:
        lines.append("  (resumed an unfinished capture)")
    if summary.browser is not None:
        b = summary.browser
        lines.append(
            f"  browser: {b.chromium}, {b.pages} page(s) loaded ({b.timeouts} hit the time limit), "
            f"{b.screenshots} screenshot(s)"
        )
        lines.append(
            f"    {b.fetched} request(s) fetched for it, {b.from_archive} answered from what this "
            f"run stored; {b.beyond_static} URL(s) found beyond static parsing"
        )
        lines.append(
            f"    POST {b.posts_recorded} recorded, {b.posts_skipped} skipped; WebSockets "
            f"{b.websockets_skipped} skipped; HEAD/OPTIONS {b.relayed} passed on unrecorded; "
            f"other methods {b.refused} refused; robots.txt {b.robots_blocked} blocked"
        )
        if b.http_errors:
            lines.append(f"    {b.http_errors} response(s) with an HTTP error kept as served")
        if b.restarts:
            lines.append(f"    Chromium restarted {b.restarts} time(s)")
    if summary.skipped:
        lines.append(f"  {len(summary.skipped)} URL(s) skipped:")
        lines += [f"    {s.url}: {s.reason}" for s in summary.skipped[:20]]
    if summary.truncated:
        lines.append(f"  {len(summary.truncated)} response(s) stored TRUNCATED:")
        lines += [f"    {t.url}: {t.reason}" for t in summary.truncated]
    if summary.limits:
        lines.append(f"  {len(summary.limits)} LIMIT(S) REACHED (raise them to capture more):")
        lines += [
            f"    {h.limit}={h.value}: {h.dropped} left out, for example {h.example}"
            for h in summary.limits
        ]
    if summary.failures:
        lines.append(f"  {len(summary.failures)} URL(s) FAILED:")
        lines += [f"    {f.url}: {f.reason}" for f in summary.failures]
    return "\n".join(lines)


@click.command("capture")
@click.option(
    "-c",
    "--collection",
    "collection",
    required=True,
    type=click.Path(path_type=Path),
    help="Collection folder (created if missing).",
)
@click.argument("urls", nargs=-1)
@click.option(
    "-i",
    "--input",
    "url_files",
    multiple=True,
    metavar="FILE",
    help="Read page URLs from FILE, one per line ('-' for stdin).",
)
@click.option("--feed", "feeds", multiple=True, metavar="URL", help="RSS/Atom feed to capture.")
@click.option("--sitemap", "sitemaps", multiple=True, metavar="URL", help="Sitemap to capture.")
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    default=None,
    help="Only feed/sitemap entries dated on or after this day (YYYY-MM-DD).",
)
@click.option("--name", default=None, help="Collection name when creating it.")
@click.option("--workers", type=click.IntRange(1, 256), default=8, show_default=True)
@click.option(
    "--per-host",
    type=click.IntRange(1, 64),
    default=2,
    show_default=True,
    help="Requests in flight to one host.",
)
@click.option(
    "--delay",
    type=click.FloatRange(0),
    default=0.0,
    show_default=True,
    help="Minimum seconds between requests to one host.",
)
@click.option(
    "--timeout",
    type=click.FloatRange(0.1),
    default=30.0,
    show_default=True,
    help="Read timeout in seconds (connect timeout is a third of it, at most 10s).",
)
@click.option("--retries", type=click.IntRange(0, 20), default=3, show_default=True)
@click.option(
    "--max-response-size",
    type=_Size(),
    default="100MB",
    show_default=True,
    help="Cut (and mark truncated) any response body beyond this size.",
)
@click.option(
    "--max-response-time",
    type=click.FloatRange(1),
    default=900.0,
    show_default=True,
    help="Cut (and mark truncated) a response still arriving after this many seconds.",
)
@click.option(
    "--warc-size",
    type=_Size(),
    default="1GB",
    show_default=True,
    help="Start a new WARC file past this size.",
)
@click.option(
    "--max-depth",
    type=click.IntRange(1),
    default=5,
    show_default=True,
    help="Requisites of requisites deeper than this are not queued (crawler traps).",
)
@click.option(
    "--max-sitemap-depth",
    type=click.IntRange(1),
    default=5,
    show_default=True,
    help="Sitemap indexes nested deeper than this are not followed.",
)
@click.option(
    "--max-links-per-page",
    type=click.IntRange(1),
    default=10_000,
    show_default=True,
    help="Links kept per document (requisites, frames, outlinks each).",
)
@click.option(
    "--max-urls",
    type=click.IntRange(1),
    default=2_000_000,
    show_default=True,
    help="URLs queued in one crawl.",
)
@click.option("--no-requisites", is_flag=True, help="Do not fetch images, CSS, scripts.")
@click.option(
    "--requisites-any-host", is_flag=True, help="Follow requisites to other hosts (CDNs)."
)
@click.option("--ignore-robots", is_flag=True, help="Do not obey robots.txt.")
@click.option("--no-dedup", is_flag=True, help="Store repeated payloads in full.")
@click.option("--user-agent", default=None, help="User-Agent header.")
@click.option("--contact", default=None, help="Contact URL or e-mail added to the User-Agent.")
@click.option("--operator", default=None, help="Operator named in the warcinfo records.")
@click.option("--insecure", is_flag=True, help="Do not verify TLS certificates.")
@click.option(
    "--browser",
    "use_browser",
    is_flag=True,
    help="Load each page in headless Chromium and keep whatever it fetches.",
)
@click.option(
    "--chromium",
    metavar="PATH",
    default=None,
    help="Chromium executable for --browser (default: chromium on PATH, or ARCHIVER_CHROMIUM).",
)
@click.option(
    "--browser-tabs",
    type=click.IntRange(1, 32),
    default=2,
    show_default=True,
    help="Pages loaded at once with --browser.",
)
@click.option(
    "--page-timeout",
    type=click.FloatRange(5),
    default=60.0,
    show_default=True,
    help="Seconds a page may take in the browser; past it the page fails, what loaded is kept.",
)
@click.option("--no-screenshot", is_flag=True, help="With --browser: no full-page screenshot.")
@click.option(
    "--browser-post",
    type=click.Choice(["record", "skip"]),
    default="record",
    show_default=True,
    help="With --browser: POST requests pages make are recorded, or skipped (never sent).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def capture_command(
    collection: Path,
    urls: tuple[str, ...],
    url_files: tuple[str, ...],
    feeds: tuple[str, ...],
    sitemaps: tuple[str, ...],
    since: Any,
    name: str | None,
    workers: int,
    per_host: int,
    delay: float,
    timeout: float,
    retries: int,
    max_response_size: int,
    max_response_time: float,
    warc_size: int,
    max_depth: int,
    max_sitemap_depth: int,
    max_links_per_page: int,
    max_urls: int,
    no_requisites: bool,
    requisites_any_host: bool,
    ignore_robots: bool,
    no_dedup: bool,
    user_agent: str | None,
    contact: str | None,
    operator: str | None,
    insecure: bool,
    use_browser: bool,
    chromium: str | None,
    browser_tabs: int,
    page_timeout: float,
    no_screenshot: bool,
    browser_post: str,
    as_json: bool,
) -> int:
    """Capture pages (URL ...), feeds and sitemaps into COLLECTION's WARC files.

    Exit code 0 when everything was captured, 1 when some URL failed, 2 for bad usage.
    """
    from archiver.collection import Collection

    seeds = [Seed.page(u) for u in urls]
    for path in url_files:
        try:
            seeds += [Seed.page(u) for u in _read_url_file(path)]
        except OSError as exc:
            raise click.BadParameter(f"cannot read {path}: {exc}", param_hint="-i") from exc
        except UnicodeDecodeError as exc:
            bad = exc.object[exc.start : exc.start + 1]
            raise click.BadParameter(
                f"{path} is not UTF-8 text (byte {exc.start} is {bad!r})", param_hint="-i"
            ) from exc
    seeds += [Seed.feed(u) for u in feeds] + [Seed.sitemap(u) for u in sitemaps]
    if not seeds:
        raise click.UsageError("give at least one URL, -i FILE, --feed or --sitemap")
    browser = None
    if use_browser:
        browser = BrowserOptions(
            executable=chromium,
            tabs=browser_tabs,
            page_timeout=page_timeout,
            screenshot=not no_screenshot,
            post="skip" if browser_post == "skip" else "record",
        )
    elif chromium:
        raise click.UsageError("--chromium is for --browser captures")
    options = CaptureOptions(
        user_agent=user_agent or CaptureOptions.user_agent,
        contact=contact,
        operator=operator,
        workers=workers,
        per_host=per_host,
        host_delay=delay,
        connect_timeout=min(10.0, timeout / 3),
        read_timeout=timeout,
        retries=retries,
        max_response_size=max_response_size,
        max_response_time=max_response_time,
        warc_max_size=warc_size,
        max_depth=max_depth,
        max_sitemap_depth=max_sitemap_depth,
        max_links_per_page=max_links_per_page,
        max_urls=max_urls,
        requisites=not no_requisites,
        requisites_any_host=requisites_any_host,
        obey_robots=not ignore_robots,
        dedup=not no_dedup,
        since=since.date() if since is not None else None,
        verify_tls=not insecure,
        browser=browser,
    )
    col = Collection.create(collection, name=name, exist_ok=True)
    show_bar = not as_json and sys.stderr.isatty()
    if show_bar:
        summary = _with_progress(seeds, col, options)
    else:
        summary = capture(seeds, col, options=options)
    if as_json:
        click.echo(json.dumps(summary_dict(summary), indent=2, default=str))
    else:
        click.echo(format_summary(summary))
    return 0 if summary.ok else 1


def _with_progress(seeds: list[Seed], col: Any, options: CaptureOptions) -> CaptureSummary:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("[bold]capturing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[url]}", style="dim"),
        transient=True,
    ) as bar:
        task = bar.add_task("capture", total=None, url="")

        def update(p: CaptureProgress) -> None:
            finished = p.done + p.failed
            bar.update(task, completed=finished, total=finished + p.pending, url=p.url[-60:])

        return capture(seeds, col, options=options, progress=update)
