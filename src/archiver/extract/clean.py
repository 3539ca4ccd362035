"""Remove what is never article text: code, forms, navigation, hidden parts, and page furniture
recognised by its ``class``/``id`` (share bars, comments, related posts, newsletter boxes, ads).

Class/id patterns come in two strengths.  *Strong* ones (comments, share, related, ads, …) are
removed wherever they are, unless the element holds most of the page's text (a theme that
tags its article wrapper ``has-comments`` must not lose the article).  *Weak* ones (sidebar,
meta, byline, tags, …) are removed only when the element is small and carries no sign of
being content itself.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from lxml import etree

from archiver.extract.dom import element_text, remove_element, text_length

__all__ = ["POSITIVE", "STRONG", "WEAK", "clean_tree"]

_DROP_TAGS = (
    "script", "style", "noscript", "template", "svg", "math", "canvas", "iframe", "object",
    "embed", "video", "audio", "source", "track", "map", "input", "select", "textarea",
    "option", "link", "meta", "head",
)  # fmt: skip
#: Page furniture by tag.  Broken markup can leave one of these open so that it swallows the
#: rest of the page (libxml2 does not apply HTML5's closing rules), so they are removed only
#: when they do not hold most of the page's text.
_FURNITURE_TAGS = ("nav", "aside", "footer", "header", "button", "dialog", "menu")

_T = r"(?:^|[\s_-])"  # start of a class token (classes and ids split on space, - and _)
_E = r"(?:$|[\s_-])"  # end of a class token
STRONG = re.compile(
    rf"{_T}(?:comment(?!ary)|disqus|respond\b|share|sharing|social|newsletter|subscri|signup|"
    rf"related|recommend|more-?(?:stories|articles|news)|read-?next|readmore|outbrain|taboola|"
    rf"advert|sponsor|promo|cookie|consent|gdpr|popup|modal|breadcrumb|pagination|pager{_E}|"
    rf"paywall|skip-?link|sr-only|screen-reader|visually-?hidden|print-?only|jp-relatedposts|"
    rf"yarpp|trending|most-?(?:read|popular|viewed)|popular-posts|author-?(?:box|bio|info)|"
    rf"about-?the-?author|post-?navigation|nav-?links|login|rating|reactions|"
    rf"(?:ads?|adv|adsbygoogle|adunit|adslot|ad-?container|dfp|gpt){_E})",
)
WEAK = re.compile(
    rf"{_T}(?:sidebar|side-?bar|widget|footer|header|masthead|navbar|nav|navigation|menu|"
    rf"toolbar|byline|author|bio|meta|tags?|tag-?list|categories|cat-?links|dateline|"
    rf"timestamp|date|published|posted|rail|print|utility|caption|credit|disclaimer|"
    rf"hidden|hide|teaser|banner|alert|notice|subnav|topbar|top-?bar|aside){_E}",
)
POSITIVE = re.compile(
    r"article|content|entry|post-?body|story|main|body|text|blog|prose|rich-?text|markdown"
)
#: Class names of page builders (``elementor-widget-wrap``) say nothing about the content.
_BUILDER = re.compile(
    r"(?:^|\s)(?:elementor|et_pb|et-|vc_|wpb_|wp-block|fl-|brxe|uagb|kb-|e-con|fusion|"
    r"gb-|ct-|oxy-|tve|thrv|av_|avia|x-|bricks|wp-elements)[^\s]*"
)
_KEEP_TAGS = frozenset({"html", "body", "main", "article"})
#: An element holding more than this share of the page's text is never removed by class.
_GUARD_SHARE = 0.5
#: A "weak" element is removed only below this share of the page's text.
_WEAK_SHARE = 0.15


_CONTENT_MARK = re.compile(
    r"(?:article|entry|post|story)[-_]?(?:body|content|text)|(?:^|\s)(?:article|story)(?:\s|$)"
)
_ANY_HINT = re.compile(f"{STRONG.pattern}|{WEAK.pattern}")
#: Syntax highlighters' classes ("hljs-comment", prism's "token comment") inside code.
_CODE_MARK = re.compile(r"hljs|(?:^|\s)token(?:\s|$)")
_NONE, _STRONG, _WEAK = 0, 1, 2
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


@lru_cache(maxsize=16384)  # class names repeat across the pages of a site and of a theme
def _classify(attrs: str) -> int:
    """What a ``class id`` string says: nothing (or content), strong or weak furniture."""
    if _ANY_HINT.search(attrs) is None:  # most class strings name no furniture at all
        return _NONE
    if _CONTENT_MARK.search(attrs) or _CODE_MARK.search(attrs):
        return _NONE
    if STRONG.search(attrs):
        return _STRONG
    stripped = _BUILDER.sub(" ", attrs)
    if WEAK.search(stripped) and not POSITIVE.search(stripped):
        return _WEAK
    return _NONE


def _is_weak_furniture(el: Any, total: int) -> bool:
    if not _shorter(el, _WEAK_SHARE * total):
        return False
    # Two real paragraphs make an element content, whatever its class says.
    long_paragraphs = 0
    for p in el.iter("p"):
        if len(element_text(p)) > 120:
            long_paragraphs += 1
            if long_paragraphs >= 2:
                return False
    return True


def _shorter(el: Any, limit: float) -> bool:
    """Whether the text of ``el`` (white space collapsed) is shorter than ``limit``; the raw
    length is an upper bound, so most elements never need their text normalised."""
    if text_length(el) < limit:
        return True
    return len(element_text(el)) < limit


def clean_tree(root: Any) -> None:
    """Strip non-content elements from the parsed page ``root`` in place."""
    etree.strip_elements(root, *_DROP_TAGS, with_tail=False)
    body = root.find("body")
    if body is None:
        body = root
    total = max(len(element_text(body)), 1)

    doomed: list[Any] = []
    guard = _GUARD_SHARE * total
    # Pages repeat the same class strings many times: classify each (class, id) pair once.
    seen: dict[tuple[str | None, str | None], int] = {}
    skip: set[Any] = set()  # descendants of doomed elements need no judging
    for el in body.iter(etree.Element):  # elements only (no comments or entities)
        tag = el.tag
        if tag in _KEEP_TAGS or el in skip:
            continue
        get = el.get
        style = get("style")
        if (
            tag in _FURNITURE_TAGS
            or get("hidden") is not None
            or get("aria-hidden") == "true"
            or (style is not None and _HIDDEN_STYLE.search(style) is not None)
        ):
            if _shorter(el, guard):
                doomed.append(el)
                skip.update(el.iter(etree.Element))
            continue
        key = (get("class"), get("id"))
        if key == (None, None):
            continue
        kind = seen.get(key)
        if kind is None:
            kind = seen[key] = _classify(f"{key[0] or ''} {key[1] or ''}".lower())
        if kind == _NONE or (get("itemprop") or "").lower() == "articlebody":
            continue
        if kind == _STRONG:
            if _shorter(el, guard):
                doomed.append(el)
                skip.update(el.iter(etree.Element))
        elif _is_weak_furniture(el, total):
            doomed.append(el)
            skip.update(el.iter(etree.Element))
    for el in doomed:
        remove_element(el)
