"""Seeds from feeds (RSS 2.0, RSS 1.0/RDF, Atom) and sitemaps (urlset, sitemapindex, news).

XML from the web is hostile until proven otherwise.  Documents are parsed with entity
resolution, DTD loading and network access off; any document that declares entities
(billion laughs, external entities) is refused — before parsing when its bytes show the
declaration, else (UTF-16, a late DOCTYPE) from the parser's DTD, with nothing expanded or
loaded — and gzip-compressed sitemaps
are inflated incrementally up to a fixed limit (the sitemap protocol's 50 MB), so a
decompression bomb costs at most that much memory and then a clear :class:`UnsafeXMLError`.
"""

from __future__ import annotations

import io
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from email.utils import parsedate_to_datetime

import lxml.etree

from archiver.capture.urls import resolve
from archiver.errors import SeedError, UnsafeXMLError

__all__ = [
    "MAX_XML_BYTES",
    "SeedEntry",
    "iter_feed",
    "iter_sitemap",
    "parse_feed",
    "parse_sitemap",
]

#: Largest XML document read, after decompression (the sitemap protocol's limit).
MAX_XML_BYTES = 50 * 1024 * 1024
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_DOCTYPE = re.compile(rb"<!DOCTYPE[^>\[]*(\[|>)", re.IGNORECASE)
_INFLATE_STEP = 1024 * 1024
_ENTITIES_REFUSED = (
    "refused: the document declares XML entities (entity expansion and external "
    "entities are not allowed in feeds and sitemaps)"
)


@dataclass(frozen=True)
class SeedEntry:
    """One URL found in a feed or sitemap, with its date when the document gives one."""

    url: str
    kind: str = "page"  # or "sitemap" for the entries of a sitemap index
    date: date | None = None


def _inflate(data: bytes, url: str) -> bytes:
    """Gunzip ``data`` (a ``.xml.gz`` body) without ever holding more than the limit."""
    inflater = zlib.decompressobj(wbits=47)
    out = io.BytesIO()  # getvalue() hands its buffer over: the document is held once
    size = 0
    pending = data
    try:
        # Small steps: one big decompress() would hold the limit twice (its result and ``out``).
        while pending and size <= MAX_XML_BYTES:
            size += out.write(
                inflater.decompress(pending, min(_INFLATE_STEP, MAX_XML_BYTES + 1 - size))
            )
            pending = inflater.unconsumed_tail
        if size <= MAX_XML_BYTES:
            size += out.write(inflater.flush())  # at most one match left once input is consumed
    except zlib.error as exc:
        raise SeedError(f"gzip data is damaged: {exc}", url=url) from exc
    if size > MAX_XML_BYTES:
        raise UnsafeXMLError(
            f"refused: decompresses to more than {MAX_XML_BYTES // (1024 * 1024)} MB "
            "(a gzip bomb, or a sitemap over the protocol's limit)",
            url=url,
        )
    return out.getvalue()


def _checked(data: bytes, url: str) -> bytes:
    """``data`` inflated if gzipped, within the size limit, with no entity declaration seen."""
    if data[:2] == b"\x1f\x8b":
        data = _inflate(data, url)
    if len(data) > MAX_XML_BYTES:
        raise UnsafeXMLError(f"refused: larger than {MAX_XML_BYTES} bytes", url=url)
    doctype = _DOCTYPE.search(data, 0, 64 * 1024)
    if doctype is not None and _ENTITY_DECL.search(data):
        raise UnsafeXMLError(_ENTITIES_REFUSED, url=url)
    if not data.strip():
        raise SeedError("empty document", url=url)
    return data


_PARSER_OPTIONS: dict[str, bool] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "recover": True,
    "remove_comments": True,
    "remove_pis": True,
}


def _refuse_entities(root: lxml.etree._Element, url: str) -> None:
    # The byte check misses declarations it cannot see (UTF-16, a DOCTYPE after 64 KiB of
    # comments); the parser reports them whatever the encoding.  Nothing was expanded or loaded.
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise UnsafeXMLError(_ENTITIES_REFUSED, url=url)


def _root_kind(data: bytes, url: str) -> str:
    """The local name of the document's root, once its DOCTYPE (if any) is known safe."""
    try:
        for _event, root in lxml.etree.iterparse(
            io.BytesIO(data), events=("start",), **_PARSER_OPTIONS
        ):
            _refuse_entities(root, url)
            return _local(root.tag)
    except lxml.etree.XMLSyntaxError as exc:
        raise SeedError(f"not well-formed XML: {exc}", url=url) from exc
    raise SeedError("empty or unparseable XML document", url=url)


def _items(
    data: bytes, url: str, names: Callable[[str], frozenset[str]]
) -> Iterator[tuple[str, lxml.etree._Element]]:
    """Stream a document's items: ``(root kind, element)`` for each element whose local name is
    in ``names(root kind)``, at its end; each is cleared once used, and the elements before it
    dropped, so memory holds one item at a time, not the tree (a feed of a million items)."""
    kind = _root_kind(data, url)
    wanted = names(kind)
    # lxml filters the events itself (any namespace; the usual spellings of the name)
    tags = sorted({f"{{*}}{v}" for n in wanted for v in (n, n.capitalize(), n.upper())})
    events = lxml.etree.iterparse(io.BytesIO(data), events=("end",), tag=tags, **_PARSER_OPTIONS)
    try:
        for _event, el in events:
            yield kind, el
            el.clear(keep_tail=False)
            parent = el.getparent()
            if parent is not None and _local(parent.tag) not in wanted:
                while el.getprevious() is not None:
                    del parent[0]
    except lxml.etree.XMLSyntaxError as exc:
        raise SeedError(f"not well-formed XML: {exc}", url=url) from exc


def _local(tag: object) -> str:
    return tag.rpartition("}")[2].lower() if isinstance(tag, str) else ""


def _children(el: lxml.etree._Element, name: str) -> list[lxml.etree._Element]:
    return [c for c in el if _local(c.tag) == name]


def _text(el: lxml.etree._Element, *names: str) -> str | None:
    for name in names:
        for c in _children(el, name):
            text = c.text
            if isinstance(text, str) and text.strip():
                return text.strip()
    return None


def parse_date(value: str | None) -> date | None:
    """A date from RFC 822 (RSS), RFC 3339/ISO 8601 (Atom, sitemaps) or ``YYYY-MM-DD``."""
    if not value:
        return None
    value = value.strip()
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(value).date()
    except (TypeError, ValueError, IndexError):
        pass
    m = re.match(r"(\d{4})-(\d{2})-(\d{2})", value)
    if m:
        try:
            return date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError:
            return None
    return None


_FEED_ITEMS = {"feed": frozenset({"entry"}), "rss": frozenset({"item"}), "rdf": frozenset({"item"})}
_SITEMAP_ITEMS = {"sitemapindex": frozenset({"sitemap"}), "urlset": frozenset({"url"})}


def _feed_kind(kind: str, url: str) -> frozenset[str]:
    if kind not in _FEED_ITEMS:
        raise SeedError(f"not a feed (root element <{kind}>)", url=url)
    return _FEED_ITEMS[kind]


def _sitemap_kind(kind: str, url: str) -> frozenset[str]:
    if kind not in _SITEMAP_ITEMS:
        raise SeedError(f"not a sitemap (root element <{kind}>)", url=url)
    return _SITEMAP_ITEMS[kind]


def iter_feed(data: bytes, *, url: str) -> Iterator[SeedEntry]:
    """Item/entry links of an RSS 2.0, RSS 1.0 (RDF) or Atom feed, in document order, streamed
    (memory holds one item, whatever the feed's length)."""
    data = _checked(data, url)
    for kind, item in _items(data, url, lambda k: _feed_kind(k, url)):
        if kind == "feed":  # Atom: entries of the feed itself
            if item.getparent() is None or _local(item.getparent().tag) != "feed":
                continue
            href = None
            for link in _children(item, "link"):
                if (link.get("rel") or "alternate") == "alternate" and link.get("href"):
                    href = link.get("href")
                    break
            when = parse_date(_text(item, "published", "updated"))
        else:
            href = _text(item, "link")
            if not href:
                rdf_about = item.get("{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about")
                guid = _children(item, "guid")
                if rdf_about:
                    href = rdf_about
                elif guid and (guid[0].get("isPermaLink") or "true").lower() == "true":
                    href = (guid[0].text or "").strip()
            when = parse_date(_text(item, "pubdate", "date", "published", "updated"))
        entry = _entry(url, href, when)
        if entry is not None:
            yield entry


def iter_sitemap(data: bytes, *, url: str) -> Iterator[SeedEntry]:
    """Page URLs of a ``urlset`` (with lastmod or news publication date), or the sitemaps
    listed by a ``sitemapindex`` (kind ``sitemap``, to be fetched in turn), streamed."""
    data = _checked(data, url)
    for kind, item in _items(data, url, lambda k: _sitemap_kind(k, url)):
        parent = item.getparent()
        if parent is None or parent.getparent() is not None:
            continue  # only the root's own <url> or <sitemap> children
        when = parse_date(_text(item, "lastmod"))
        if kind == "sitemapindex":
            entry = _entry(url, _text(item, "loc"), when, kind="sitemap")
        else:
            for news in _children(item, "news"):
                when = parse_date(_text(news, "publication_date")) or when
            entry = _entry(url, _text(item, "loc"), when)
        if entry is not None:
            yield entry


def parse_feed(data: bytes, *, url: str) -> list[SeedEntry]:
    """:func:`iter_feed` as a list."""
    return list(iter_feed(data, url=url))


def parse_sitemap(data: bytes, *, url: str) -> list[SeedEntry]:
    """:func:`iter_sitemap` as a list."""
    return list(iter_sitemap(data, url=url))


def _entry(base: str, href: str | None, when: date | None, kind: str = "page") -> SeedEntry | None:
    if not href:
        return None
    resolved = resolve(base, href)
    return SeedEntry(url=resolved, kind=kind, date=when) if resolved else None
