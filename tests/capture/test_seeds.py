"""Feeds and sitemaps as seeds: the formats, ``since`` filtering, and hostile XML.

The example site (``examples/site``) provides a real RSS 2.0 feed, an Atom feed, a Yoast
sitemap index and a Google News sitemap; ``corpus/`` holds broken and hostile documents (see
its README).  Hostile documents must be refused with an error that names their URL, the run
must go on with the other seeds, memory must stay bounded, and nothing a hostile document
points at (a local file) may reach the collection.
"""

from __future__ import annotations

import gzip
import os
import threading
import tracemalloc
import zlib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import psutil
import pytest

import archiver
from archiver import CaptureOptions, Collection, Seed
from archiver.capture.seeds import MAX_XML_BYTES, parse_feed, parse_sitemap
from archiver.errors import SeedError, UnsafeXMLError
from archiver.testing import SiteServer
from tests.capture.warcs import read_records

CORPUS = Path(__file__).parent / "corpus"
QUICK = CaptureOptions(requisites=False, obey_robots=False, retries=0)
MARKER = "S3CRET-MARKER-7f1c2a"


# -- the example site's feeds and sitemaps ---------------------------------------------------


def _render(site: SiteServer, path: str) -> bytes:
    file = site.resolve(path)
    assert file is not None, path
    return site.render(file)


def _article(site: SiteServer, slug: str) -> str:
    return site.url(f"/2023/11/{slug}/")


def test_rss2_feed_lists_items_with_pubdate(example_site: SiteServer) -> None:
    url = example_site.url("/feed/")
    entries = parse_feed(_render(example_site, "/feed/"), url=url)
    assert len(entries) == 8
    assert entries[0].url == _article(
        example_site, "volunteer-teachers-reopen-bamboo-classrooms-for-displaced-children"
    )
    assert entries[0].date == date(2023, 11, 24)
    assert entries[-1].date == date(2023, 11, 8)
    assert all(e.kind == "page" for e in entries)
    # the channel's own <link> (the home page) is not an item
    assert example_site.url("/") not in {e.url for e in entries}


def test_atom_feed_uses_alternate_links_and_published(example_site: SiteServer) -> None:
    url = example_site.url("/feed/atom/")
    entries = parse_feed(_render(example_site, "/feed/atom/"), url=url)
    rss = parse_feed(_render(example_site, "/feed/"), url=example_site.url("/feed/"))
    assert [e.url for e in entries] == [e.url for e in rss]
    assert not any("#comments" in e.url for e in entries)  # rel=replies links are skipped
    # published (2023-11-22), not updated (2023-11-23)
    assert entries[1].date == date(2023, 11, 22)


def test_rss1_rdf_items_by_link_or_rdf_about(small_site: SiteServer) -> None:
    text = (CORPUS / "rss1-rdf.xml").read_text().replace("{{SITE}}", small_site.origin)
    entries = parse_feed(text.encode(), url=small_site.url("/rdf.xml"))
    assert [(e.url, e.date) for e in entries] == [
        (small_site.url("/a/"), date(2023, 11, 20)),
        (small_site.url("/b/"), date(2023, 11, 2)),
    ]


def test_sitemap_index_lists_sitemaps(example_site: SiteServer) -> None:
    url = example_site.url("/sitemap_index.xml")
    entries = parse_sitemap(_render(example_site, "/sitemap_index.xml"), url=url)
    assert [e.url for e in entries] == [
        example_site.url(f"/{n}-sitemap.xml")
        for n in ("post", "page", "category", "author", "news")
    ]
    assert {e.kind for e in entries} == {"sitemap"}
    assert entries[1].date == date(2023, 6, 15)


def test_news_sitemap_dates_come_from_publication_date(example_site: SiteServer) -> None:
    url = example_site.url("/news-sitemap.xml")
    entries = parse_sitemap(_render(example_site, "/news-sitemap.xml"), url=url)
    assert len(entries) == 8
    assert [e.date for e in entries][:3] == [
        date(2023, 11, 24),
        date(2023, 11, 22),
        date(2023, 11, 21),
    ]
    # image:loc inside <url> is not a page
    assert not any("/wp-content/" in e.url for e in entries)


def _sitemap_urls(site: SiteServer, name: str) -> set[str]:
    return {e.url for e in parse_sitemap(_render(site, f"/{name}"), url=site.url(f"/{name}"))}


def _page_urls(col_path: Path) -> set[str]:
    recs = read_records(Collection.open(col_path).warc_files())
    return {r.url for r in recs if r.type == "metadata"}


def test_sitemap_index_is_followed_recursively(example_site: SiteServer, tmp_path: Path) -> None:
    names = ("post", "page", "category", "author", "news")
    expected = set().union(*(_sitemap_urls(example_site, f"{n}-sitemap.xml") for n in names))
    seed = Seed.sitemap(example_site.url("/sitemap_index.xml"))
    summary = archiver.capture([seed], tmp_path / "col", options=QUICK)
    assert summary.ok, summary.failures
    assert summary.pages == len(expected)
    assert _page_urls(tmp_path / "col") == expected
    # every sitemap document itself is archived too
    responses = {r.url for r in read_records(Collection.open(tmp_path / "col").warc_files())}
    assert {example_site.url(f"/{n}-sitemap.xml") for n in names} <= responses


@pytest.mark.parametrize(
    ("seed_path", "kind", "expected_days"),
    [
        ("/feed/", "feed", [24, 22, 21, 18]),  # pubDate
        ("/feed/atom/", "feed", [24, 22, 21, 18]),  # published
        ("/news-sitemap.xml", "sitemap", [24, 22, 21, 18]),  # news:publication_date
    ],
)
def test_since_filters_by_the_entry_date(
    example_site: SiteServer, tmp_path: Path, seed_path: str, kind: str, expected_days: list[int]
) -> None:
    seed = Seed(example_site.url(seed_path), kind)  # type: ignore[arg-type]
    all_entries = (parse_feed if kind == "feed" else parse_sitemap)(
        _render(example_site, seed_path), url=seed.url
    )
    expected = {e.url for e in all_entries if e.date and e.date.day in expected_days}
    assert len(expected) == 4
    opts = CaptureOptions(requisites=False, obey_robots=False, since=date(2023, 11, 18))
    summary = archiver.capture([seed], tmp_path / "col", options=opts)
    assert summary.ok
    assert _page_urls(tmp_path / "col") == expected


def test_since_filters_sitemap_index_entries_by_lastmod(
    example_site: SiteServer, tmp_path: Path
) -> None:
    opts = CaptureOptions(requisites=False, obey_robots=False, since=date(2023, 11, 23))
    seed = Seed.sitemap(example_site.url("/sitemap_index.xml"))
    archiver.capture([seed], tmp_path / "col", options=opts)
    fetched = {r.url for r in read_records(Collection.open(tmp_path / "col").warc_files())}
    # page-sitemap.xml (lastmod 2023-06-15) is older than since: not even fetched
    assert example_site.url("/page-sitemap.xml") not in fetched
    assert example_site.url("/post-sitemap.xml") in fetched
    post = parse_sitemap(
        _render(example_site, "/post-sitemap.xml"), url=example_site.url("/post-sitemap.xml")
    )
    recent = {e.url for e in post if e.date and e.date >= date(2023, 11, 23)}
    old = {e.url for e in post if e.date and e.date < date(2023, 11, 23)}
    pages = _page_urls(tmp_path / "col")
    assert recent <= pages
    assert not (old - recent) & pages


def test_gzipped_sitemap_is_inflated(small_site: SiteServer, tmp_path: Path) -> None:
    xml = (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{small_site.url('/a/')}</loc><lastmod>2023-11-20</lastmod></url>"
        f"<url><loc>{small_site.url('/')}</loc></url></urlset>"
    )
    (small_site.root / "sitemap.xml.gz").write_bytes(gzip.compress(xml.encode(), mtime=0))
    seed = Seed.sitemap(small_site.url("/sitemap.xml.gz"))
    summary = archiver.capture([seed], tmp_path / "col", options=QUICK)
    assert summary.ok and summary.pages == 2
    assert _page_urls(tmp_path / "col") == {small_site.url("/a/"), small_site.url("/")}


# -- hostile and broken documents ------------------------------------------------------------


class _PeakRSS:
    """Highest resident set size of this process while the block runs (sampled every 5 ms)."""

    def __init__(self) -> None:
        self._proc = psutil.Process(os.getpid())
        self._stop = threading.Event()
        self.base = 0
        self.peak = 0

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            self._stop.wait(0.005)

    def __enter__(self) -> _PeakRSS:
        self.base = self.peak = self._proc.memory_info().rss
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def growth(self) -> int:
        return self.peak - self.base


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """~500 MB of zeros inside a sitemap, gzip-compressed to ~500 KB (made once per module)."""
    out = zlib.compressobj(9, zlib.DEFLATED, 31)
    parts = [out.compress(b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/')]
    zeros = bytes(1024 * 1024)
    for _ in range(500):
        parts.append(out.compress(zeros))
    parts.append(out.flush())
    return b"".join(parts)


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "private" / "passwd"
    path.parent.mkdir()
    path.write_text(f"root:x:0:0:{MARKER}:/root:/bin/sh\n")
    return path


def _install_corpus(site: SiteServer, secret: Path) -> None:
    for src in CORPUS.iterdir():
        if src.suffix in (".xml", ".gz"):
            data = src.read_bytes().replace(b"{{SECRET}}", secret.as_uri().encode())
            (site.root / src.name).write_bytes(data)


def _everything_in(col_path: Path) -> Iterator[tuple[Path, bytes]]:
    """Every file of the collection, WARCs decompressed (record by record, gzip members)."""
    for path in sorted(col_path.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if path.name.endswith(".gz"):
                data = gzip.decompress(data)
            yield path, data


def test_hostile_xml_is_refused_and_the_run_goes_on(
    small_site: SiteServer, tmp_path: Path, secret: Path, gzip_bomb: bytes
) -> None:
    _install_corpus(small_site, secret)
    (small_site.root / "bomb-sitemap.xml.gz").write_bytes(gzip_bomb)
    # The same external entity in UTF-16 (byte patterns do not match) and after 70 KB of comment.
    xxe = (small_site.root / "xxe-file.xml").read_text()
    utf16 = xxe.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    (small_site.root / "xxe-utf16.xml").write_bytes(utf16.encode("utf-16"))
    head, rest = xxe.split("?>", 1)
    (small_site.root / "xxe-padded.xml").write_text(f"{head}?><!--{'x' * 70_000}-->{rest}")
    hostile = {
        "/billion-laughs.xml": "feed",
        "/quadratic-blowup.xml": "feed",
        "/xxe-file.xml": "feed",
        "/xxe-utf16.xml": "feed",
        "/xxe-padded.xml": "feed",
        "/xxe-parameter-entity.xml": "sitemap",
        "/bomb-sitemap.xml.gz": "sitemap",
        "/bomb-content-encoding.xml": "sitemap",
    }
    # the same bomb as a transfer coding (Content-Encoding: gzip) of a plain .xml URL
    small_site.routes["/bomb-content-encoding.xml"] = lambda h: h.send_raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/xml\r\nContent-Encoding: gzip\r\n"
        + f"Content-Length: {len(gzip_bomb)}\r\n\r\n".encode()
        + gzip_bomb
    )
    seeds = [Seed(small_site.url(p), k) for p, k in hostile.items()]  # type: ignore[arg-type]
    seeds.append(Seed.page(small_site.url("/")))
    # One worker: the bound is per document in flight (each worker may hold one up to the
    # 50 MB sitemap limit); eight workers on eight bombs at once would need eight times this.
    opts = CaptureOptions(requisites=False, obey_robots=False, retries=0, workers=1)
    tracemalloc.start()
    try:
        with _PeakRSS() as rss:
            summary = archiver.capture(seeds, tmp_path / "col", options=opts)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Python's allocations (what the documents cost) stay well under 100 MB; RSS, which also
    # sees libxml2 and keeps freed heap from one bomb to the next, only guards against blow-ups.
    assert peak < 80 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"
    assert rss.growth < 200 * 1024 * 1024, f"RSS grew {rss.growth / 2**20:.0f} MiB"
    failures = {f.url: f.reason for f in summary.failures}
    assert set(failures) == {small_site.url(p) for p in hostile}
    for path in hostile:
        if path != "/bomb-content-encoding.xml":
            assert failures[small_site.url(path)].startswith("refused:"), (path, failures)
    assert "larger than" in failures[small_site.url("/bomb-content-encoding.xml")]
    assert "gzip bomb" in failures[small_site.url("/bomb-sitemap.xml.gz")]
    # the run went on: the page seed and nothing from the hostile documents
    assert summary.pages == 1
    assert _page_urls(tmp_path / "col") == {small_site.url("/")}
    for path, data in _everything_in(tmp_path / "col"):
        assert MARKER.encode() not in data, f"the secret leaked into {path}"
        assert MARKER.encode("utf-16-le") not in data, f"the secret leaked into {path}"


@pytest.mark.parametrize(
    "name",
    ["billion-laughs.xml", "quadratic-blowup.xml", "xxe-file.xml", "xxe-parameter-entity.xml"],
)
def test_xml_parsing_refuses_entity_declarations(name: str, secret: Path) -> None:
    data = (CORPUS / name).read_bytes().replace(b"{{SECRET}}", secret.as_uri().encode())
    with pytest.raises(UnsafeXMLError, match="declares XML entities") as info:
        parse_feed(data, url="http://example.org/x.xml")
    assert info.value.url == "http://example.org/x.xml"
    assert "http://example.org/x.xml" in str(info.value)


def test_xml_parsing_refuses_entities_in_utf16(secret: Path) -> None:
    text = (CORPUS / "xxe-file.xml").read_text().replace("{{SECRET}}", secret.as_uri())
    data = text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    with pytest.raises(UnsafeXMLError, match="declares XML entities"):
        parse_feed(data, url="http://example.org/u16.xml")


def test_gzip_bomb_is_refused_in_bounded_memory(gzip_bomb: bytes) -> None:
    tracemalloc.start()
    try:
        with _PeakRSS() as rss, pytest.raises(UnsafeXMLError, match="gzip bomb") as info:
            parse_feed(gzip_bomb, url="http://example.org/bomb.xml.gz")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.url == "http://example.org/bomb.xml.gz"
    assert rss.growth < 100 * 1024 * 1024, f"RSS grew {rss.growth / 2**20:.0f} MiB"
    # the 50 MB limit held once (not a second copy of it): well under 100 MB
    assert peak < 80 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB"


def test_gzip_up_to_the_limit_is_accepted() -> None:
    filler = b"<!--" + b" " * (MAX_XML_BYTES - 200) + b"-->"
    xml = b'<?xml version="1.0"?><urlset><url><loc>http://e.org/a</loc></url>' + filler
    xml += b"</urlset>"
    assert len(xml) <= MAX_XML_BYTES
    packed = gzip.compress(xml, compresslevel=1)
    del xml, filler
    tracemalloc.start()
    try:
        entries = parse_sitemap(packed, url="http://e.org/s.xml.gz")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [e.url for e in entries] == ["http://e.org/a"]
    assert peak < 80 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB: the document held twice"


@pytest.mark.parametrize(
    ("name", "kind", "reason"),
    [
        ("html-not-a-feed.xml", "feed", "not a feed (root element <html>)"),
        ("html-not-a-feed.xml", "sitemap", "not a sitemap (root element <html>)"),
        ("empty.xml", "feed", "empty document"),
        ("damaged.xml.gz", "sitemap", "gzip data is damaged"),
    ],
)
def test_broken_seed_documents_fail_with_a_reason(
    small_site: SiteServer, tmp_path: Path, secret: Path, name: str, kind: str, reason: str
) -> None:
    _install_corpus(small_site, secret)
    url = small_site.url(f"/{name}")
    summary = archiver.capture(
        [Seed(url, kind), small_site.url("/a/")],  # type: ignore[arg-type]
        tmp_path / "col",
        options=QUICK,
    )
    assert [f.url for f in summary.failures] == [url]
    assert reason in summary.failures[0].reason
    assert summary.pages == 1


def test_truncated_feed_yields_what_it_can(small_site: SiteServer, secret: Path) -> None:
    _install_corpus(small_site, secret)
    data = small_site.render(small_site.root / "not-well-formed.xml")
    try:
        entries = parse_feed(data, url=small_site.url("/not-well-formed.xml"))
    except SeedError as exc:  # refusing is acceptable; crashing or hanging is not
        assert exc.url == small_site.url("/not-well-formed.xml")
    else:
        assert [e.url for e in entries] == [small_site.url("/a/")]


def test_sitemap_index_cycle_ends(small_site: SiteServer, tmp_path: Path) -> None:
    ns = 'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"'
    (small_site.root / "index-a.xml").write_text(
        f"<sitemapindex {ns}><sitemap><loc>/index-a.xml</loc></sitemap>"
        "<sitemap><loc>/index-b.xml</loc></sitemap></sitemapindex>"
    )
    (small_site.root / "index-b.xml").write_text(
        f"<sitemapindex {ns}><sitemap><loc>/index-a.xml</loc></sitemap>"
        "<sitemap><loc>/pages.xml</loc></sitemap></sitemapindex>"
    )
    (small_site.root / "pages.xml").write_text(f"<urlset {ns}><url><loc>/a/</loc></url></urlset>")
    seed = Seed.sitemap(small_site.url("/index-a.xml"))
    summary = archiver.capture([seed], tmp_path / "col", options=QUICK)
    assert summary.ok and summary.pages == 1
    paths = [p for _t, p, _ua in small_site.requests()]
    assert sorted(paths) == ["/a/", "/index-a.xml", "/index-b.xml", "/pages.xml"]


def test_since_keeps_undated_entries(small_site: SiteServer, tmp_path: Path) -> None:
    (small_site.root / "mixed.xml").write_text(
        "<rss version='2.0'><channel>"
        "<item><link>/a/</link></item>"  # no date: cannot be shown to be old, so kept
        "<item><link>/old/</link><pubDate>Mon, 02 Jan 2006 15:04:05 GMT</pubDate></item>"
        "<item><link>/</link><pubDate>not a date at all</pubDate></item>"
        "</channel></rss>"
    )
    opts = CaptureOptions(requisites=False, obey_robots=False, since=date(2023, 1, 1))
    summary = archiver.capture(
        [Seed.feed(small_site.url("/mixed.xml"))], tmp_path / "col", options=opts
    )
    assert summary.ok
    assert _page_urls(tmp_path / "col") == {small_site.url("/a/"), small_site.url("/")}


def test_since_may_be_a_datetime(example_site: SiteServer, tmp_path: Path) -> None:
    # a datetime is a date, but does not compare with one: the day is what counts
    opts = CaptureOptions(requisites=False, obey_robots=False, since=datetime(2023, 11, 18, 23, 59))
    summary = archiver.capture(
        [Seed.feed(example_site.url("/feed/"))], tmp_path / "col", options=opts
    )
    assert summary.ok, summary.failures
    assert summary.pages == 4
