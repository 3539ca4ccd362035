"""Article metadata from JSON-LD (schema.org), including ``@graph`` documents.

Pages often hold several JSON-LD blocks (WebSite, BreadcrumbList, Organization, the article);
the article node is the first whose ``@type`` is an article type.  ``author`` and ``publisher``
may be ``{"@id": …}`` references to other nodes of the graph; they are resolved.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

__all__ = ["ARTICLE_TYPES", "JsonLd", "read_jsonld"]

log = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset(
    {
        "article", "newsarticle", "blogposting", "reportagenewsarticle", "analysisnewsarticle",
        "opinionnewsarticle", "reviewnewsarticle", "backgroundnewsarticle", "askpublicnewsarticle",
        "scholarlyarticle", "techarticle", "socialmediaposting", "liveblogposting", "report",
        "medicalscholarlyarticle", "satiricalarticle", "advertisercontentarticle", "posting",
        "discussionforumposting", "review", "recipe", "howto", "creativework",
    }
)  # fmt: skip
_PAGE_TYPES = frozenset({"webpage", "itempage", "medicalwebpage", "aboutpage", "profilepage"})
_find_scripts = etree.XPath(
    "//script[contains(translate(@type, 'JSONLD', 'jsonld'), 'ld+json')]", smart_strings=False
)
_TRAILING_COMMA = re.compile(r",\s*([}\]])")
_MAX_BLOCK = 2_000_000


@dataclass
class JsonLd:
    """What the JSON-LD of a page says about its article (fields empty when absent)."""

    headline: str | None = None
    authors: list[str] = field(default_factory=list)
    published: str | None = None
    modified: str | None = None
    description: str | None = None
    publisher: str | None = None
    section: str | None = None
    keywords: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    language: str | None = None
    url: str | None = None
    body: str | None = None
    is_article: bool = False
    #: Every author is an Organization (a weaker signal than a person's name).
    authors_are_organizations: bool = False


def _types(node: dict[str, Any]) -> set[str]:
    value = node.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v.rsplit("/", 1)[-1].lower() for v in values if isinstance(v, str)}


def _walk(value: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every dict node, outer first (``@graph`` and lists flattened, nesting bounded)."""
    if depth > 8:
        return
    if isinstance(value, list):
        for item in value:
            yield from _walk(item, depth + 1)
    elif isinstance(value, dict):
        yield value
        for key in ("@graph", "mainEntity", "mainEntityOfPage", "itemListElement", "hasPart"):
            if key in value:
                yield from _walk(value[key], depth + 1)


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, list) and value:
        return _text(value[0])
    if isinstance(value, dict):
        return _text(value.get("name") or value.get("@value"))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def _names(value: Any, ids: dict[str, dict[str, Any]], depth: int = 0) -> list[str]:
    if depth > 4 or value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [n for v in value for n in _names(v, ids, depth + 1)]
    if isinstance(value, dict):
        name = value.get("name")
        if not name and isinstance(value.get("@id"), str) and value["@id"] in ids:
            name = ids[value["@id"]].get("name")
        if not name and (value.get("givenName") or value.get("familyName")):
            name = f"{value.get('givenName') or ''} {value.get('familyName') or ''}"
        if isinstance(name, list):
            name = name[0] if name else None
        return [name] if isinstance(name, str) else []
    return []


def _only_organizations(value: Any, ids: dict[str, dict[str, Any]]) -> bool:
    items = value if isinstance(value, list) else [value]
    nodes = [
        ids.get(item["@id"], item) if isinstance(item.get("@id"), str) else item
        for item in items
        if isinstance(item, dict)
    ]
    return (
        bool(nodes)
        and len(nodes) == len(items)
        and all(
            _types(n) & {"organization", "newsmediaorganization", "corporation", "brand"}
            for n in nodes
        )
    )


def _images(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [u for v in value for u in _images(v)][:10]
    if isinstance(value, dict):
        url = value.get("url") or value.get("contentUrl")
        return [url] if isinstance(url, str) else []
    return []


def _keywords(value: Any) -> list[str]:
    if isinstance(value, str):
        return [k.strip() for k in value.split(",") if k.strip()]
    if isinstance(value, list):
        return [k.strip() for k in value if isinstance(k, str) and k.strip()]
    return []


def _load(raw: str) -> Any:
    raw = raw.strip().removeprefix("<!--").removesuffix("-->").strip()
    if not raw or len(raw) > _MAX_BLOCK:
        return None
    try:
        return json.loads(raw, strict=False)
    except (ValueError, RecursionError):
        pass
    try:
        return json.loads(_TRAILING_COMMA.sub(r"\1", raw), strict=False)
    except (ValueError, RecursionError):
        log.debug("unreadable JSON-LD block skipped")
        return None


def read_jsonld(root: Any) -> JsonLd:
    """Read every JSON-LD block of the document ``root``."""
    nodes: list[dict[str, Any]] = []
    for script in _find_scripts(root):
        data = _load(script.text or "")
        if data is not None:
            nodes.extend(_walk(data))
    result = JsonLd()
    if not nodes:
        return result
    ids = {n["@id"]: n for n in nodes if isinstance(n.get("@id"), str)}
    article = next((n for n in nodes if _types(n) & ARTICLE_TYPES), None)
    page = next((n for n in nodes if _types(n) & _PAGE_TYPES), None)
    node = article or page
    if node is None:
        return result
    result.is_article = article is not None
    result.headline = _text(node.get("headline")) or (
        _text(node.get("name")) if article is not None else None
    )
    author = node.get("author") or node.get("creator")
    result.authors = _names(author, ids)
    result.authors_are_organizations = _only_organizations(author, ids)
    result.published = _text(node.get("datePublished") or node.get("dateCreated"))
    result.modified = _text(node.get("dateModified"))
    if article is not None and page is not None:
        result.published = result.published or _text(page.get("datePublished"))
        result.modified = result.modified or _text(page.get("dateModified"))
        if not result.authors:
            result.authors = _names(page.get("author"), ids)
    result.description = _text(node.get("description"))
    publisher = _names(node.get("publisher"), ids)
    result.publisher = publisher[0] if publisher else None
    result.section = _text(node.get("articleSection"))
    result.keywords = _keywords(node.get("keywords"))
    result.images = _images(node.get("image"))
    result.language = _text(node.get("inLanguage"))
    result.url = _text(node.get("url"))
    body = node.get("articleBody")
    result.body = body if isinstance(body, str) else None
    return result
