"""Bytes → text: pick the character encoding of an HTML document.

The order follows what browsers do (WHATWG "encoding sniffing"), minus the network parts:

1. a byte-order mark;
2. the ``charset`` parameter of the HTTP ``Content-Type`` header;
3. a ``<meta charset>`` or ``<meta http-equiv="Content-Type">`` in the first bytes;
4. detection: UTF-8 if the bytes are valid UTF-8, else windows-1252 (which maps every byte).

Labels are mapped the way browsers map them (``iso-8859-1`` and ``us-ascii`` mean
windows-1252).  Undecodable bytes become U+FFFD rather than an error::

    >>> decode_html(b"<meta charset=latin1><p>caf\\xe9").text[-4:]
    'café'
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Decoded", "decode_html", "header_value"]

#: How far into the document a ``<meta>`` charset declaration is looked for.
_PRESCAN_BYTES = 4096

_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""",
    re.IGNORECASE,
)
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

#: WHATWG label remappings that Python's codec names do not make by themselves.
_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "tis-620": "cp874",
    "iso-8859-11": "cp874",
    "x-sjis": "shift_jis",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "utf-16": "utf-16-le",
    "unicode": "utf-16-le",
    # A page cannot really be UTF-16 if it was found by an ASCII-compatible prescan.
    "x-user-defined": "cp1252",
}


@dataclass(frozen=True)
class Decoded:
    """A decoded document and where its encoding came from."""

    text: str
    encoding: str
    #: ``bom``, ``http``, ``meta``, ``utf-8`` (detected) or ``fallback``.
    source: str


def header_value(headers: Mapping[str, str] | None, name: str) -> str | None:
    """The value of header ``name`` (case-insensitive), or None."""
    if not headers:
        return None
    lower = name.lower()
    for key, value in headers.items():
        if key.lower() == lower:
            return value
    return None


_NEVER = frozenset({"utf-7", "utf-32", "utf-32-le", "utf-32-be"})


def _codec(label: str | bytes | None) -> str | None:
    """A Python codec name for an encoding label, or None if the label is unknown."""
    if label is None:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", "ignore")
    label = label.strip().strip("\"'").lower()
    if not label:
        return None
    label = _ALIASES.get(label, label)
    try:
        info = codecs.lookup(label)
    except LookupError:
        return None
    # Browsers never decode UTF-7 (it hides markup: +ADw-script+AD4-) or UTF-32, and a codec
    # that is no text encoding (base64, rot13) is no charset: such labels are ignored.
    if info.name in _NEVER or not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def _declared_in_meta(data: bytes) -> str | None:
    match = _META_CHARSET.search(data[:_PRESCAN_BYTES])
    if match is None:
        return None
    name = _codec(match.group(1))
    # A meta tag read with an ASCII-compatible prescan cannot declare UTF-16 truthfully.
    if name is not None and name.startswith("utf-16"):
        return "utf-8"
    return name


def decode_html(data: bytes | str, *, headers: Mapping[str, str] | None = None) -> Decoded:
    """Decode an HTML document; ``headers`` are the HTTP response headers, if known."""
    if isinstance(data, str):
        return Decoded(data.lstrip("\ufeff"), "utf-8", "str")
    for bom, bom_codec in _BOMS:
        if data.startswith(bom):
            return Decoded(data[len(bom) :].decode(bom_codec, "replace"), bom_codec, "bom")
    content_type = header_value(headers, "content-type")
    if content_type:
        match = _HEADER_CHARSET.search(content_type)
        declared = _codec(match.group(1)) if match else None
        if declared is not None:
            return Decoded(_decode(data, declared), declared, "http")
    in_meta = _declared_in_meta(data)
    if in_meta is not None:
        return Decoded(_decode(data, in_meta), in_meta, "meta")
    try:
        return Decoded(data.decode("utf-8"), "utf-8", "utf-8")
    except UnicodeDecodeError:
        return Decoded(data.decode("cp1252", "replace"), "cp1252", "fallback")


def _decode(data: bytes, name: str) -> str:
    """Decode with ``name``; a page declared as UTF-8 that is not falls back to windows-1252."""
    if name == "utf-8":
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            # Mostly UTF-8 with a few stray bytes is far more common than a wrong label.
            text = data.decode("utf-8", "replace")
            if text.count("\ufffd") * 200 < len(text):
                return text
            return data.decode("cp1252", "replace")
    if name in _SINGLE_BYTE_LATIN and _is_utf8_with_multibyte(data):
        # Pages labelled Latin-1/windows-1252 whose bytes are valid UTF-8 with multi-byte
        # sequences are UTF-8 (a wrong label is far likelier than such a coincidence).
        return data.decode("utf-8")
    return data.decode(name, "replace")


_SINGLE_BYTE_LATIN = frozenset({"cp1252", "iso8859-15", "cp1250", "iso8859-2"})


def _is_utf8_with_multibyte(data: bytes) -> bool:
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
