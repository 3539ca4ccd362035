"""Where the bag checks read tag files: a bag folder, or what a streamed archive kept.

:mod:`archiver.fixity.checks` asks a :class:`TagSource` for the bag's top-level files, whether
a path is a regular file, and a tag file's bytes; a serialised bag's source
(:mod:`archiver.fixity.streamed`) answers from its headers and hands over manifests and
fetch.txt already parsed line by line while the archive streamed past.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from archiver.bag.tagfiles import TagIssue

__all__ = ["FolderTags", "Parsed", "TagSource"]

#: a tag file's entries and the issues found while parsing it
Parsed = tuple[list[Any], list[TagIssue]]


class TagSource(Protocol):
    """The tag files of one bag."""

    def top_files(self) -> list[str]:
        """Names of the files at the bag's top level, sorted."""

    def is_file(self, rel: str) -> bool:
        """Whether the bag-relative ``rel`` is a regular file (never a link)."""

    def read(self, name: str) -> bytes:
        """A tag file's bytes; :class:`OSError` if it cannot be read."""

    def parsed(self, name: str) -> Parsed | None:
        """The tag file's lines parsed already (while streaming), or None: read and parse it."""


class FolderTags:
    """The tag files of a bag folder."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def top_files(self) -> list[str]:
        return sorted(item.name for item in self.root.iterdir() if item.is_file())

    def is_file(self, rel: str) -> bool:
        target = self.root / rel
        return target.is_file() and not target.is_symlink()

    def read(self, name: str) -> bytes:
        return (self.root / name).read_bytes()

    def parsed(self, name: str) -> Parsed | None:
        return None
