"""What a page links to: the requisites it needs to render, its outlinks, its title.

Requisites are what a browser would fetch to show the page: ``img`` src and srcset,
``picture/source``, ``link`` rel=stylesheet/icon/preload/modulepreload, ``script`` src,
``video``/``audio``/``source``/``track`` src and poster, ``iframe``/``frame`` src,
``embed``/``object``, ``input type=image``, ``style`` attributes and ``<style>`` blocks; in CSS,
``url()`` and ``@import``.  Everything resolves against ``<base href>`` when the page has one.
"""

from __future__ import annotations

import codecs
import functools
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import lxml.etree

from archiver.capture.urls import resolve

__all__ = ["PageLinks", "css_links", "html_links"]

# An unquoted url() holds no whitespace, quotes or parentheses (CSS Syntax §4.3.6); saying so,
# and never matching it empty, keeps the pattern linear on unclosed ``url(`` runs.
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)\s("']+))\s*\)""", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"""@import\s+(?:"([^"]+)"|'([^']+)')""", re.IGNORECASE)
_LINK_RELS = {
    "stylesheet",
    "icon",
    "shortcut",
    "apple-touch-icon",
    "apple-touch-icon-precomposed",
    "preload",
    "modulepreload",
    "manifest",
    "mask-icon",
    "image_src",
}
_MAX_PARSE = 20 * 1024 * 1024
#: documents longer than this are parsed incrementally, in bounded memory
STREAM_FROM = 2 * 1024 * 1024
_SNIFF = 64 * 1024


@dataclass
class PageLinks:
    """Links found in one document."""

    requisites: list[tuple[str, str]] = field(default_factory=list)  # (url, "tag/@attr")
    frames: list[tuple[str, str]] = field(default_factory=list)
    outlinks: list[tuple[str, str]] = field(default_factory=list)
    title: str | None = None
    #: links left out because a list reached ``max_links`` (a page built as a crawler trap)
    dropped: int = 0


def strip_css_comments(css: str) -> str:
    r"""``css`` without its ``/* … */`` comments, in one forward pass (a regular expression
    such as ``/\*.*?\*/`` is quadratic on a sheet of unclosed ``/*``).  An unclosed comment
    runs to the end, as CSS says."""
    out = []
    pos = 0
    while (start := css.find("/*", pos)) >= 0:
        out.append(css[pos:start])
        end = css.find("*/", start + 2)
        if end < 0:
            return "".join(out)
        pos = end + 2
    out.append(css[pos:])
    return "".join(out)


def css_links(css: str, base: str) -> list[tuple[str, str]]:
    """``url()`` and ``@import`` targets of a style sheet, resolved against ``base``."""
    css = strip_css_comments(css)
    found: list[tuple[str, str]] = []
    for m in _CSS_IMPORT.finditer(css):
        url = resolve(base, m.group(1) or m.group(2) or "")
        if url:
            found.append((url, "css/@import"))
    for m in _CSS_URL.finditer(css):
        url = resolve(base, m.group(1) or m.group(2) or m.group(3) or "")
        if url:
            found.append((url, "css/url()"))
    return found


def _srcset(value: str) -> list[str]:
    """The URLs of a ``srcset``, split as HTML does: a URL runs to the next whitespace, so it
    may hold commas (``data:`` placeholders of lazy loaders); a comma ending it, or the first
    comma outside parentheses after its descriptors, starts the next candidate."""
    out = []
    pos, end = 0, len(value)
    while pos < end:
        while pos < end and (value[pos].isspace() or value[pos] == ","):
            pos += 1
        start = pos
        while pos < end and not value[pos].isspace():
            pos += 1
        url = value[start:pos]
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            depth = 0
            while pos < end and (value[pos] != "," or depth):
                depth += {"(": 1, ")": -1 if depth else 0}.get(value[pos], 0)
                pos += 1
        if url:
            out.append(url)
    return out


_TAGS = (
    "img", "source", "input", "track", "link", "script", "video", "audio", "iframe", "frame",
    "embed", "object", "style", "a", "area", "body", "table", "td", "th",
)  # fmt: skip
# Walking every element costs as much as the parse: do it only if some style attribute may hold
# a url() -- a look at the raw bytes, linear however hostile the page (every search below only
# moves forward); a false positive only costs the full walk.  "&" counts too: url&#40; and
# &#x75;rl( become url( once parsed.  HTML whitespace is [\t\n\f\r ], not Python's \s.
_STYLE_ATTR = re.compile(rb"style[\t\n\f\r ]*=[\t\n\f\r ]*", re.IGNORECASE)
_VALUE_END = re.compile(rb"[\t\n\f\r >]")
_URL_OR_REFERENCE = re.compile(rb"url\(|&", re.IGNORECASE)
# what the byte look-ahead needs to read in a document: these characters as ASCII bytes
_PROBE = "style=url(&\"' >\t\n"


def _wide_bytes(html: bytes) -> bool:
    """Whether the bytes look UTF-16/32: a BOM, or NUL bytes among the first KiB."""
    bom = html.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_BE))
    return bom or b"\x00" in html[:1024]


def _meta_says_wide(root: lxml.etree._Element, html: bytes) -> bool:
    used = (root.getroottree().docinfo.encoding or "").lower().replace("_", "-")
    return used.startswith(("utf-16", "utf-32", "ucs-2", "ucs-4")) and not _wide_bytes(html)


def _python_name(encoding: str | None) -> str | None:
    if not encoding:
        return None
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


@functools.lru_cache(maxsize=256)
def _ascii_readable(encoding: str | None) -> bool:
    """Whether the markup's quotes, spaces and ``url(`` are plain ASCII bytes in ``encoding``."""
    if not encoding:
        return True
    try:
        name = codecs.lookup(encoding).name
    except LookupError:
        return False
    # wide, stateful, or (johab) with trail bytes that can be quotes, "=" or ">"
    if name.startswith(("utf-16", "utf-32", "utf-7", "iso2022", "hz", "johab")):
        return False
    try:
        return _PROBE.encode(name) == _PROBE.encode("ascii")
    except (UnicodeError, LookupError):  # LookupError: a codec that is no text encoding
        return False


def _may_have_style_urls(html: bytes) -> bool:
    if _wide_bytes(html):  # the byte patterns below cannot see markup in UTF-16/32
        return True
    end = min(len(html), _MAX_PARSE)
    hit = -1  # the next url( or & at or after the current value's start
    next_quote = {ord('"'): -1, ord("'"): -1}
    unquoted_end = -1
    for m in _STYLE_ATTR.finditer(html, 0, end):
        begin = m.end()
        if begin >= end:
            break
        if hit < begin:
            found = _URL_OR_REFERENCE.search(html, begin, end)
            if found is None:
                return False  # nothing from here on could become url(
            hit = found.start()
        quote = html[begin]
        if quote in next_quote:
            if next_quote[quote] <= begin:
                at = html.find(bytes((quote,)), begin + 1, end)
                next_quote[quote] = end if at < 0 else at
            stop = next_quote[quote]
        else:
            if unquoted_end < begin:
                value_end = _VALUE_END.search(html, begin, end)
                unquoted_end = end if value_end is None else value_end.start()
            stop = unquoted_end
        if hit < stop:
            return True
    return False


def _parsed_part(html: bytes) -> bytes:
    """What is parsed of a document: its first 20 MiB (sliced only when longer: a slice is a
    copy)."""
    return html if len(html) <= _MAX_PARSE else html[:_MAX_PARSE]


def _parse_tree(html: bytes, encoding: str | None) -> lxml.etree._Element | None:
    """The whole document as a tree (the fast way for a page of ordinary size)."""
    root = None
    # the label as given, Python's name for it (libxml2 knows "cp932", not "ms932"), then none:
    # libxml2 sniffs the <meta charset> or the bytes
    for declared in dict.fromkeys((encoding, _python_name(encoding), None)):
        try:
            parser = lxml.etree.HTMLParser(encoding=declared, recover=True, huge_tree=False)
            root = lxml.etree.fromstring(_parsed_part(html), parser=parser)
            break
        except LookupError:
            continue
        except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError):
            return None
    if root is not None and declared is None and _meta_says_wide(root, html):
        # HTML5: a <meta> naming UTF-16/32 is read as UTF-8 (a page that really is UTF-16
        # starts with a BOM); libxml2 believed it and decoded ASCII bytes as UTF-16
        parser = lxml.etree.HTMLParser(encoding="utf-8", recover=True, huge_tree=False)
        root = lxml.etree.fromstring(_parsed_part(html), parser=parser)
    return root


def _tree_elements(html: bytes, encoding: str | None) -> Iterator[lxml.etree._Element]:
    """Every element that may link, in document order, from the parsed tree."""
    root = _parse_tree(html, encoding)
    if root is None:
        return
    for b in root.iter("base"):
        yield b
        break
    for title in root.iter("title"):
        yield title
        break
    # Only the tags that link are walked, unless some element may carry a style url(): then
    # every element, so that what is found keeps document order either way.
    used = root.getroottree().docinfo.encoding
    every = not _ascii_readable(used) or _may_have_style_urls(html)
    yield from root.iter() if every else root.iter(*_TAGS)


def _stream_encoding(html: bytes, encoding: str | None) -> str | None:
    """The encoding to stream ``html`` in, as :func:`_parse_tree` would pick it: the label
    (or Python's name for it) if libxml2 knows it; else None (libxml2 sniffs a BOM or the
    ``<meta>``), but UTF-8 for a ``<meta>`` naming UTF-16/32 on ASCII bytes (the first 64 KiB
    tell)."""
    for label in dict.fromkeys((encoding, _python_name(encoding))):
        if not label:
            continue
        try:
            lxml.etree.HTMLParser(encoding=label)
            return label
        except LookupError:
            continue
    try:
        head = lxml.etree.fromstring(html[:_SNIFF], parser=lxml.etree.HTMLParser(recover=True))
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError):
        return None
    return "utf-8" if head is not None and _meta_says_wide(head, html) else None


def _streamed_elements(html: bytes, encoding: str | None) -> Iterator[lxml.etree._Element]:
    """Every element in document order, parsed incrementally: each is dropped once read, so
    memory holds the elements still open, not the document (a page of a million links)."""
    chosen = _stream_encoding(html, encoding)
    try:
        events = lxml.etree.iterparse(
            io.BytesIO(_parsed_part(html)),
            events=("start", "end"),
            html=True,
            recover=True,
            huge_tree=False,
            encoding=chosen,
        )
        for event, el in events:
            tag = el.tag if isinstance(el.tag, str) else ""
            if event == "start":
                if tag not in ("style", "title"):  # their text is known at their end
                    yield el
                continue
            if tag in ("style", "title"):
                yield el
            el.clear(keep_tail=True)
            parent = el.getparent()
            if parent is not None:
                while el.getprevious() is not None:
                    del parent[0]
    except (LookupError, lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError):
        return


def html_links(
    html: bytes, url: str, *, encoding: str | None = None, max_links: int | None = None
) -> PageLinks:
    """Parse ``html`` (bytes as received, decoded) and list what it links to: at most
    ``max_links`` in each list (the rest is counted in :attr:`PageLinks.dropped`).

    A document up to :data:`STREAM_FROM` bytes is parsed whole; a longer one incrementally, in
    memory that does not grow with it (a ``<base>`` then applies from where it stands).
    """
    links = PageLinks()
    if not html.strip():
        return links
    # lxml.etree's parser, not lxml.html's: the latter calls back into Python to pick a class
    # for every element, which cost more than the parse on a news page.
    elements = (
        _tree_elements(html, encoding)
        if len(html) <= STREAM_FROM
        else _streamed_elements(html, encoding)
    )
    base = url
    has_base = False
    # One seen-set per list: an image linked with <a href> (WordPress links every image to
    # its full-size file) is still a requisite when an <img> names it too.
    seen: dict[int, set[str]] = {}
    raw_seen: set[tuple[int, str]] = set()

    def add(target: list[tuple[str, str]], ref: str | None, how: str) -> None:
        if not ref:
            return
        if max_links is not None and len(target) >= max_links:
            links.dropped += 1
            return
        key = (id(target), ref)
        if key in raw_seen:  # the same raw reference resolves the same: skip the work
            return
        raw_seen.add(key)
        resolved = resolve(base, ref)
        done = seen.setdefault(id(target), set())
        if resolved and resolved not in done:
            done.add(resolved)
            target.append((resolved, how))

    title_seen = False
    for el in elements:
        tag = el.tag if isinstance(el.tag, str) else ""  # comments and PIs have no str tag
        if tag == "base":
            href = el.get("href")
            if href and not has_base:  # the first <base> decides
                base = resolve(url, href) or url
            has_base = True
            continue
        if tag == "title":
            if not title_seen and el.text:
                links.title = " ".join(el.text.split()) or None
            title_seen = True
            continue
        if tag == "input" and (el.get("type") or "").lower() != "image":
            pass  # a text field, a button: only its style may name an image
        elif tag in ("img", "source", "input", "track"):
            add(links.requisites, el.get("src"), f"{tag}/@src")
            for attr in ("srcset", "data-srcset"):
                for ref in _srcset(el.get(attr) or ""):
                    add(links.requisites, ref, f"{tag}/@{attr}")
            add(links.requisites, el.get("data-src"), f"{tag}/@data-src")
        elif tag == "link":
            rels = set((el.get("rel") or "").lower().split())
            if rels & _LINK_RELS:
                add(links.requisites, el.get("href"), "link/@href")
            for ref in _srcset(el.get("imagesrcset") or ""):
                add(links.requisites, ref, "link/@imagesrcset")
        elif tag == "script":
            add(links.requisites, el.get("src"), "script/@src")
        elif tag in ("video", "audio"):
            add(links.requisites, el.get("src"), f"{tag}/@src")
            add(links.requisites, el.get("poster"), f"{tag}/@poster")
        elif tag in ("iframe", "frame"):
            add(links.frames, el.get("src"), f"{tag}/@src")
        elif tag == "embed":
            add(links.requisites, el.get("src"), "embed/@src")
        elif tag == "object":
            add(links.requisites, el.get("data"), "object/@data")
        elif tag == "style" and el.text:
            for ref, how in css_links(el.text, base):
                add(links.requisites, ref, how.replace("css", "style"))
        elif tag in ("a", "area"):
            add(links.outlinks, el.get("href"), f"{tag}/@href")
        if tag in ("body", "table", "td", "th"):
            add(links.requisites, el.get("background"), f"{tag}/@background")
        style = el.get("style") if tag else None
        if style and "url(" in style.lower():
            for ref, _how in css_links(style, base):
                add(links.requisites, ref, f"{tag}/@style")
    return links
