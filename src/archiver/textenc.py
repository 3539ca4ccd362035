"""Names of text encodings, as found in HTTP headers, ``<meta>`` and bagit.txt."""

from __future__ import annotations

__all__ = ["charset_label", "is_text_encoding"]

# WHATWG Encoding: labels of ASCII and Latin-1 mean windows-1252 (what browsers decode with)
_WINDOWS_1252 = frozenset(
    {"ascii", "us-ascii", "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1"}
    | {"cp819", "ibm819", "iso-ir-100", "csisolatin1", "ansi_x3.4-1968", "us", "x-cp1252"}
)


def is_text_encoding(name: str) -> bool:
    """Whether Python can decode bytes to text with ``name``.

    ``codecs.lookup`` also knows bytes-to-bytes codecs ("hex", "base64", "rot13"), which
    ``bytes.decode`` refuses with :class:`LookupError`; an empty input would not even ask.

    >>> is_text_encoding("EUC-JP"), is_text_encoding("base64"), is_text_encoding("nope")
    (True, False, False)
    """
    try:
        b"\x00".decode(name)
    except UnicodeError:
        return True  # a text encoding that cannot read this one byte (UTF-16, say)
    except LookupError:
        return False
    return True


def charset_label(label: str) -> str | None:
    """A charset label from a header or ``<meta>``, as a page should be decoded with it.

    Kept as written (lower-cased; libxml2 knows "euc-jp", not Python's "euc_jp"), except that
    ASCII and Latin-1 labels mean windows-1252 as in browsers; None if it names no text encoding.

    >>> charset_label(" EUC-JP"), charset_label("US-ASCII"), charset_label("hex")
    ('euc-jp', 'windows-1252', None)
    """
    name = label.strip().strip("'\"").lower()
    if name in _WINDOWS_1252:
        return "windows-1252"
    return name if is_text_encoding(name) else None
