"""The on-disk collection: one folder, laid out so it zips to a WACZ almost as is.

::

    collection/
      collection.json          name, description, created, software, capture settings
      archive/*.warc.gz        WARC/1.1, gzip per record; open files end in ``.open``
      indexes/index.cdxj       sorted CDXJ (pywb, WACZ readers)
      pages/pages.jsonl        WACZ pages: one line per captured page
      articles/articles.jsonl  extracted records (schemas/article.schema.json)
      catalog.sqlite           crawl queue, resume state, captures, digests

    >>> col = Collection.create("karen-news", name="Karen News")      # doctest: +SKIP
    >>> Collection.open("karen-news").warc_files()                     # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import logging
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from archiver._version import __version__
from archiver.errors import (
    CollectionError,
    CollectionExistsError,
    CollectionLockedError,
    CollectionNotFoundError,
    StorageError,
)
from archiver.fsutil import atomic_write

#: the names of the files a collection's archive/ folder may hold (ARC is read, never written)
ARCHIVE_SUFFIXES = (".warc.gz", ".warc", ".arc.gz", ".arc")

__all__ = ["ARCHIVE_SUFFIXES", "COLLECTION_FORMAT", "Collection"]

log = logging.getLogger(__name__)

COLLECTION_FORMAT = "archiver-collection/1"
# a folder or file that cannot be written: read-only file system, or no permission
_READ_ONLY = {errno.EROFS, errno.EACCES, errno.EPERM}
_NAME_RE = re.compile(r"[^A-Za-z0-9._-]+")


def _safe_name(name: str) -> str:
    """A name usable inside file names (WARC prefixes)."""
    return _NAME_RE.sub("-", name).strip("-.") or "collection"


@dataclass(frozen=True)
class Collection:
    """A collection folder.  Create one with :meth:`create`, open one with :meth:`open`."""

    path: Path
    name: str
    metadata: dict[str, Any]

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        name: str | None = None,
        description: str = "",
        exist_ok: bool = False,
    ) -> Collection:
        """Make a new, empty collection at ``path`` (the folder may exist if empty).

        With ``exist_ok=True`` an existing collection at ``path`` is opened instead.
        """
        root = Path(path)
        if (root / "collection.json").exists():
            if exist_ok:
                return cls.open(root)
            raise CollectionExistsError("a collection already exists here", path=root)
        if root.exists() and (not root.is_dir() or any(root.iterdir())):
            raise CollectionExistsError("folder exists and is not empty", path=root)
        name = name or root.resolve().name
        metadata: dict[str, Any] = {
            "format": COLLECTION_FORMAT,
            "name": name,
            "description": description,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "software": f"archiver/{__version__}",
            "capture": {},
        }
        for sub in ("archive", "indexes", "pages", "articles"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        with atomic_write(root / "collection.json") as fh:
            json.dump(metadata, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
        return cls(path=root, name=name, metadata=metadata)

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Collection:
        """Open an existing collection; raises :class:`CollectionNotFoundError` if it is not one."""
        root = Path(path)
        meta_path = root / "collection.json"
        if not meta_path.is_file():
            raise CollectionNotFoundError(
                "not an archiver collection (no collection.json)", path=root
            )
        try:
            metadata = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CollectionError(f"collection.json cannot be read: {exc}", path=root) from exc
        if not isinstance(metadata, dict) or metadata.get("format") != COLLECTION_FORMAT:
            raise CollectionError(
                f"collection.json is not of format {COLLECTION_FORMAT!r}", path=root
            )
        for sub in ("archive", "indexes", "pages", "articles"):
            try:
                (root / sub).mkdir(exist_ok=True)
            except OSError as exc:  # a read-only collection can still be read (and bagged)
                if exc.errno not in _READ_ONLY:
                    raise
                log.info("%s: cannot create %s (%s)", root, sub, exc.strerror)
        return cls(path=root, name=str(metadata.get("name") or root.name), metadata=metadata)

    @classmethod
    def ensure(cls, path: str | os.PathLike[str], *, name: str | None = None) -> Collection:
        """Open the collection at ``path``, creating it first if the folder has none."""
        return cls.create(path, name=name, exist_ok=True)

    # -- layout -------------------------------------------------------------------------------

    @property
    def archive_dir(self) -> Path:
        return self.path / "archive"

    @property
    def index_path(self) -> Path:
        return self.path / "indexes" / "index.cdxj"

    @property
    def pages_path(self) -> Path:
        return self.path / "pages" / "pages.jsonl"

    @property
    def articles_path(self) -> Path:
        return self.path / "articles" / "articles.jsonl"

    @property
    def catalog_path(self) -> Path:
        return self.path / "catalog.sqlite"

    @property
    def file_prefix(self) -> str:
        """The collection name made safe for WARC file names."""
        return _safe_name(self.name)

    def warc_files(self) -> list[Path]:
        """The closed WARC files of the collection, oldest first (archiver's names sort by
        time): ``*.warc.gz`` as archiver writes them, and ``*.warc``, ``*.arc`` and
        ``*.arc.gz`` files put there from elsewhere."""
        return sorted(
            p
            for p in self.archive_dir.iterdir()
            if p.name.lower().endswith(ARCHIVE_SUFFIXES) and p.is_file()
        )

    def open_warc_files(self) -> list[Path]:
        """WARC files still being written (``*.warc.gz.open``)."""
        return sorted(self.archive_dir.glob("*.warc.gz.open"))

    def update_metadata(self, **fields: Any) -> Collection:
        """Rewrite collection.json atomically with ``fields`` merged in; returns the new view."""
        metadata = {**self.metadata, **fields}
        with atomic_write(self.path / "collection.json") as fh:
            json.dump(metadata, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
        return Collection(path=self.path, name=self.name, metadata=metadata)

    @contextlib.contextmanager
    def read_lock(self) -> Iterator[None]:
        """Hold the collection's lock shared: readers (``bag``) run together, never while a
        capture holds :meth:`write_lock`.

        A read-only collection (a read-only file system, or no permission to create or open
        ``.lock``) is read without a lock: nothing can write it either.  That is logged.
        """
        lock_path = self.path / ".lock"
        fd = None
        for flags in (os.O_RDONLY, os.O_RDWR | os.O_CREAT):
            try:
                fd = os.open(lock_path, flags | os.O_CLOEXEC, 0o644)
                break
            except FileNotFoundError:
                continue
            except OSError as exc:
                if exc.errno not in _READ_ONLY:
                    raise
                log.warning(
                    "%s: cannot open the lock file (%s): reading the collection without a lock",
                    self.path,
                    exc.strerror,
                )
                break
        if fd is None:
            yield
            return
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise CollectionLockedError(
                    "another process is writing this collection", path=self.path
                ) from exc
            yield
        finally:
            os.close(fd)

    @contextlib.contextmanager
    def write_lock(self) -> Iterator[None]:
        """Hold the collection's exclusive write lock (one capture at a time per collection)."""
        lock_path = self.path / ".lock"
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:  # a read-only collection, or one this user may not write
            raise StorageError(
                f"cannot write to this collection (its lock file: {exc.strerror or exc})",
                path=lock_path,
            ) from exc
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise CollectionLockedError(
                    "another process is writing this collection", path=self.path
                ) from exc
            yield
        finally:
            os.close(fd)
