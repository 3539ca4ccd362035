"""Page requisites: what a browser would fetch to render a page is captured with it.

Each test reads the server's request log, so "fetched" means the server saw the request.
"Another host" is the second server addressed as ``localhost`` while pages live on
``127.0.0.1``: same machine, but a different site for :func:`archiver.capture.urls.same_site`.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

import archiver
from archiver import CaptureOptions, Collection
from archiver.testing import SiteServer
from tests.capture.warcs import read_records

PAGE = """<!doctype html>
<html><head><title>Requisites</title>
<link rel=stylesheet href=/css/main.css>
<link rel=icon href=/favicon.ico>
<link rel=preload href=/fonts/f.woff2 as=font>
<link rel=modulepreload href=/js/mod.js>
<link rel=alternate type=application/rss+xml href=/feed.xml>
<script src=/js/app.js></script>
<style>@import "/css/from-style-block.css"; .hero{background:url('/img/style-block.png')}</style>
</head><body>
<img src=/img/a.png srcset="/img/a-2x.png 2x, /img/a-3x.png 3x">
<picture><source srcset="/img/p.webp" type=image/webp><img src=/img/p.jpg></picture>
<video src=/media/v.mp4 poster=/img/poster.jpg></video>
<video><source src=/media/v.webm type=video/webm></video>
<audio src=/media/a.mp3></audio>
<div style="background-image: url(/img/style-attr.png)">x</div>
<iframe src=/frame.html></iframe>
<img src="{OTHER}/img/ext.png">
<a href=/other.html>an outlink, not a requisite</a>
</body></html>
"""

FRAME = """<html><head><title>Frame</title></head><body>
<img src=/img/in-frame.png><iframe src=/frame2.html></iframe></body></html>"""

EXPECTED = {
    "/page.html",
    "/robots.txt",
    "/css/main.css",
    "/css/deep.css",  # @import in main.css
    "/css/deeper.css",  # @import in deep.css: followed recursively
    "/img/from-css.png",  # url() in main.css
    "/img/deep.png",  # url(../img/deep.png) in css/deep.css, resolved against the CSS
    "/favicon.ico",
    "/fonts/f.woff2",
    "/js/mod.js",
    "/js/app.js",
    "/css/from-style-block.css",
    "/img/style-block.png",
    "/img/a.png",
    "/img/a-2x.png",
    "/img/a-3x.png",
    "/img/p.webp",
    "/img/p.jpg",
    "/media/v.mp4",
    "/img/poster.jpg",
    "/media/v.webm",
    "/media/a.mp3",
    "/img/style-attr.png",
    "/frame.html",  # iframe: one level
    "/img/in-frame.png",  # the frame's own requisites
}


@pytest.fixture
def sites(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SiteServer, SiteServer]]:
    root = tmp_path_factory.mktemp("req-site")
    other_root = tmp_path_factory.mktemp("other-site")
    (other_root / "img").mkdir()
    (other_root / "img" / "ext.png").write_bytes(b"\x89PNG other host")
    with SiteServer(other_root) as other, SiteServer(root) as site:
        other_origin = f"http://localhost:{other.port}"
        files = {
            "page.html": PAGE.replace("{OTHER}", other_origin),
            "page2.html": "<title>Two</title><link rel=stylesheet href=/css/main.css>"
            "<img src=/img/a.png><img src=/img/only-two.png>",
            "frame.html": FRAME,
            "frame2.html": "<title>Nested</title><img src=/img/in-frame2.png>",
            "other.html": "<title>Other</title>",
            "feed.xml": "<rss/>",
            "css/main.css": '@import "deep.css";\nbody { background: url("/img/from-css.png") }',
            "css/deep.css": "@import 'deeper.css'; p { background: url(../img/deep.png) }",
            "css/deeper.css": "/* url(/img/in-a-comment.png) */ em { color: red }",
            "css/from-style-block.css": "b { color: blue }",
            "base/page.html": '<title>Base</title><base href="/assets/"><img src="b.png">'
            '<link rel=stylesheet href="b.css"><a href="x.html">x</a>',
            "assets/b.png": "b",
            "assets/b.css": "i{}",
        }
        for path in [p for p in EXPECTED if p != "/robots.txt"] + ["/img/only-two.png"]:
            files.setdefault(path.lstrip("/"), f"content of {path}")
        for name, text in files.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
        yield site, other


def _fetched(site: SiteServer) -> Counter[str]:
    return Counter(p for _t, p, _ua in site.requests())


def test_every_kind_of_requisite_is_captured(
    sites: tuple[SiteServer, SiteServer], tmp_path: Path
) -> None:
    site, other = sites
    summary = archiver.capture([site.url("/page.html")], tmp_path / "col")
    assert summary.ok and summary.pages == 1
    fetched = _fetched(site)
    assert set(fetched) == EXPECTED
    assert max(fetched.values()) == 1
    assert other.requests() == []  # another host: not followed by default
    recs = read_records(Collection.open(tmp_path / "col").warc_files())
    responses = {r.url for r in recs if r.type == "response"}
    assert responses == {site.url(p) for p in EXPECTED}
    # the page's metadata record still lists the other host's image as a requisite
    [meta] = [r for r in recs if r.type == "metadata" and r.url == site.url("/page.html")]
    assert f"http://localhost:{other.port}/img/ext.png".encode() in meta.block
    # the frame gets its own metadata record, but only the page is listed as a page
    assert site.url("/frame.html") in {r.url for r in recs if r.type == "metadata"}
    pages = Collection.open(tmp_path / "col").pages_path.read_text().splitlines()[1:]
    assert [json.loads(line)["url"] for line in pages] == [site.url("/page.html")]


def test_iframe_inside_an_iframe_is_not_fetched(
    sites: tuple[SiteServer, SiteServer], tmp_path: Path
) -> None:
    site, _other = sites
    archiver.capture([site.url("/page.html")], tmp_path / "col")
    fetched = _fetched(site)
    assert "/frame.html" in fetched and "/img/in-frame.png" in fetched
    assert "/frame2.html" not in fetched and "/img/in-frame2.png" not in fetched


def test_outlinks_and_non_requisite_links_are_not_fetched(
    sites: tuple[SiteServer, SiteServer], tmp_path: Path
) -> None:
    site, _other = sites
    archiver.capture([site.url("/page.html")], tmp_path / "col")
    fetched = _fetched(site)
    for path in ("/other.html", "/feed.xml", "/img/in-a-comment.png"):
        assert path not in fetched


def test_base_href_is_respected(sites: tuple[SiteServer, SiteServer], tmp_path: Path) -> None:
    site, _other = sites
    archiver.capture([site.url("/base/page.html")], tmp_path / "col")
    fetched = _fetched(site)
    assert {"/assets/b.png", "/assets/b.css"} <= set(fetched)
    assert "/base/b.png" not in fetched
    recs = read_records(Collection.open(tmp_path / "col").warc_files())
    [meta] = [r for r in recs if r.type == "metadata"]
    assert site.url("/assets/x.html").encode() in meta.block  # outlinks resolve there too


def test_requisites_any_host_follows_another_host(
    sites: tuple[SiteServer, SiteServer], tmp_path: Path
) -> None:
    site, other = sites
    opts = CaptureOptions(requisites_any_host=True)
    summary = archiver.capture([site.url("/page.html")], tmp_path / "col", options=opts)
    assert summary.ok
    assert set(_fetched(site)) == EXPECTED
    assert set(_fetched(other)) == {"/robots.txt", "/img/ext.png"}
    recs = read_records(Collection.open(tmp_path / "col").warc_files())
    ext = [r for r in recs if r.type == "response" and "/img/ext.png" in r.url]
    assert [r.url for r in ext] == [f"http://localhost:{other.port}/img/ext.png"]
    assert ext[0].block.endswith(b"\x89PNG other host")


def test_requisites_false_fetches_only_the_page(
    sites: tuple[SiteServer, SiteServer], tmp_path: Path
) -> None:
    site, other = sites
    opts = CaptureOptions(requisites=False)
    summary = archiver.capture([site.url("/page.html")], tmp_path / "col", options=opts)
    assert summary.ok and summary.pages == 1 and summary.requisites == 0
    assert set(_fetched(site)) == {"/robots.txt", "/page.html"}
    assert other.requests() == []


def test_a_requisite_is_fetched_once_per_run(
    sites: tuple[SiteServer, SiteServer], tmp_path: Path
) -> None:
    site, _other = sites
    seeds = [site.url("/page.html"), site.url("/page2.html")]
    summary = archiver.capture(seeds, tmp_path / "col", options=CaptureOptions(workers=4))
    assert summary.ok and summary.pages == 2
    fetched = _fetched(site)
    assert fetched["/css/main.css"] == 1 and fetched["/img/a.png"] == 1
    assert fetched["/img/only-two.png"] == 1
    recs = read_records(Collection.open(tmp_path / "col").warc_files())
    urls = [r.url for r in recs if r.type in ("response", "revisit")]
    assert len(urls) == len(set(urls))


def test_srcset_is_split_as_html_does(sites: tuple[SiteServer, SiteServer], tmp_path: Path) -> None:
    # WordPress lazy-loading: data: placeholders (with commas) in src/srcset, the real images
    # in data-src/data-srcset, one with a comma in its own URL.
    site, _other = sites
    gif = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
    (site.root / "lazy.html").write_text(
        f'<title>Lazy</title><img src="{gif}" data-src="/img/lazy.png"'
        f' srcset="{gif} 1x, data:image/svg+xml,%3Csvg%3E%3C/svg%3E 2x"'
        ' data-srcset="/img/lazy-1x.png 1x,/img/lazy,2x.png 2x">'
        '<img srcset="  /img/w-400.png 400w ,\n /img/w-800.png 800w  ">'
    )
    for name in ("lazy.png", "lazy-1x.png", "lazy,2x.png", "w-400.png", "w-800.png"):
        (site.root / "img" / name).write_bytes(name.encode())
    summary = archiver.capture([site.url("/lazy.html")], tmp_path / "col")
    assert summary.ok, summary.failures
    assert set(_fetched(site)) == {
        "/robots.txt",
        "/lazy.html",
        "/img/lazy.png",
        "/img/lazy-1x.png",
        "/img/lazy,2x.png",
        "/img/w-400.png",
        "/img/w-800.png",
    }


def test_pathological_css_is_parsed_in_linear_time(
    sites: tuple[SiteServer, SiteServer], tmp_path: Path
) -> None:
    # Unclosed url( runs made the url() pattern backtrack quadratically (minutes per 200 KB).
    site, _other = sites
    hostile = "url(" * 50_000 + "x{background:url(" + " " * 100_000 + "\n"
    (site.root / "css" / "hostile.css").write_text(hostile + "p{background:url(/img/ok.png)}")
    (site.root / "img" / "ok.png").write_bytes(b"ok")
    (site.root / "hostile.html").write_text(
        f"<title>h</title><link rel=stylesheet href=/css/hostile.css>"
        f"<div style='{hostile[:40_000]}'>x</div>"
    )
    started = time.monotonic()
    summary = archiver.capture([site.url("/hostile.html")], tmp_path / "col")
    assert time.monotonic() - started < 10
    assert summary.ok
    assert "/img/ok.png" in _fetched(site)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_style_attributes_are_found_on_any_element_in_any_encoding(encoding: str) -> None:
    from archiver.capture.links import html_links

    page = (
        "<html><head><title>Styles</title></head><body style='background:url(/b.png)'>"
        "<section style=\"x: url('/s.png')\"><td style='a:url(/t.png)'></td></section>"
        "<a href='/next.html' style='background:url(/a.png)'>n</a></body></html>"
    ).encode(encoding)
    links = html_links(page, "http://example.org/p.html", encoding=encoding)
    assert sorted(u for u, _ in links.requisites) == [
        f"http://example.org/{name}.png" for name in ("a", "b", "s", "t")
    ]
    assert links.outlinks == [("http://example.org/next.html", "a/@href")]
    assert links.title == "Styles"


@pytest.mark.parametrize(
    "attribute",
    [
        "style=background:url(/x.png)",  # unquoted, as minifiers write it
        "style='background:url&#40;/x.png)'",  # a character reference for the parenthesis
        'style="background:&#x75;rl(/x.png)"',
        'style="background:URL(/x.png)"',
        "style=background:\x0burl(/x.png)",  # \v is no HTML whitespace: part of the value
        # a quote opened in a comment must not hide the real attribute's value
        "data-x=1><!-- style=' --><i style=\"font-family:'A';background:url(/x.png)\"",
    ],
)
def test_style_urls_in_every_spelling_are_found(attribute: str) -> None:
    from archiver.capture.links import html_links

    page = f"<html><body><section {attribute}>x</section></body></html>".encode()
    links = html_links(page, "http://example.org/p.html")
    assert [u for u, _ in links.requisites] == ["http://example.org/x.png"]


def test_the_style_attribute_look_ahead_stays_linear_on_hostile_pages() -> None:
    from archiver.capture.links import _may_have_style_urls

    hostile = [
        b"style=" * 400_000,  # every value runs to the end of the page
        b'<p style="' + b"style=" * 400_000,  # an unclosed quoted value
        b"<p style='" + b"a" * 2_000_000,
    ]
    started = time.monotonic()
    for page in hostile:
        assert not _may_have_style_urls(page)
    assert _may_have_style_urls(b"<p style='x'>" * 100_000 + b"<p style=a:url(b)>")
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("encoding", "declared"),
    [
        ("euc_jp", "euc_jp"),  # Python's name, which libxml2 does not know: it sniffs instead
        ("euc_jp", "euc-jp"),
        ("iso2022_jp", None),  # stateful: found through <meta charset>, every element walked
        ("utf-16", None),  # a BOM and no NUL in the first KiB of CJK text
    ],
)
def test_pages_in_other_encodings_keep_their_links(encoding: str, declared: str | None) -> None:
    from archiver.capture.links import html_links

    meta = f"<meta charset={encoding.replace('_', '-')}>" if encoding == "iso2022_jp" else ""
    page = (
        f"<html><head>{meta}<title>\u65e5\u672c</title></head><body>"
        + "\u4e01" * 600
        + "<div style='font-family:\u3042;background:url(/x.png)'>\u3042</div>"
        "<a href='/next.html'>n</a></body></html>"
    ).encode(encoding)
    links = html_links(page, "http://example.org/p.html", encoding=declared)
    assert [u for u, _ in links.requisites] == ["http://example.org/x.png"]
    assert [u for u, _ in links.outlinks] == ["http://example.org/next.html"]


def test_a_meta_charset_of_utf16_on_an_ascii_page_is_read_as_utf8() -> None:
    from archiver.capture.links import html_links

    page = "<meta charset=utf-16><title>Tä</title><a href='/x'>x</a><img src=/i.png>".encode()
    links = html_links(page, "http://example.org/")
    assert links.title == "Tä"
    assert [u for u, _ in links.outlinks] == ["http://example.org/x"]
    assert [u for u, _ in links.requisites] == ["http://example.org/i.png"]
