"""archiver: preserve news articles.

Capture article pages into WARC files, extract clean text and metadata into records that
validate against a published schema, package collections as BagIt bags and verify their fixity.

    >>> import archiver
    >>> col = archiver.Collection.create("news", name="karen-news")       # doctest: +SKIP
    >>> summary = archiver.capture(["https://example.org/a"], col)         # doctest: +SKIP
"""

from archiver._version import __version__
from archiver.bag import make_bag
from archiver.capture import CaptureOptions, CaptureSummary, Failure, Seed, capture
from archiver.collection import Collection
from archiver.errors import ArchiverError
from archiver.extract import Article, extract
from archiver.fixity import FixityReport, verify
from archiver.pipeline import extract_warc

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
    "verify",
]
