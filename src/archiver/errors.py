"""The archiver exception tree.

Every error the library raises on purpose derives from :class:`ArchiverError`, so a caller
can catch one class.  Leaf errors carry their context (URL, path, offset, …) as attributes,
not only inside the message::

    ArchiverError
    ├── UsageError                  bad options or arguments (CLI exit code 2)
    ├── CollectionError             path
    │   ├── CollectionNotFoundError
    │   ├── CollectionExistsError
    │   └── CollectionLockedError   another process is writing the collection
    ├── CaptureError                url
    │   ├── FetchError              url, reason (connection, timeout, protocol)
    │   │   └── TooManyRedirectsError
    │   └── SeedError               url: a feed or sitemap that cannot be used
    │       └── UnsafeXMLError      entity expansion, external entities, size bombs
    ├── WARCError                   path, offset
    │   └── WARCFormatError         a record that cannot be parsed
    ├── SchemaError                 a schema that cannot be loaded
    ├── ValidationError             record, errors: every schema error, not just the first
    ├── ExtractError                url
    ├── BagError                    path
    │   ├── UnsafePathError         a path that would leave the bag or target folder
    │   ├── BagExistsError
    │   └── ProfileError            a BagIt profile that cannot be loaded or applied
    └── FixityError                 path
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Sequence
from pathlib import Path


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class ArchiverError(Exception):
    """Base class of every error archiver raises on purpose."""


class UsageError(ArchiverError):
    """An option or argument is not acceptable."""


# -- collections ---------------------------------------------------------------------------


class CollectionError(ArchiverError):
    """A problem with a collection folder."""

    def __init__(self, message: str, *, path: Path | str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = Path(path)


class CollectionNotFoundError(CollectionError):
    """The folder is not an archiver collection."""


class CollectionExistsError(CollectionError):
    """A collection (or another non-empty folder) is already at that path."""


class CollectionLockedError(CollectionError):
    """Another process holds the collection's write lock."""


class StorageError(CollectionError):
    """Writing failed for lack of room or of permission (a full disk, a read-only folder):
    the work stopped there, and what was written before is consistent."""


#: errno values that mean "no room, or no right, to write here"
_STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG}


def storage_error(exc: BaseException, where: Path) -> StorageError | None:
    """The :class:`StorageError` an OS or SQLite error stands for, or None (another fault)."""
    if isinstance(exc, OSError) and exc.errno in _STORAGE_ERRNOS:
        path = exc.filename or where
        return StorageError(f"cannot write: {exc.strerror or exc}", path=path)
    if isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
        text = str(exc).lower()
        if any(s in text for s in ("disk is full", "readonly", "read-only", "unable to open")):
            return StorageError(
                f"the catalog cannot be written: {exc}", path=where / "catalog.sqlite"
            )
    return None


# -- capture -------------------------------------------------------------------------------


class CaptureError(ArchiverError):
    """A problem capturing a URL."""

    def __init__(self, message: str, *, url: str) -> None:
        # a URL holding bytes that are not UTF-8 (surrogate escapes) is shown escaped
        shown = url if url.isprintable() and _encodable(url) else ascii(url)
        super().__init__(f"{shown}: {message}")
        self.url = url
        self.reason = message


class FetchError(CaptureError):
    """The URL could not be fetched (connection, timeout, protocol error).  Worth retrying:
    the next attempt may find the server or the network in a better way."""


class ProtocolError(FetchError):
    """The server answered, but not with HTTP archiver can record (a bad status line, broken
    framing, headers too large or never finished), or the request cannot be made at all (a
    host name no resolver accepts).  Never retried: the next attempt would end the same way."""


class TooManyRedirectsError(FetchError):
    """The redirect chain was longer than allowed or looped."""


class SeedError(CaptureError):
    """A feed or sitemap could not be read."""


class UnsafeXMLError(SeedError):
    """An XML document tried entity expansion, external entities, or exceeded a size limit."""


class BrowserError(ArchiverError):
    """Headless Chromium cannot be found, started or driven (the capture does not begin)."""


# -- WARC ----------------------------------------------------------------------------------


class WARCError(ArchiverError):
    """A problem reading or writing a WARC file."""

    def __init__(self, message: str, *, path: Path | str, offset: int | None = None) -> None:
        where = f"{path}" if offset is None else f"{path} at offset {offset}"
        super().__init__(f"{where}: {message}")
        self.path = Path(path)
        self.offset = offset
        #: what is wrong, without the file and offset
        self.reason = message


class WARCFormatError(WARCError):
    """A WARC record that cannot be parsed."""


# -- schemas and records -------------------------------------------------------------------


class SchemaError(ArchiverError):
    """A schema file is missing or is not a valid schema."""


class ValidationError(ArchiverError):
    """A record does not validate against its schema; ``errors`` lists every problem."""

    def __init__(self, message: str, *, errors: Sequence[str], record_id: str | None = None):
        joined = "; ".join(errors)
        super().__init__(f"{message}: {joined}" if errors else message)
        self.errors = tuple(errors)
        self.record_id = record_id


# -- extraction ----------------------------------------------------------------------------


class ExtractError(ArchiverError):
    """An HTML document could not be turned into an article."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(f"{url}: {message}" if url else message)
        self.url = url


# -- bags and fixity -----------------------------------------------------------------------


class BagError(ArchiverError):
    """A problem building, opening or reading a BagIt bag."""

    def __init__(self, message: str, *, path: Path | str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = Path(path)


class UnsafePathError(BagError):
    """A path in a bag or archive would leave its folder (``..``, absolute, links out)."""


class BagExistsError(BagError):
    """Something already exists where the bag would be written."""


class ProfileError(BagError):
    """A BagIt profile cannot be loaded or applied."""


class FixityError(ArchiverError):
    """A fixity run could not be carried out (not: a digest mismatch, which is reported)."""

    def __init__(self, message: str, *, path: Path | str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = Path(path)
