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
from typing import Any

from lxml import etree

from archiver.extract.dom import attr_text, element_text, remove_element

__all__ = ["clean_tree", "is_boilerplate_attr"]

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


def is_boilerplate_attr(attrs: str) -> bool:
    """Whether a lower-cased ``class id`` string names page furniture (strong patterns)."""
    return bool(STRONG.search(attrs))


_CONTENT_MARK = re.compile(
    r"(?:article|entry|post|story)[-_]?(?:body|content|text)|(?:^|\s)(?:article|story)(?:\s|$)"
)
_NONE, _STRONG, _WEAK = 0, 1, 2


def _classify(attrs: str) -> int:
    """What a ``class id`` string says: nothing (or content), strong or weak furniture."""
    if _CONTENT_MARK.search(attrs):
        return _NONE
    if STRONG.search(attrs):
        return _STRONG
    stripped = _BUILDER.sub(" ", attrs)
    if WEAK.search(stripped) and not POSITIVE.search(stripped):
        return _WEAK
    return _NONE


def _is_weak_furniture(el: Any, total: int) -> bool:
    if len(element_text(el)) >= _WEAK_SHARE * total:
        return False
    # Two real paragraphs make an element content, whatever its class says.
    long_paragraphs = 0
    for p in el.iter("p"):
        if len(element_text(p)) > 120:
            long_paragraphs += 1
            if long_paragraphs >= 2:
                return False
    return True


def _hidden(el: Any) -> bool:
    if el.get("hidden") is not None or el.get("aria-hidden") == "true":
        return True
    style = el.get("style")
    if not style:
        return False
    style = style.replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


def clean_tree(root: Any) -> None:
    """Strip non-content elements from the parsed page ``root`` in place."""
    etree.strip_elements(root, *_DROP_TAGS, with_tail=False)
    body = root.find("body")
    if body is None:
        body = root
    total = max(len(element_text(body)), 1)

    doomed: list[Any] = []
    seen: dict[str, int] = {}  # pages repeat the same class strings many times
    for el in body.iter():
        tag = el.tag
        if not isinstance(tag, str) or tag in _KEEP_TAGS:
            continue
        if tag in _FURNITURE_TAGS or _hidden(el):
            if len(element_text(el)) < _GUARD_SHARE * total:
                doomed.append(el)
            continue
        attrs = attr_text(el)
        if not attrs:
            continue
        kind = seen.get(attrs)
        if kind is None:
            kind = seen[attrs] = _classify(attrs)
        if kind == _NONE or (el.get("itemprop") or "").lower() == "articlebody":
            continue
        if kind == _STRONG:
            if len(element_text(el)) < _GUARD_SHARE * total:
                doomed.append(el)
        elif _is_weak_furniture(el, total):
            doomed.append(el)
    for el in doomed:
        remove_element(el)
