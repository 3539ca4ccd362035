"""Find the article body in a cleaned tree and render it as paragraphs of text.

The algorithm, in four steps:

1. **Score containers.**  Every text block (``p``, ``pre``, ``td``, and ``div``/``section``
   holding text directly) of 25+ characters gives points for its length and commas to its
   parent, half to its grandparent and a third to the level above (a container holding
   200+ characters directly scores for itself too).  A container's score is then weighted
   by its class/id (content-like names up, furniture down) and damped by its link density;
   the best one is the article's core.
2. **Climb.**  An article split into many sections has no single best block: the core is
   replaced by the ancestor that maximises readable text minus 2.5 × other text, if that
   beats it by 60 % (never above a container the page names as its article body).
3. **Gather siblings.**  Otherwise, siblings of the core that score well or are clean
   paragraphs join it, in document order (a lede box, a continuation after an inline ad).
4. **Prune and render.**  Inside the chosen containers, link lists and link-heavy boxes are
   dropped; the rest is rendered block by block (headings, list items, quotes each their own
   paragraph), and short furniture lines (``Advertisement``, ``Share this``, bylines) are
   removed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from lxml import etree

from archiver.extract.clean import POSITIVE, STRONG, WEAK
from archiver.extract.dom import (
    BLOCK_TAGS,
    attr_text,
    element_text,
    normalize_space,
    remove_element,
    text_length,
)

__all__ = [
    "MainText",
    "extract_main",
    "filter_paragraphs",
    "find_main",
    "render_text",
    "strip_feed_footer",
]

_MIN_BLOCK = 25
_paragraph_nodes = etree.XPath(
    "//body//*[self::p or self::pre or self::td or self::blockquote"
    " or ((self::div or self::section or self::article or self::span or self::font"
    " or self::center or self::dd) and text()[string-length(normalize-space()) > 20])]",
    smart_strings=False,
)
_block_nodes = etree.XPath(
    "//body//*[self::p or self::pre or self::li or self::blockquote or self::td or self::dd"
    " or self::dt or self::h1 or self::h2 or self::h3 or self::h4 or self::h5 or self::h6"
    " or self::figcaption or self::th"
    " or ((self::div or self::section or self::article or self::span or self::font"
    " or self::center or self::main) and text()[normalize-space()])]",
    smart_strings=False,
)
_WHOLE_BLOCKS = frozenset({"p", "pre", "td", "blockquote"})
_CONTAINERS = frozenset({"div", "section", "article", "main", "center", "font", "span", "dd"})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
#: Shorter blocks (outside headings and list items) count as furniture when climbing.
_MIN_GOOD = 60
#: How much a character of furniture costs against a character of readable text.
_JUNK_WEIGHT = 2.5
#: An ancestor must beat the current choice by this factor to be chosen.
_CLIMB_MARGIN = 1.6
_TAG_BONUS = {
    "div": 5.0, "article": 10.0, "main": 5.0, "section": 3.0, "pre": 3.0, "td": 3.0,
    "blockquote": 3.0, "form": -3.0, "ol": -3.0, "ul": -3.0, "dl": -3.0, "dd": -3.0,
    "li": -3.0, "address": -3.0, "th": -5.0, "h1": -5.0, "h2": -5.0, "h3": -5.0,
    "h4": -5.0, "h5": -5.0, "h6": -5.0,
}  # fmt: skip
_CONTENT_ATTR = re.compile(
    r"(?:article|entry|post|story|news|blog)[-_]?(?:body|content|text|inner|detail)|"
    r"articlebody|main-?content|body-?text|rich-?text|prose|markdown"
)
_BODY_ATTR = re.compile(r"(?:article|story|entry|post)[-_]?(?:body|content)|articlebody")
_PRUNE_TAGS = ("div", "section", "ul", "ol", "dl", "table", "form", "figure", "span", "p")
_JUNK_LINE = re.compile(
    r"^(?:advertisement|advertising|anzeige|publicité|sponsored( content)?|"
    r"(?:share|tweet|email|print|pin)(?: (?:this|on \w+|article|story|via \w+))*|"
    r"(?:read|see|view) (?:more|also|next|full story|comments?)\b.*|"
    r"related(?: (?:articles?|stories|posts|content|coverage|reading))?:?|"
    r"(?:sign up|subscribe|follow us|click here|listen to this|skip to|back to top|"
    r"log ?in|register|download the app|continue reading|loading|image|photo|video|"
    r"watch|caption|credit)\b.{0,60}|"
    r"(?:updated|published|posted|last updated|first published)\b.{0,60}\d.{0,30}|"
    r"©.{0,120}|copyright\b.{0,120}|all rights reserved.{0,60}|"
    r"\d+ (?:min(?:ute)?s?|hours?) read|\d+\s*comments?)$",
    re.IGNORECASE,
)
_BYLINE_LINE = re.compile(r"^(?:by|written by|posted by|words by|von|par|por)\s+\S.{0,70}$", re.I)
_FEED_FOOTER = re.compile(
    r"^\s*(?:the post|the article|this post|this article)\b.{1,400}?"
    r"\b(?:appeared first|first appeared|was first published|appeared originally)\b"
    r".{0,200}$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass(frozen=True)
class MainText:
    """The article body: its paragraphs and the images found inside it."""

    paragraphs: tuple[str, ...]
    images: tuple[tuple[str, str | None], ...]

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)


def _link_density(el: Any, text_len: int) -> float:
    if text_len == 0:
        return 0.0
    link_len = sum(len(element_text(a)) for a in el.iter("a"))
    return min(link_len / text_len, 1.0)


def _class_weight(el: Any) -> float:
    attrs = attr_text(el)
    if not attrs:
        return 0.0
    weight = 0.0
    if _CONTENT_ATTR.search(attrs):
        weight += 35.0
    elif POSITIVE.search(attrs):
        weight += 15.0
    if STRONG.search(attrs):
        weight -= 40.0
    elif WEAK.search(attrs):
        weight -= 20.0
    if (el.get("itemprop") or "").lower() == "articlebody":
        weight += 40.0
    return weight


def find_main(root: Any) -> list[Any]:
    """The element(s) holding the article body, in document order (empty if none)."""
    scores: dict[Any, float] = {}
    for node in _paragraph_nodes(root):
        if node.tag in _WHOLE_BLOCKS:
            text = element_text(node)
            length = len(text)
        else:
            length = _own_text(node)[0]
        if length < _MIN_BLOCK:
            continue
        if node.tag not in _WHOLE_BLOCKS:
            text = element_text(node)
        points = 1.0 + text.count(",") + text.count("،") + text.count("、") + min(length / 100, 3)
        # A container holding text directly is itself a candidate; a paragraph is not.
        parent = node if node.tag in _CONTAINERS and length >= 200 else node.getparent()
        level = 0
        while parent is not None and level < 3:
            if parent not in scores:
                scores[parent] = _TAG_BONUS.get(parent.tag, 0.0) + _class_weight(parent)
            scores[parent] += points / (1, 2, 3)[level]
            parent = parent.getparent()
            level += 1
    if not scores:
        return []
    # Damp each score by its link density, best raw scores first: a damped score never
    # exceeds its raw score, so once raw scores fall below the best damped one, stop (link
    # text is only ever summed for the few candidates that could win).
    finals: dict[Any, float] = {}
    best: Any = None
    best_score = float("-inf")
    for el, raw in sorted(scores.items(), key=lambda item: item[1], reverse=True):
        if best is not None and best_score >= 0 and raw <= best_score:
            break
        if el.tag == "html":
            continue
        final = finals[el] = _damped(el, raw)
        if final > best_score:
            best, best_score = el, final
    if best is None:
        return []
    expanded = _expand(best, root)
    if expanded is not best:
        return [expanded]

    def final_score(el: Any) -> float | None:
        if el not in finals:
            if el not in scores:
                return None
            finals[el] = _damped(el, scores[el])
        return finals[el]

    return _with_siblings(best, best_score, final_score)


def _damped(el: Any, raw: float) -> float:
    """``raw`` times (1 - link density of ``el``)."""
    size = text_length(el)
    if not size:
        return raw
    links = sum(len(element_text(a)) for a in el.iter("a"))
    return raw * (1.0 - min(links / size, 1.0))


def _own_text(el: Any) -> tuple[int, int]:
    """(text length, link text length) of what a block holds outside nested blocks."""
    size = len((el.text or "").strip())
    links = 0
    for child in el:
        tag = child.tag
        if isinstance(tag, str) and tag not in BLOCK_TAGS:
            size += len(element_text(child))
            links += sum(len(element_text(a)) for a in child.iter("a"))
        size += len((child.tail or "").strip())
    return size, links


def _ends_sentence(node: Any) -> bool:
    """Whether a short block reads as a sentence (a last character of . ! ? or :)."""
    text = element_text(node)
    return len(text) >= 25 and text[-1:] in ".!?:"


def _expand(best: Any, root: Any) -> Any:
    """Climb from ``best`` to the ancestor that holds the most readable text for the least
    furniture: an article split into many sections has no single best section."""
    attrs = attr_text(best)
    if (best.get("itemprop") or "").lower() == "articlebody" or (
        attrs and _BODY_ATTR.search(attrs)
    ):
        return best  # the page names its article body: trust it
    chain = [best, *best.iterancestors()]
    chain = [el for el in chain if el.tag not in ("html",)]
    if len(chain) < 2:
        return best
    members = {el: i for i, el in enumerate(chain)}
    good = [0] * len(chain)
    for node in _block_nodes(root):
        size, links = _own_text(node)
        if size == 0:
            continue
        tag = node.tag
        if tag in _HEADINGS or tag in ("li", "dt", "dd", "th", "td"):
            if links * 4 > size:
                continue
            weight = size  # neutral: neither evidence for nor against a container
        elif links * 5 > size or (size < _MIN_GOOD and (links or not _ends_sentence(node))):
            continue
        else:
            weight = size
        index = members.get(node)
        if index is None:
            for anc in node.iterancestors():
                index = members.get(anc)
                if index is not None:
                    break
        if index is not None:
            good[index] += weight
    chosen = best
    best_value = float("-inf")
    cumulative = 0
    for index, el in enumerate(chain):
        cumulative += good[index]
        value = cumulative - _JUNK_WEIGHT * (len(element_text(el)) - cumulative)
        if value > (best_value * _CLIMB_MARGIN if best_value > 0 else best_value):
            best_value, chosen = value, el
    return chosen


def _with_siblings(
    best: Any, best_score: float, final_score: Callable[[Any], float | None]
) -> list[Any]:
    parent = best.getparent()
    if parent is None:
        return [best]
    threshold = max(10.0, best_score * 0.2)
    best_class = best.get("class")
    chosen: list[Any] = []
    for sibling in parent:
        if not isinstance(sibling.tag, str):
            continue
        if sibling is best:
            chosen.append(sibling)
            continue
        bonus = best_score * 0.2 if best_class and sibling.get("class") == best_class else 0.0
        score = final_score(sibling)
        if score is not None and score + bonus >= threshold:
            chosen.append(sibling)
        elif sibling.tag == "p":
            text = element_text(sibling)
            density = _link_density(sibling, len(text))
            if (len(text) > 80 and density < 0.25) or (
                0 < len(text) <= 80 and density == 0 and text[-1:] in ".!?\"'”»"
            ):
                chosen.append(sibling)
    return chosen


def _prune(container: Any) -> None:
    """Drop link lists, link-heavy boxes and empty boxes inside the article containers."""
    # Link text is measured once per link, not once per enclosing box.
    link_sizes = {a: len(element_text(a)) for a in container.iter("a")}
    doomed = []
    for el in container.iter(*_PRUNE_TAGS):
        if el is container:
            continue
        if not link_sizes or el.find(".//a") is None:
            empty = text_length(el) == 0 or not element_text(el)
            if empty and el.tag != "figure" and el.find(".//img") is None:
                doomed.append(el)
            continue  # no links: nothing to judge by link density
        length = len(element_text(el))
        if length == 0:
            if el.tag != "figure" and el.find(".//img") is None:
                doomed.append(el)
            continue
        density = min(sum(link_sizes.get(a, 0) for a in el.iter("a")) / length, 1.0)
        tag = el.tag
        if tag in ("ul", "ol", "dl"):
            if density > 0.5 and length < 2000:
                doomed.append(el)
        elif tag == "p" or tag == "span":
            if density > 0.8 and length < 200:
                doomed.append(el)
        elif density > 0.5 or (density > 0.3 and length < 300 and el.find(".//p") is None):
            doomed.append(el)
    for el in doomed:
        remove_element(el)


def _images(containers: Iterable[Any]) -> list[tuple[str, str | None]]:
    found: list[tuple[str, str | None]] = []
    for container in containers:
        for img in container.iter("img"):
            src = img.get("src") or img.get("data-src") or img.get("data-lazy-src")
            if not src or src.startswith("data:"):
                continue
            caption = None
            parent = img.getparent()
            for _ in range(3):
                if parent is None:
                    break
                if parent.tag == "figure":
                    cap = parent.find(".//figcaption")
                    if cap is not None:
                        caption = element_text(cap) or None
                    break
                parent = parent.getparent()
            found.append((src.strip(), caption))
            if len(found) >= 20:
                return found
    return found


def render_text(containers: Iterable[Any]) -> list[str]:
    """Render elements as paragraphs: each block its own paragraph, ``<br>`` a line break."""
    paragraphs: list[str] = []
    parts: list[str] = []

    def flush() -> None:
        if parts:
            lines = (normalize_space(line) for line in "".join(parts).split("\n"))
            text = "\n".join(line for line in lines if line)
            if text:
                paragraphs.append(text)
            parts.clear()

    for container in containers:
        for event, node in etree.iterwalk(container, events=("start", "end")):
            tag = node.tag
            if not isinstance(tag, str):
                continue
            if event == "start":
                if tag in BLOCK_TAGS:
                    flush()
                elif tag == "br":
                    parts.append("\n")
                if node.text:
                    parts.append(node.text)
            else:
                if tag in BLOCK_TAGS:
                    flush()
                if node is not container and node.tail:
                    parts.append(node.tail)
        flush()
    return paragraphs


def filter_paragraphs(paragraphs: list[str], *, title: str | None) -> list[str]:
    """Remove furniture lines, a repeated title, leading bylines and a feed footer."""
    title_key = title.casefold() if title else None
    kept: list[str] = []
    for index, para in enumerate(paragraphs):
        if len(para) < 160 and _JUNK_LINE.match(para):
            continue
        if index < 4 and title_key and para.casefold() == title_key:
            continue
        if index < 4 and not kept and _BYLINE_LINE.match(para):
            continue
        kept.append(para)
    while kept and _FEED_FOOTER.match(kept[-1]):
        kept.pop()
    return kept


def extract_main(root: Any, *, title: str | None) -> MainText:
    """Find, prune and render the article body of the cleaned tree ``root``."""
    containers = find_main(root)
    if not containers:
        body = root.find("body")
        containers = [body if body is not None else root]
    for container in containers:
        _prune(container)
    images = _images(containers)
    paragraphs = filter_paragraphs(render_text(containers), title=title)
    return MainText(tuple(paragraphs), tuple(images))


def strip_feed_footer(text: str) -> str:
    """Remove a trailing "The post … appeared first on …" line from feed item text."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    while paragraphs and _FEED_FOOTER.match(paragraphs[-1]):
        paragraphs.pop()
    return "\n\n".join(paragraphs)
