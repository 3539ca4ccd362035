"""Where the bag checks read tag files: a bag folder, or what a streamed archive kept.

:mod:`archiver.fixity.checks` asks a :class:`TagSource` for the bag's top-level files, whether
a path is a regular file, and a tag file opened for reading (or why it was not), which it reads
a line at a time through :class:`~archiver.bag.tagread.TagLines`.  A folder's tag files are
opened only through :func:`~archiver.bag.tagread.open_tag` (a link, FIFO or device in place of
one is refused unread); a serialised bag's source (:mod:`archiver.fixity.streamed`) answers
from its headers and hands over manifests and fetch.txt already parsed, through the same line
reader, while the archive streamed past.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, BinaryIO, Protocol

from archiver.bag.tagfiles import TagIssue
from archiver.bag.tagread import Refusal, open_tag

__all__ = ["FolderTags", "Parsed", "TagSource"]

#: a tag file's entries and the issues found while reading and parsing it
Parsed = tuple[list[Any], list[TagIssue]]


class TagSource(Protocol):
    """The tag files of one bag."""

    def top_files(self) -> list[str]:
        """Names at the bag's top level that are not folders, sorted (links and special files
        included: opening them is refused, and said)."""

    def is_file(self, rel: str) -> bool:
        """Whether the bag-relative ``rel`` is a regular file (never a link)."""

    def open(self, name: str) -> BinaryIO | Refusal:
        """A tag file opened for reading, or why it was not (``missing``, ``symlink``...)."""

    def parsed(self, name: str) -> Parsed | None:
        """The tag file's lines parsed already (while streaming), or None: open and parse it."""


class FolderTags:
    """The tag files of a bag folder, opened only if they are regular files."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def top_files(self) -> list[str]:
        return sorted(item.name for item in self.root.iterdir() if not item.is_dir())

    def is_file(self, rel: str) -> bool:
        target = self.root / rel  # lstat and stat: a link, FIFO or device is not a tag file
        return target.is_file() and not target.is_symlink()

    def open(self, name: str) -> BinaryIO | Refusal:
        return open_tag(self.root / name)

    def parsed(self, name: str) -> Parsed | None:
        return None
