"""archiver: preserve news articles.

Capture article pages into WARC files, extract clean text and metadata into records that
validate against a published schema, package collections as BagIt bags and verify their fixity.

    >>> import archiver
    >>> col = archiver.Collection.create("news", name="karen-news")       # doctest: +SKIP
    >>> summary = archiver.capture(["https://example.org/a"], col)         # doctest: +SKIP

The public names are imported on first use (PEP 562), so ``import archiver`` — and every
CLI command — loads only the layers it needs.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from archiver._version import __version__
from archiver.errors import ArchiverError

if TYPE_CHECKING:
    from archiver.bag import make_bag
    from archiver.capture import CaptureOptions, CaptureSummary, Failure, Seed, capture
    from archiver.collection import Collection
    from archiver.extract import Article, extract
    from archiver.fixity.report import FixityReport
    from archiver.fixity.verify import verify
    from archiver.pipeline import extract_warc
    from archiver.reindex import reindex

__all__ = [
    "ArchiverError",
    "Article",
    "CaptureOptions",
    "CaptureSummary",
    "Collection",
    "Failure",
    "FixityReport",
    "Seed",
    "__version__",
    "capture",
    "extract",
    "extract_warc",
    "make_bag",
    "reindex",
    "verify",
]

_WHERE = {
    "Article": "archiver.extract",
    "CaptureOptions": "archiver.capture",
    "CaptureSummary": "archiver.capture",
    "Collection": "archiver.collection",
    "Failure": "archiver.capture",
    "FixityReport": "archiver.fixity",
    "Seed": "archiver.capture",
    "capture": "archiver.capture",
    "extract": "archiver.extract",
    "extract_warc": "archiver.pipeline",
    "make_bag": "archiver.bag",
    "reindex": "archiver.reindex",
    "verify": "archiver.fixity",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'archiver' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """The import system binds every subpackage on its parent (``archiver.capture`` = the
    ``archiver/capture/`` package); where a public function has that name, the function wins,
    as it did when everything was imported eagerly."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and name in _WHERE:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
