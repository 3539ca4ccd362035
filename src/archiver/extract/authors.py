"""Author strings as pages write them → a clean list of names.

>>> clean_authors(["By Jane Doe and JOHN ROE", "jane doe", "https://x.org/author/jane"])
['Jane Doe', 'John Roe']
>>> clean_authors(["Jillian Kubala, MS, RD"])
['Jillian Kubala, MS, RD']
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from archiver.extract.dom import normalize_space

__all__ = ["clean_author", "clean_authors"]

_PREFIX = re.compile(
    r"^(?:(?:written|posted|published|reported|words|text|story|article|photos?|edited)\s+)?"
    r"(?:by|from|von|par|por|di|door|av|autor(?:in)?|author(?:s)?|auteur|writer)\b[\s:.\-–—]*",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s*(?:;|\||\s+and\s+|\s+&\s+|\s+und\s+|\s+et\s+|\s+y\s+|\s+e\s+)\s*", re.I)
_CREDENTIAL = re.compile(
    r"^(?:[A-Z][A-Za-z]{0,3}\.?(?:[A-Z][a-z]?\.?)*|Ph\.?\s?D\.?|M\.?\s?D\.?|Jr\.?|Sr\.?|I{1,3}|"
    r"[A-Z]{2,}(?:[-\s][A-Z0-9]+)*(?:\s\(\w+\))?|[A-Z]{2,}®)$"
)
_JUNK = re.compile(
    r"(https?://|www\.|@\w|\.com\b|\.org\b|^\d|\d{4}|\b(?:updated|published|posted|min read|"
    r"minutes?|hours?|ago|comments?|share|follow|staff writer$|contributor$)\b)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_TRAILING = re.compile(r"[\s,;:|/\-–—·•]+$")
_LEADING = re.compile(r"^[\s,;:|/\-–—·•]+")
_MAX_WORDS = 7


def _titlecase(name: str) -> str:
    """Fix names written in all capitals (``JOHN ROE`` → ``John Roe``); leave others alone."""
    letters = [c for c in name if c.isalpha()]
    if len(letters) > 3 and all(c.isupper() for c in letters):
        return " ".join(w.capitalize() if len(w) > 2 else w for w in name.split(" "))
    return name


def clean_author(value: str) -> str | None:
    """One cleaned name, or None if ``value`` does not look like a person or organisation."""
    name = normalize_space(_EMAIL.sub("", value))
    for _ in range(2):
        name = _PREFIX.sub("", name)
        name = _LEADING.sub("", _TRAILING.sub("", name))
    if not name or len(name) > 100 or not any(c.isalpha() for c in name):
        return None
    if _JUNK.search(name):
        return None
    if len(name.split()) > _MAX_WORDS:
        return None
    return _titlecase(name)


def _split(value: str) -> list[str]:
    """Split a list of names, keeping credentials (``MS, RD``) with the name before them."""
    parts: list[str] = []
    for chunk in _SPLIT.split(value):
        for position, piece in enumerate(chunk.split(",")):
            piece = piece.strip()
            if not piece:
                continue
            if position and parts and (_CREDENTIAL.match(piece) or len(piece.split()) == 1):
                parts[-1] = f"{parts[-1]}, {piece}"
            else:
                parts.append(piece)
    return parts


def clean_authors(values: Iterable[str]) -> list[str]:
    """Clean, split and de-duplicate (case-insensitively, first spelling wins) author values."""
    seen: set[str] = set()
    names: list[str] = []
    for value in values:
        stripped = _PREFIX.sub("", normalize_space(value))
        for part in _split(stripped):
            name = clean_author(part)
            if name is None:
                continue
            key = name.casefold()
            if key not in seen:
                seen.add(key)
                names.append(name)
    return names
