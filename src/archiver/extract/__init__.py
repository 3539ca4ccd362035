"""HTML → :class:`Article`: decoding, main-text extraction, metadata (not written yet)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Article:
    """An extracted article (placeholder until the extractor lands)."""

    url: str
    title: str
    text: str


def extract(html: bytes | str, *, url: str, headers: Mapping[str, str] | None = None) -> Article:
    """Extract an article from one HTML document."""
    raise NotImplementedError
