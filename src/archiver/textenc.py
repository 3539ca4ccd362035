"""Names of text encodings, as found in HTTP headers, ``<meta>`` and bagit.txt."""

from __future__ import annotations

__all__ = ["is_text_encoding"]


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
