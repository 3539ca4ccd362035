"""Site rules: per-host selectors that win over the heuristics for the fields they name.

A rules file is JSON valid against ``schemas/site-rules.schema.json``::

    {
      "version": 1,
      "rules": [
        {"host": "karennews.org",
         "body": {"css": "div.entry-content"},
         "title": {"xpath": "//h1[@class='entry-title']"},
         "authors": {"css": ".author-name"},
         "date": {"css": "time.entry-date", "attribute": "datetime"},
         "drop": [{"css": ".sharedaddy"}, {"xpath": "//div[@id='jp-relatedposts']"}]}
      ]
    }

``host`` matches that host and its subdomains (``www.karennews.org``); the most specific
rule wins.  A selector is ``{"xpath": …}`` or ``{"css": …}``, optionally with ``attribute``
(read that attribute instead of the text).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cssselect import HTMLTranslator, SelectorError
from lxml import etree

from archiver.errors import UsageError
from archiver.extract.dom import element_text
from archiver.schema import validate

__all__ = ["Selector", "SiteRule", "SiteRules", "load_rules"]


@dataclass(frozen=True)
class Selector:
    """One compiled XPath (CSS is translated to XPath once, when the rule is loaded)."""

    expression: str
    attribute: str | None = None
    _xpath: Any = field(default=None, compare=False, repr=False)

    @classmethod
    def from_json(cls, value: Mapping[str, Any]) -> Selector:
        """Build from ``{"xpath": …}`` or ``{"css": …}`` (plus optional ``attribute``)."""
        if "css" in value:
            try:
                expression = HTMLTranslator().css_to_xpath(value["css"])
            except SelectorError as exc:
                raise UsageError(f"bad CSS selector {value['css']!r}: {exc}") from exc
        else:
            expression = value["xpath"]
        try:
            compiled = etree.XPath(expression, smart_strings=False)
        except etree.XPathSyntaxError as exc:
            raise UsageError(f"bad XPath {expression!r}: {exc}") from exc
        return cls(expression, value.get("attribute"), compiled)

    def select(self, root: Any) -> list[Any]:
        """The elements this selector finds (XPath errors at run time find nothing)."""
        try:
            result = self._xpath(root)
        except etree.XPathError:
            return []
        return (
            [r for r in result if isinstance(r, etree._Element)] if isinstance(result, list) else []
        )


def _selectors(value: Any) -> tuple[Selector, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    return tuple(Selector.from_json(v) for v in items)


@dataclass(frozen=True)
class SiteRule:
    """Selectors for one host; a field without selectors is left to the heuristics."""

    host: str
    body: tuple[Selector, ...] = ()
    title: tuple[Selector, ...] = ()
    authors: tuple[Selector, ...] = ()
    date: tuple[Selector, ...] = ()
    drop: tuple[Selector, ...] = ()


@dataclass(frozen=True)
class SiteRules:
    """A set of site rules, looked up by URL."""

    rules: tuple[SiteRule, ...] = ()

    def for_url(self, url: str) -> SiteRule | None:
        """The most specific rule whose host is the URL's host or a parent domain of it."""
        host = (urlsplit(url).hostname or "").lower().rstrip(".")
        best: SiteRule | None = None
        for rule in self.rules:
            if (host == rule.host or host.endswith("." + rule.host)) and (
                best is None or len(rule.host) > len(best.host)
            ):
                best = rule
        return best

    @classmethod
    def from_json(cls, data: Any, *, origin: str = "rules") -> SiteRules:
        """Build from parsed JSON, validating it against ``site-rules.schema.json`` first."""
        errors = validate(data, "site-rules")
        if errors:
            raise UsageError(f"{origin}: not a valid rules file: " + "; ".join(errors))
        rules = tuple(
            SiteRule(
                host=str(item["host"]).lower().strip("."),
                body=_selectors(item.get("body")),
                title=_selectors(item.get("title")),
                authors=_selectors(item.get("authors")),
                date=_selectors(item.get("date")),
                drop=_selectors(item.get("drop")),
            )
            for item in data["rules"]
        )
        return cls(rules)


def load_rules(path: str | os.PathLike[str]) -> SiteRules:
    """Load and validate a rules file; raises :class:`UsageError` naming the file if bad."""
    source = Path(path)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{source}: cannot read rules file: {exc}") from exc
    return SiteRules.from_json(data, origin=str(source))


def selected_values(selectors: Sequence[Selector], root: Any) -> list[str]:
    """Text (or the chosen attribute) of everything the first matching selector finds."""
    for selector in selectors:
        elements = selector.select(root)
        if not elements:
            continue
        values = [
            (el.get(selector.attribute) or "") if selector.attribute else element_text(el)
            for el in elements
        ]
        values = [v.strip() for v in values if v and v.strip()]
        if values:
            return values
    return []
