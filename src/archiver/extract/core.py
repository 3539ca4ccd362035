"""``extract()``: one HTML document → one :class:`Article` (a pure function)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from archiver.errors import ArchiverError, ExtractError
from archiver.extract.article import Article, Image
from archiver.extract.authors import clean_authors
from archiver.extract.clean import clean_tree
from archiver.extract.dates import parse_date
from archiver.extract.decode import decode_html
from archiver.extract.dom import normalize_space, parse_html, remove_element, strip_controls
from archiver.extract.maintext import extract_main, filter_paragraphs, render_text
from archiver.extract.metadata import Metadata, read_metadata
from archiver.extract.rules import SiteRule, SiteRules, selected_values

__all__ = ["extract"]

log = logging.getLogger(__name__)

#: A JSON-LD ``articleBody`` replaces the text found in the page when it is this much longer
#: (pages that render their text with scripts, or show only a teaser of it).
_LONGER_BODY = 1.3
_MIN_BODY = 150


def extract(
    html: bytes | str,
    *,
    url: str,
    headers: Mapping[str, str] | None = None,
    rules: SiteRules | None = None,
) -> Article:
    """Extract the article of one HTML document.

    ``html`` is the response body (bytes are decoded using ``headers``' charset, a BOM,
    ``<meta charset>`` or detection); ``url`` is where it was fetched from; ``rules`` are
    optional :class:`SiteRules` whose selectors win over the heuristics.  A page without
    article text gives an :class:`Article` whose ``text`` is empty.  Anything that goes
    wrong raises :class:`ExtractError` naming ``url``.

        >>> extract(b"<title>Hi</title><p>" + b"Some words here. " * 5, url="https://e.org/")
        ...                                                          # doctest: +ELLIPSIS
        Article(url='https://e.org/', title='Hi', text='Some words here. ...
    """
    try:
        return _extract(html, url=url, headers=headers, rules=rules)
    except ArchiverError:
        raise
    except Exception as exc:  # a bug or a pathological input must not escape as anything else
        log.debug("extraction failed for %s", url, exc_info=True)
        raise ExtractError(f"cannot extract article: {type(exc).__name__}: {exc}", url=url) from exc


def _extract(
    html: bytes | str,
    *,
    url: str,
    headers: Mapping[str, str] | None,
    rules: SiteRules | None,
) -> Article:
    decoded = decode_html(html, headers=headers)
    if (
        isinstance(html, bytes)
        and decoded.encoding == "utf-8"
        and decoded.source != "bom"
        and "\ufffd" not in decoded.text
    ):
        root = parse_html(html)  # valid UTF-8 already: spare the re-encoding
    else:
        root = parse_html(decoded.text)
    meta = read_metadata(root, url=url, headers=headers)
    rule = rules.for_url(url) if rules is not None else None
    if rule is not None:
        _apply_rule_metadata(rule, root, meta)
        for selector in rule.drop:
            for el in selector.select(root):
                remove_element(el)
    title = meta.title or ""

    body_nodes = [el for s in rule.body for el in s.select(root)][:50] if rule else []
    if body_nodes:
        for node in body_nodes:
            etree.strip_elements(node, "script", "style", "noscript", "template", with_tail=False)
        paragraphs = filter_paragraphs(render_text(body_nodes), title=title)
        images: list[tuple[str, str | None]] = []
    else:
        clean_tree(root)
        main = extract_main(root, title=title)
        paragraphs = list(main.paragraphs)
        images = list(main.images)

    text = "\n\n".join(paragraphs)
    body = meta.jsonld.body
    if (
        not body_nodes  # a site rule's body wins over every heuristic, this one included
        and body
        and len(body) >= _MIN_BODY
        and (len(body) > len(text) * _LONGER_BODY or not _covers(text, body))
    ):
        text = "\n\n".join(filter_paragraphs(_declared_paragraphs(body), title=title))

    clean = strip_controls
    return Article(
        url=url,
        title=clean(title),
        text=clean(text),
        canonical_url=meta.canonical_url,
        description=clean(meta.description) if meta.description else meta.description,
        authors=tuple(clean(a) for a in meta.authors),
        published=meta.published,
        modified=meta.modified,
        language=meta.language,
        publisher=clean(meta.publisher) if meta.publisher else meta.publisher,
        section=clean(meta.section) if meta.section else meta.section,
        tags=tuple(clean(t) for t in meta.tags),
        images=_merge_images(meta.images, images, url),
    )


def _declared_paragraphs(body: str) -> list[str]:
    """Paragraphs of a JSON-LD ``articleBody``: plain text split at line breaks, or HTML
    (some sites put markup there) rendered like a page."""
    if "</" in body or "<br" in body:
        root = parse_html(f"<html><body>{body}</body></html>")
        return render_text([root.find("body") if root.find("body") is not None else root])
    lines = (normalize_space(line) for line in body.replace("\r", "").split("\n"))
    return [line for line in lines if line]


def _covers(text: str, body: str) -> bool:
    """Whether ``text`` holds most of the opening words of ``body``."""
    words = body.split()[:80]
    if not words:
        return True
    present = set(text.split())
    return sum(word in present for word in words) >= 0.6 * len(words)


def _apply_rule_metadata(rule: SiteRule, root: Any, meta: Metadata) -> None:
    titles = selected_values(rule.title, root)
    if titles:
        meta.title = normalize_space(titles[0])
    authors = clean_authors(selected_values(rule.authors, root))
    if authors:
        meta.authors = authors
    for value in selected_values(rule.date, root):
        parsed = parse_date(value)
        if parsed is not None:
            meta.published = parsed
            break


def _merge_images(
    declared: list[Image], found: list[tuple[str, str | None]], url: str
) -> tuple[Image, ...]:
    result: dict[str, Image] = {image.url: image for image in declared}
    for src, caption in found:
        full = src if src.startswith(("https://", "http://")) else urljoin(url, src)
        if not full.startswith(("http:", "https:")):
            continue
        if full not in result or (caption and not result[full].caption):
            result[full] = Image(full, caption)
    return tuple(result.values())[:30]
