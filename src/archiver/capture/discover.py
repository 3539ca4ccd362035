"""What a fetched document leads to: its title, outlinks, requisites and new queue entries.

HTML pages and frames yield their links (requisites are queued when the run fetches them),
stylesheets their ``url()`` and ``@import`` references, feeds and sitemaps their entries.
Redirects are checked here too: a Location that loops back or goes one hop too far.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from archiver.capture.http import Exchange
from archiver.capture.links import css_links, html_links
from archiver.capture.seeds import MAX_XML_BYTES, iter_feed, iter_sitemap
from archiver.capture.urls import same_site
from archiver.catalog import Catalog, QueueEntry
from archiver.errors import SeedError
from archiver.model import CaptureOptions
from archiver.textenc import charset_label

__all__ = ["Found", "charset", "discover", "redirect_problem"]

log = logging.getLogger(__name__)

_PARSE_LIMIT = 20 * 1024 * 1024
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})


@dataclass
class Found:
    """What one document leads to."""

    title: str | None = None
    outlinks: list[tuple[str, str]] = field(default_factory=list)
    requisites: list[tuple[str, str]] = field(default_factory=list)
    #: requisites (and frames) to queue, or feed and sitemap entries
    entries: list[QueueEntry] = field(default_factory=list)
    #: what a limit left out: (option, its value, how many, one example)
    dropped: list[tuple[str, int, int, str]] = field(default_factory=list)
    #: a feed's or sitemap's entries, streamed (a million items are never held at once); read
    #: it to its end before :attr:`dropped`.  Raises :class:`SeedError` when the document
    #: turns out unreadable part-way.
    stream: Iterator[QueueEntry] | None = None


def charset(ex: Exchange) -> str | None:
    """The charset the response's Content-Type names (see :func:`charset_label`), if any."""
    ctype = ex.header("Content-Type") or ""
    for param in ctype.split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return charset_label(value)
    return None


def is_html(entry: QueueEntry, ex: Exchange) -> bool:
    ctype = ex.content_type
    return ctype in HTML_TYPES or (not ctype and entry.kind in ("page", "frame"))


def discover(entry: QueueEntry, ex: Exchange, opts: CaptureOptions) -> Found:
    """Title, outlinks, requisites and new queue entries found in a fetched document, within
    the run's limits (what they leave out is in :attr:`Found.dropped`).

    Raises :class:`SeedError` for a feed or sitemap that cannot be read.
    """
    if entry.kind in ("feed", "sitemap"):
        found = Found()
        found.stream = _seed_entries(entry, ex, opts, found)
        return found
    found = Found()
    frames: set[str] = set()
    if is_html(entry, ex):
        links = html_links(
            ex.decoded_body(limit=_PARSE_LIMIT),
            ex.url,
            encoding=charset(ex),
            max_links=opts.max_links_per_page,
        )
        found.title, found.outlinks, found.requisites = (
            links.title,
            links.outlinks,
            links.requisites,
        )
        if links.dropped:
            limit = opts.max_links_per_page
            found.dropped.append(("max_links_per_page", limit, links.dropped, ex.url))
        if entry.kind == "page":
            found.requisites = found.requisites + links.frames
            frames = {u for u, _ in links.frames}
    elif ex.content_type == "text/css":
        body = ex.decoded_body(limit=_PARSE_LIMIT).decode(charset(ex) or "utf-8", "replace")
        found.requisites = css_links(body, ex.url)
        if len(found.requisites) > opts.max_links_per_page:
            extra = len(found.requisites) - opts.max_links_per_page
            found.requisites = found.requisites[: opts.max_links_per_page]
            found.dropped.append(("max_links_per_page", opts.max_links_per_page, extra, ex.url))
    else:
        return found
    if opts.requisites:
        found.entries = requisite_entries(entry, ex.url, found.requisites, opts, frames=frames)
        if found.entries and entry.depth + 1 > opts.max_depth:
            found.dropped.append(
                ("max_depth", opts.max_depth, len(found.entries), found.entries[0].url)
            )
            found.entries = []
    return found


def requisite_entries(
    entry: QueueEntry,
    base: str,
    requisites: list[tuple[str, str]],
    opts: CaptureOptions,
    *,
    frames: set[str] | frozenset[str] = frozenset(),
) -> list[QueueEntry]:
    """Queue entries for ``requisites`` of the document at ``base`` (in scope only)."""
    out = []
    for url, _how in requisites:
        if not opts.requisites_any_host and not same_site(url, base):
            continue
        kind = "frame" if url in frames else "requisite"
        out.append(QueueEntry(url=url, kind=kind, depth=entry.depth + 1, origin=url, parent=base))
    return out


def _seed_entries(
    entry: QueueEntry, ex: Exchange, opts: CaptureOptions, found: Found
) -> Iterator[QueueEntry]:
    body = ex.decoded_body(limit=MAX_XML_BYTES + 1)
    if len(body) > MAX_XML_BYTES:
        raise SeedError(f"document larger than {MAX_XML_BYTES} bytes once decoded", url=ex.url)
    items = iter_feed(body, url=ex.url) if entry.kind == "feed" else iter_sitemap(body, url=ex.url)
    since = opts.since
    if isinstance(since, datetime):  # a datetime is a date, but does not compare with one
        since = since.date()
    nested_dropped, example = 0, ""
    try:
        for item in items:
            if since is not None and item.date is not None and item.date < since:
                continue
            # a sitemap named by a sitemap index is one level deeper; a page is a new start
            depth = entry.depth + 1 if item.kind == "sitemap" else 0
            if item.kind == "sitemap" and depth > opts.max_sitemap_depth:
                nested_dropped, example = nested_dropped + 1, example or item.url
                continue
            yield QueueEntry(
                url=item.url, kind=item.kind, depth=depth, origin=item.url, parent=ex.url
            )
    except SeedError as exc:
        # the text, not the exception: a handler that keeps records (pytest's, a
        # MemoryHandler) would keep its traceback, and with it the inflated document
        log.warning("%s", str(exc))
        raise
    finally:
        if nested_dropped:
            limit = opts.max_sitemap_depth
            found.dropped.append(("max_sitemap_depth", limit, nested_dropped, example))


def redirect_problem(
    entry: QueueEntry, target: str | None, catalog: Catalog, crawl_id: int, max_redirects: int
) -> str | None:
    """Why following a redirect from ``entry`` to ``target`` must not happen, or None."""
    if target is None:
        return "redirect to an unusable Location"
    origin = entry.origin or entry.url
    if target == origin or target == entry.url:
        return f"redirect loop (back to {target})"
    known = catalog.queue_entry(crawl_id, target)
    if known is not None and known[1] == origin:
        return f"redirect loop (back to {target})"
    if entry.hops + 1 > max_redirects:
        return f"more than {max_redirects} redirects"
    return None
