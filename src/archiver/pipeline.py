"""WARC → articles with provenance; whole-collection jobs (not written yet)."""

from __future__ import annotations

from collections.abc import Iterator
from os import PathLike

from archiver.extract import Article


def extract_warc(path: str | PathLike[str]) -> Iterator[Article]:
    """Yield an article for every HTML 200 response in a WARC file."""
    raise NotImplementedError
