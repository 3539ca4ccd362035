"""Author strings as pages write them → a clean list of names.

>>> clean_authors(["By Jane Doe and JOHN ROE", "jane doe", "https://x.org/author/jane"])
['Jane Doe', 'John Roe']
>>> clean_authors(["Jillian Kubala, MS, RD"])
['Jillian Kubala, MS, RD']
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from archiver.extract.dom import normalize_space

__all__ = ["clean_author", "clean_authors"]

_PREFIX = re.compile(
    r"^(?:(?:read\s+)?more\s+(?:about|from)\s+|"
    r"(?:(?:written|posted|published|reported|authored|words|text|story|article|recipe|"
    r"photos?|edited)\s+)?"
    r"(?:by|from|von|par|por|di|door|av|autor(?:in)?|author(?:s)?|auteur|writer)\b[\s:.\-–—]*)",
    re.IGNORECASE,
)
_SPLIT = re.compile(r"\s*(?:;|\|)\s*")
#: "and" between two names of two or more capitalised words each: "Ann Lee and Bo Tun".
_AND = re.compile(r"\s+(?:and|&|und|et|y|e)\s+", re.I)
_GLUED_BY = re.compile(r"^(?:written\s*|posted\s*)?by(?=[A-Z])", re.I)
_DATE_BIT = re.compile(
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b|"
    r"^(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?$",
    re.I,
)
_CREDENTIAL = re.compile(
    r"^(?:[A-Z][A-Za-z]{0,3}\.?(?:[A-Z][a-z]?\.?)*|Ph\.?\s?D\.?|M\.?\s?D\.?|Jr\.?|Sr\.?|I{1,3}|"
    r"[A-Z]{2,}(?:[-\s][A-Z0-9]+)*(?:\s\(\w+\))?|[A-Z]{2,}®)$"
)
_JUNK = re.compile(
    r"(https?://|www\.|@\w|\.com\b|\.org\b|^\d|\d{4}|\b(?:updated|published|posted|min read|"
    r"minutes?|hours?|ago|comments?|share|follow|staff writer$|contributor$)\b)",
    re.IGNORECASE,
)
#: A job title run on after a name without a comma ("Rachel MacDonald Writer").
_ROLE = re.compile(
    r"(?<=\S)\s*(?<![,|])\b(?:(?:senior|staff|contributing|former|head|chief|managing|lead|"
    r"freelance|guest|associate)\s+)*(?:writer|editor|founder|co-founder|ceo|consultant|"
    r"contributor|reporter|correspondent|journalist|winemaker|columnist)\b.*$",
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
    name = normalize_space(_EMAIL.sub("", html.unescape(value))).strip("\"'“”")
    name = _GLUED_BY.sub("", name)
    for _ in range(2):
        name = _PREFIX.sub("", name)
        name = _LEADING.sub("", _TRAILING.sub("", name))
    if not name or len(name) > 100 or not any(c.isalpha() for c in name):
        return None
    date_bit = _DATE_BIT.search(name)
    if date_bit is not None:  # "Supermove February 8": keep what comes before the date
        name = _TRAILING.sub("", name[: date_bit.start()])
        if not name:
            return None
    name = _ROLE.sub("", name)
    if _JUNK.search(name) or (name.count(".") >= 2 and " " not in name):
        return None
    if len(name.split()) > _MAX_WORDS:
        return None
    return _titlecase(name)


def _name_like(text: str) -> bool:
    words = text.split()
    return 2 <= len(words) <= 4 and all(w[:1].isupper() for w in words)


def _split_and(chunk: str) -> list[str]:
    pieces = _AND.split(chunk)
    if len(pieces) > 1 and all(_name_like(p.strip(" ,")) for p in pieces):
        return [p.strip(" ,") for p in pieces]
    return [chunk]


def _split(value: str) -> list[str]:
    """Split a list of names, keeping credentials (``MS, RD``) with the name before them."""
    parts: list[str] = []
    chunks = [piece for chunk in _SPLIT.split(value) for piece in _split_and(chunk)]
    for chunk in chunks:
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
        stripped = _PREFIX.sub("", normalize_space(html.unescape(value)))
        for part in _split(stripped):
            name = clean_author(part)
            if name is None:
                continue
            key = name.casefold()
            if key not in seen:
                seen.add(key)
                names.append(name)
    return names
