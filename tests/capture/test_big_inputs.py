"""Big inputs are read in memory that does not grow with them (issue 12, finding 8).

A feed of a million items took 857 MB (the whole XML tree, then a list of every entry, then a
list of queue entries), a page of 572,000 links 1.2 GB (the whole HTML tree).  Feeds and
sitemaps are now parsed as a stream and queued a batch at a time; a long page is parsed
incrementally.  Each test runs the work in a child process and measures how far its resident
memory rises above where it started (Linux's peak, reset through /proc/self/clear_refs once
the input is ready): a property of the code, not a timing.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.capture.hostile import PEAK_RSS, run_bounded

_FEED_CHILD = (
    PEAK_RSS
    + """
import json, sys
from pathlib import Path
import archiver
from archiver import CaptureOptions, Seed
from archiver.testing import SiteServer

site, items, DAY = Path({site!r}), {items}, "Mon, 02 Nov 2026 10:00:00 GMT"
with (site / "feed.xml").open("w") as fh:
    fh.write('<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>')
    for i in range(items):
        fh.write(f"<item><link>/p/{{i}}</link><pubDate>{{DAY}}</pubDate></item>")
    fh.write("</channel></rss>")
(site / "robots.txt").write_text("User-agent: *\\nDisallow: /p/\\n")
base = start()
with SiteServer(site) as server:
    summary = archiver.capture(
        [Seed.feed(server.url("/feed.xml"))], site / "col",
        options=CaptureOptions(max_urls=200, retries=0),
    )
limits = {{hit.limit: hit.dropped for hit in summary.limits}}
size = (site / "feed.xml").stat().st_size
print(json.dumps({{"growth_kb": peak() - base, "limits": limits, "ok": summary.ok, "size": size}}))
"""
)


def _feed_run(site: Path, items: int) -> dict[str, object]:
    site.mkdir()
    code = _FEED_CHILD.format(site=str(site), items=items)
    result = run_bounded(code, cpu_seconds=120)
    assert isinstance(result, dict)
    return result


def test_a_feed_of_210k_items_is_queued_in_memory_that_does_not_grow_with_it(
    tmp_path: Path,
) -> None:
    # both sizes fill the URL normaliser's cache (65,536 entries), a constant
    small = _feed_run(tmp_path / "small", 70_000)
    large = _feed_run(tmp_path / "large", 210_000)
    # every item was read: all but the 200 the queue holds are reported left out
    assert small["limits"] == {"max_urls": 70_000 - 199} and small["ok"] is False
    assert large["limits"] == {"max_urls": 210_000 - 199} and large["ok"] is False
    grew = (int(large["growth_kb"]) - int(small["growth_kb"])) / 1024  # type: ignore[call-overload]
    longer = (int(large["size"]) - int(small["size"])) / 2**20  # type: ignore[call-overload]
    # The document is held (decoded, up to the 50 MB limit of the sitemap protocol), nothing
    # per item: the old code held the tree and two lists of every entry: 173 MiB more.
    assert grew < 2 * longer + 4, f"{grew:.0f} MiB more for a document {longer:.0f} MiB longer"


_PAGE_CHILD = (
    PEAK_RSS
    + """
import json
from archiver.capture.links import html_links

links = {links}
page = ("<html><head><title>many</title></head><body>" + "".join(
    f'<p><a href="/l/{{i}}">{{i}}</a><img src="/i/{{i}}.png"></p>' for i in range(links)
) + "</body></html>").encode()
base = start()
found = html_links(page, "http://example.org/", max_links=10_000)
print(json.dumps({{
    "growth_kb": peak() - base, "size": len(page), "dropped": found.dropped, "title": found.title,
    "first": found.outlinks[0][0], "images": len(found.requisites),
}}))
"""
)


def test_a_page_of_300k_links_is_read_in_memory_that_does_not_grow_with_it() -> None:
    result = run_bounded(_PAGE_CHILD.format(links=300_000), cpu_seconds=120)
    assert isinstance(result, dict)
    assert result["title"] == "many"
    assert result["first"] == "http://example.org/l/0"
    assert result["images"] == 10_000
    assert result["dropped"] == 2 * (300_000 - 10_000)
    grew, size = int(result["growth_kb"]) / 1024, int(result["size"]) / 2**20
    # The whole tree of this 17 MiB page took 310 MiB.  Read incrementally: about the
    # page's size (libxml2's push parser keeps its input; parsing stops at 20 MiB), plus the
    # URL normaliser's cache, bounded at 65,536 entries.
    assert grew < 1.5 * size + 30, f"parsing a {size:.0f} MiB page took {grew:.0f} MiB"


def test_sitemap_entries_stream_with_their_kinds_and_dates() -> None:
    from datetime import date

    from archiver.capture.seeds import iter_sitemap

    doc = (
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        + "".join(
            f"<sitemap><loc>/s{i}.xml</loc><lastmod>2026-11-0{i}</lastmod></sitemap>"
            for i in range(1, 4)
        )
        + "</sitemapindex>"
    ).encode()
    entries = list(iter_sitemap(doc, url="http://example.org/index.xml"))
    assert [(e.url, e.kind, e.date) for e in entries] == [
        (f"http://example.org/s{i}.xml", "sitemap", date(2026, 11, i)) for i in range(1, 4)
    ]
    assert json.dumps([e.url for e in entries])  # plain strings, nothing holding the tree
