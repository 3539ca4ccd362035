"""HTML → :class:`Article`: decoding, cleaning, main text, metadata, site rules.

The extractor knows nothing of WARC files (see :mod:`archiver.pipeline` for that)::

    >>> from archiver.extract import extract
    >>> article = extract(html_bytes, url="https://example.org/a")      # doctest: +SKIP
    >>> article.title, article.authors, article.published              # doctest: +SKIP
"""

from archiver.extract.article import EXTRACTOR_NAME, Article, Image, RecordRef, Source, article_id
from archiver.extract.core import extract
from archiver.extract.maintext import strip_feed_footer
from archiver.extract.rules import SiteRule, SiteRules, load_rules

__all__ = [
    "EXTRACTOR_NAME",
    "Article",
    "Image",
    "RecordRef",
    "SiteRule",
    "SiteRules",
    "Source",
    "article_id",
    "extract",
    "load_rules",
    "strip_feed_footer",
]
