"""Parsing broken markup into an lxml tree, and small tree helpers shared by the extractor.

libxml2's HTML parser repairs almost anything (unclosed tags, stray end tags, bad nesting).
What it cannot take is handled here: NUL bytes, an empty document, a parse that yields no root,
and nesting deeper than libxml2's limit (256 levels), where the parser stops and drops the
rest of the page.  Such a page is parsed again with its container tags (``div``, ``span``,
…) removed, which keeps its text and paragraphs and every later walk of the tree bounded.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

from lxml import etree

__all__ = [
    "BLOCK_TAGS",
    "attr_text",
    "element_text",
    "normalize_space",
    "parse_html",
    "remove_element",
    "text_length",
]

#: Elements that start a new line of text when rendered.
BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "caption", "center", "dd",
        "details", "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure",
        "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hgroup", "hr",
        "html", "legend", "li", "main", "menu", "nav", "ol", "p", "pre", "section",
        "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip

log = logging.getLogger(__name__)
_local = threading.local()  # one parser per thread: its error log is per parse
_EMPTY = b"<html><head></head><body></body></html>"
# C0 controls other than tab, newline and carriage return; in UTF-8 these bytes never occur
# inside a multi-byte sequence, so they can be deleted from the encoded bytes directly.
_CONTROL_BYTES = bytes(range(0x00, 0x09)) + b"\x0b\x0c" + bytes(range(0x0E, 0x20))
# ...and the character references that stand for them (``&#3;``, ``&#x1F;``): lxml would turn
# them into characters its own API then refuses to handle (a tail moved by the cleaner)
_CONTROL_REFERENCE = re.compile(
    rb"&#(?:[xX]0*(?:[0-8bBcCeEfF]|1[0-9a-fA-F]|7[fF])(?![0-9a-fA-F])"
    rb"|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]|127)(?![0-9]));?"
)
_string = etree.XPath("string()", smart_strings=False)


_FLATTEN = re.compile(
    rb"</?(?!(?:p|br|h[1-6]|li|title|meta|link|script|style|head|body|html)\b)[a-zA-Z][^>]*>"
)


def _parser() -> Any:
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.HTMLParser(
            remove_comments=True,
            remove_pis=True,
            no_network=True,
            encoding="utf-8",
            default_doctype=False,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


def _parse(data: bytes) -> tuple[Any, bool]:
    """(root or None, whether the parser gave up on excessive nesting)."""
    parser = _parser()
    try:
        root = etree.fromstring(data, parser)
    except (etree.XMLSyntaxError, etree.ParserError, ValueError):
        return None, False
    too_deep = any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log)
    return root, too_deep


def parse_html(text: str | bytes) -> Any:
    """Parse ``text`` (a string, or bytes known to be valid UTF-8) into the root ``<html>``
    element; never fails on malformed markup."""
    raw = text if isinstance(text, bytes) else text.encode("utf-8", "replace")
    data = _CONTROL_REFERENCE.sub(b"", raw.translate(None, _CONTROL_BYTES))
    root = None
    if data.strip():
        root, too_deep = _parse(data)
        if too_deep:
            log.warning("markup nested deeper than the parser allows; container tags dropped")
            root, _ = _parse(_FLATTEN.sub(b" ", data))
    if root is None:
        root, _ = _parse(_EMPTY)
    return root


_CONTROL_CHARS = dict.fromkeys(_CONTROL_BYTES + b"\x7f")


def strip_controls(text: str) -> str:
    """``text`` without C0 control characters other than tab, newline and carriage return
    (and DEL): metadata from JSON-LD or headers never passed through the parser's filter."""
    return text.translate(_CONTROL_CHARS)


def normalize_space(text: str) -> str:
    """Collapse every run of white space to one space and strip the ends."""
    return " ".join(text.split())


def element_text(el: Any) -> str:
    """All text inside ``el`` (without its tail), white space collapsed."""
    return normalize_space(str(_string(el)))


def text_length(el: Any) -> int:
    """Length of the raw text inside ``el`` (white space included): a cheap size measure."""
    return len(_string(el))


def attr_text(el: Any) -> str:
    """The lower-cased ``class`` and ``id`` of ``el``, joined, for pattern matching."""
    cls = el.get("class") or ""
    ident = el.get("id") or ""
    if not cls and not ident:
        return ""
    return f"{cls} {ident}".lower()


def remove_element(el: Any) -> None:
    """Remove ``el`` and its subtree but keep its tail text in the document."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail and tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)
