"""Article metadata from the whole page: JSON-LD, OpenGraph and ``article:*``, Twitter cards,
``<meta>`` (author, description, ``dc.*``, ``citation_*``, …), microdata, ``<time>``, visible
bylines and ``<html lang>``.

Each field takes the first trustworthy source in a fixed order (structured data before
visible text), then is normalised: titles lose a trailing site name, authors become clean
de-duplicated names, dates keep their zone, languages become BCP 47 tags.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import unquote, urljoin

from lxml import etree

from archiver.extract.article import Image
from archiver.extract.authors import clean_authors
from archiver.extract.dates import DateValue, date_from_text, date_from_url, parse_date
from archiver.extract.decode import header_value
from archiver.extract.dom import element_text, normalize_space
from archiver.extract.jsonld import JsonLd, read_jsonld

__all__ = ["Metadata", "bcp47", "read_metadata"]

_PUBLISHED_KEYS = (
    "article:published_time", "og:article:published_time", "og:published_time",
    "datepublished", "article.published", "published_time", "published-date",
    "publish-date", "publish_date", "publishdate", "pubdate", "published", "date", "dc.date.issued",
    "dcterms.issued", "dc.date", "dcterms.date", "dcterms.created", "dc.date.created",
    "citation_publication_date", "citation_date", "citation_online_date", "sailthru.date",
    "parsely-pub-date", "article_date_original", "original-publish-date", "datecreated",
    "date.available", "eprints.date", "bt:pubdate", "cxenseparse:recs:publishtime",
)  # fmt: skip
_MODIFIED_KEYS = (
    "article:modified_time", "og:updated_time", "og:article:modified_time", "datemodified",
    "last-modified", "lastmod", "dcterms.modified", "dc.date.modified", "article.updated",
    "modified_time",
)  # fmt: skip
_AUTHOR_KEYS = (
    "author", "article:author", "og:article:author", "citation_author", "dc.creator",
    "dcterms.creator", "parsely-author", "sailthru.author", "byl", "twitter:data1",
    "cxenseparse:author", "book:author",
)  # fmt: skip
_TITLE_KEYS = ("og:title", "twitter:title", "citation_title", "dc.title", "dcterms.title", "title")
_DESCRIPTION_KEYS = ("description", "og:description", "twitter:description", "dc.description")
_SEPARATORS = re.compile(r"\s+(?:[|\-–—:·•»/]|::)\s+")
_LANG = re.compile(r"^([a-zA-Z]{2,3})(?:[-_]([a-zA-Z]{4}))?(?:[-_]([a-zA-Z]{2}|\d{3}))?\b")
_TWITTER_LABEL = "twitter:label1"

_items = etree.XPath("//*[@itemprop]", smart_strings=False)
_h1s = etree.XPath("//h1", smart_strings=False)
_links = etree.XPath("//link[@rel]", smart_strings=False)
_times = etree.XPath("//time[@datetime or @pubdate]", smart_strings=False)
_bylines = etree.XPath(
    "//body//*[@class or @id or @rel]"
    "[self::a or self::span or self::div or self::p or self::address or self::li]"
    "[@rel='author' or contains(@class, 'author') or contains(@class, 'byline')"
    " or contains(@class, 'Author') or contains(@class, 'Byline')"
    " or contains(@id, 'author') or contains(@id, 'byline')]",
    smart_strings=False,
)
_date_nodes = etree.XPath(
    "//*[self::span or self::div or self::p or self::time or self::li or self::small]"
    "[contains(@class, 'date') or contains(@class, 'Date') or contains(@class, 'time')"
    " or contains(@class, 'publish') or contains(@class, 'posted') or contains(@id, 'date')]",
    smart_strings=False,
)


@dataclass
class Metadata:
    """Metadata read from a page (every field optional)."""

    title: str | None = None
    authors: list[str] = field(default_factory=list)
    published: DateValue | None = None
    modified: DateValue | None = None
    description: str | None = None
    canonical_url: str | None = None
    language: str | None = None
    publisher: str | None = None
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    jsonld: JsonLd = field(default_factory=JsonLd)


def bcp47(value: str | None) -> str | None:
    """A BCP 47 tag from a language value (``en_us`` → ``en-US``), or None."""
    if not value:
        return None
    match = _LANG.match(value.strip())
    if match is None:
        return None
    lang, script, region = match.groups()
    tag = lang.lower()
    if script:
        tag += "-" + script.title()
    if region:
        tag += "-" + region.upper()
    return tag


def _meta_map(root: Any) -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    for meta in root.iter("meta"):
        content = meta.get("content")
        if content is None:
            continue
        content = content.strip()
        if not content:
            continue
        for attr in ("property", "name", "itemprop", "http-equiv"):
            key = meta.get(attr)
            if key:
                values.setdefault(key.strip().lower(), []).append(content)
    return values


def _first(meta: Mapping[str, list[str]], keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if key in meta:
            return meta[key][0]
    return None


def _strip_site(title: str, site: str | None) -> str:
    """Remove a site name around the title (``Title | Site`` → ``Title``)."""
    parts = _SEPARATORS.split(title)
    if len(parts) < 2:
        return title
    if site:
        key = site.casefold()
        kept = [p for p in parts if p.casefold() != key and key not in p.casefold()]
        if kept and len(kept) < len(parts):
            return " - ".join(kept) if len(kept) > 1 else kept[0]
    # Otherwise the site name is the short end: keep the longest part if clearly longer.
    longest = max(parts, key=len)
    if len(longest) >= 0.5 * len(title) and (parts[0] is longest or parts[-1] != longest):
        return longest
    return title


def _choose_title(root: Any, meta: Mapping[str, list[str]], ld: JsonLd, site: str | None) -> str:
    head_title = None
    title_el = root.find(".//title")
    if title_el is not None:
        head_title = normalize_space("".join(title_el.itertext()))
    declared = [t for t in (ld.headline, *(meta.get(k, [None])[0] for k in _TITLE_KEYS)) if t]
    # Declared titles are often escaped twice ("&amp;#8217;" arrives as "&#8217;").
    declared = [normalize_space(html.unescape(t)) for t in declared]
    h1s = [element_text(h) for h in _h1s(root)[:5]]
    h1s = [h for h in h1s if 0 < len(h) < 300]
    candidates = [t.casefold() for t in (*declared, head_title) if t]
    for h1 in h1s:
        key = h1.casefold()
        if any(key == c or (len(key) > 10 and key in c) for c in candidates):
            return h1
    if len(h1s) == 1:  # a page with one <h1> names its article with it
        return h1s[0]
    if declared:
        return _strip_site(declared[0], site)
    if head_title:
        return _strip_site(head_title, site)
    return h1s[0] if h1s else ""


def _microdata(root: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for el in _items(root):
        prop = el.get("itemprop", "").strip().lower()
        if prop not in ("author", "datepublished", "datemodified", "headline", "name", "creator"):
            continue
        if prop in ("author", "creator") and el.get("itemscope") is not None:
            names = [
                n.get("content") or element_text(n)
                for n in el.iter()
                if n is not el and (n.get("itemprop") or "").lower() == "name"
            ]
            value = names[0] if names else element_text(el)
        else:
            value = el.get("content") or el.get("datetime") or element_text(el)
        if value:
            found.setdefault(prop, []).append(value)
    return found


def _meta_authors(meta: Mapping[str, list[str]]) -> list[str]:
    for key in _AUTHOR_KEYS:
        values = meta.get(key, [])
        if (
            key == "twitter:data1"
            and "written by" not in " ".join(meta.get(_TWITTER_LABEL, [])).lower()
        ):
            continue
        found = clean_authors(v for v in values if not v.startswith(("http:", "https:")))
        if found:
            return found
    return []


def _choose_authors(
    root: Any,
    meta: Mapping[str, list[str]],
    micro: Mapping[str, list[str]],
    ld: JsonLd,
    title: str | None,
) -> list[str]:
    """Authors from the first source that names any, people before organisations."""
    people = not ld.authors_are_organizations
    candidates: tuple[Callable[[], list[str]], ...] = (
        lambda: clean_authors(ld.authors) if people else [],
        lambda: _meta_authors(meta),
        lambda: clean_authors(micro.get("author", []) + micro.get("creator", [])),
        lambda: _byline_near_title(root, title),
        lambda: _visible_byline(root),
        lambda: clean_authors(ld.authors),
    )
    for candidate in candidates:
        found = candidate()
        if found:
            return found
    return []


_BY_WORD = re.compile(r"^(?:written\s+|posted\s+|words\s+|story\s+)?(?:by|author)\s*:?\s*$", re.I)
_BY_LINE = re.compile(r"^(?:written\s+|posted\s+)?by\s*:?\s+(\S.{1,60})$", re.I)


def _byline_near_title(root: Any, title: str | None) -> list[str]:
    """A "By Name" line (or a "By" followed by the name) just after the headline."""
    heading = _title_heading(root, title)
    if heading is None:
        return []
    texts = [t.strip() for t in _after_heading(heading)][:25]
    for index, text in enumerate(texts):
        if len(text) > _DATE_LINE:
            continue
        if _BY_WORD.match(text) and index + 1 < len(texts):
            found = clean_authors([texts[index + 1]])
            if found:
                return found
        match = _BY_LINE.match(text)
        if match:
            found = clean_authors([match.group(1)])
            if found:
                return found
    return []


def _visible_byline(root: Any) -> list[str]:
    for el in _bylines(root)[:12]:
        # Text nodes joined with spaces: a name and a date in sibling spans stay apart.
        text = normalize_space(" ".join(el.itertext()))
        if 2 < len(text) < 80:
            names = clean_authors([text])
            if names:
                return names
    return []


#: Text nodes this short (after and before the headline) are looked at for a date.
_DATE_LINE = 100
_after_heading = etree.XPath(
    "following::text()[normalize-space()][position() <= 40]", smart_strings=False
)
_before_heading = etree.XPath(
    "preceding::text()[normalize-space()][position() <= 15]", smart_strings=False
)
_SCRIPT_DATE = re.compile(
    r'\\?"(?:datePublished|publishedAt|published_at|publishedDate|publishDate|publish_date|'
    r'first_publication_date|pubDate|dateCreated|createdAt|date)\\?"\s*:\s*\\?"'
    r"(\d{4}-\d{2}-\d{2}(?:[T ][0-9:.+\-Z]{5,})?)"
)


def _precise(
    found: DateValue, meta: Mapping[str, list[str]], micro: Mapping[str, list[str]], ld: JsonLd
) -> DateValue:
    """``found``, or the declared date it stands for: a declared date-time of the same day
    (which keeps the time and zone), or of the day read the other way round when day and
    month could be swapped (``10/09/2024`` printed, ``2024-09-10`` declared)."""
    if isinstance(found, datetime):
        return found
    declared = [
        parse_date(value)
        for value in (_first(meta, _PUBLISHED_KEYS), *micro.get("datepublished", [])[:1])
    ]
    declared.append(parse_date(ld.published))
    swapped = None
    if found.day <= 12 and found.day != found.month:
        swapped = date(found.year, found.day, found.month)
    for parsed in declared:
        if parsed is None:
            continue
        day = parsed.date() if isinstance(parsed, datetime) else parsed
        if day == found and isinstance(parsed, datetime):
            return parsed
        if swapped is not None and day == swapped:
            return parsed
    return found


def _title_heading(root: Any, title: str | None) -> Any:
    """The ``<h1>`` holding the title (else the first one), or None."""
    headings = _h1s(root)
    if not headings:
        return None
    if title:
        key = title.casefold()
        return next((h for h in headings if element_text(h).casefold() == key), headings[0])
    return headings[0]


def _date_near_title(root: Any, title: str | None) -> DateValue | None:
    """A date written in the short lines around the headline (bylines, "Updated …")."""
    heading = _title_heading(root, title)
    if heading is None:
        return None
    for texts in (_after_heading(heading), reversed(_before_heading(heading))):
        for text in texts:
            if len(text) > _DATE_LINE:
                continue
            value = date_from_text(text)
            if value is not None:
                return value
    return None


_labelled_texts = etree.XPath(
    "//body//text()[string-length() < 120][contains(., 'pdated') or contains(., 'ublished')"
    " or contains(., 'osted on') or contains(., 'Date')][not(ancestor::script)]",
    smart_strings=False,
)


def _labelled_date(root: Any) -> DateValue | None:
    """A date in a short "Published …" / "Last updated …" line anywhere in the page."""
    for text in _labelled_texts(root)[:20]:
        value = date_from_text(text)
        if value is not None:
            return value
    return None


def _date_in_scripts(root: Any) -> DateValue | None:
    """A publication date in the JSON state of a script-rendered page."""
    for script in root.iter("script"):
        match = _SCRIPT_DATE.search(script.text or "")
        if match:
            value = parse_date(match.group(1))
            if value is not None:
                return value
    return None


def _visible_date(root: Any) -> DateValue | None:
    for el in _times(root)[:5]:
        value = parse_date(el.get("datetime") or "")
        if value is not None:
            return value
    for el in _date_nodes(root)[:12]:
        text = element_text(el)
        if len(text) < 80:
            value = date_from_text(text)
            if value is not None:
                return value
    return None


def read_metadata(root: Any, *, url: str, headers: Mapping[str, str] | None = None) -> Metadata:
    """Read the metadata of the parsed page ``root`` (call before the tree is cleaned)."""
    meta = _meta_map(root)
    ld = read_jsonld(root)
    micro = _microdata(root)
    result = Metadata(jsonld=ld)

    site = _first(meta, ("og:site_name", "application-name", "twitter:site"))
    publisher = ld.publisher or site
    result.publisher = normalize_space(html.unescape(publisher)) if publisher else None
    result.title = _choose_title(root, meta, ld, site or ld.publisher)

    result.authors = _choose_authors(root, meta, micro, ld, result.title)

    for value in (ld.modified, _first(meta, _MODIFIED_KEYS), *micro.get("datemodified", [])):
        parsed = parse_date(value)
        if parsed is not None:
            result.modified = parsed
            break
    # Sources in order of how often they hold the date the article presents (measured on
    # the WCXB development pages): a date in the URL path, explicit <meta> tags, microdata,
    # the date printed beside the headline, JSON-LD, other visible dates, script state.
    candidates: tuple[Callable[[], DateValue | None], ...] = (
        lambda: (
            date_from_url(unquote(url)) or date_from_url(unquote(_first(meta, ("og:url",)) or ""))
        ),
        lambda: parse_date(_first(meta, _PUBLISHED_KEYS)),
        lambda: parse_date(next(iter(micro.get("datepublished", [])), None)),
        lambda: _date_near_title(root, result.title),
        lambda: parse_date(ld.published),
        lambda: _visible_date(root),
        lambda: _labelled_date(root),
        lambda: _date_in_scripts(root),
        lambda: result.modified,
    )
    for candidate in candidates:
        found = candidate()
        if found is not None:
            result.published = _precise(found, meta, micro, ld)
            break

    description = ld.description or _first(meta, _DESCRIPTION_KEYS)
    result.description = normalize_space(html.unescape(description)) if description else None

    canonical = None
    for link in _links(root):
        if "canonical" in link.get("rel", "").lower().split() and link.get("href"):
            canonical = link.get("href").strip()
            break
    canonical = canonical or _first(meta, ("og:url",)) or ld.url
    if canonical:
        joined = urljoin(url, canonical)
        result.canonical_url = joined if joined.startswith(("http:", "https:")) else None

    html_lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang")
    result.language = (
        bcp47(html_lang)
        or bcp47(_first(meta, ("content-language", "language", "dc.language", "og:locale")))
        or bcp47(header_value(headers, "content-language"))
        or bcp47(ld.language)
    )
    section = ld.section or _first(meta, ("article:section", "section", "parsely-section"))
    result.section = normalize_space(html.unescape(section)) if section else None

    tags = meta.get("article:tag", []) or ld.keywords
    if not tags and "keywords" in meta:
        tags = [k for k in meta["keywords"][0].split(",")]
    seen: set[str] = set()
    for tag in tags:
        tag = normalize_space(html.unescape(tag))
        if tag and len(tag) < 100 and tag.casefold() not in seen:
            seen.add(tag.casefold())
            result.tags.append(tag)
    result.tags = result.tags[:50]

    image_urls = [*meta.get("og:image", [])[:1], *ld.images, *meta.get("twitter:image", [])[:1]]
    seen_images: set[str] = set()
    for image in image_urls:
        full = urljoin(url, image.strip())
        if full.startswith(("http:", "https:")) and full not in seen_images:
            seen_images.add(full)
            result.images.append(Image(full))
    return result
