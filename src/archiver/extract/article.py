"""The extracted article and its record form (``schemas/article.schema.json``).

:class:`Article` is what :func:`archiver.extract` returns; :meth:`Article.to_record` turns it
into the JSON-ready record written to ``articles/articles.jsonl``.  A record needs a
:class:`Source` (the WARC record the page came from), which the pipeline fills in.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from archiver._version import __version__
from archiver.extract.dates import DateValue, rfc3339

__all__ = ["EXTRACTOR_NAME", "Article", "Image", "RecordRef", "Source", "article_id"]

EXTRACTOR_NAME = "archiver"
#: Namespace of the article ids (UUID version 5 of the WARC-Record-ID).
_ID_NAMESPACE = uuid.UUID("5b1e4c52-7d0c-5c8e-9f5e-61a4f0a1c2d3")


@dataclass(frozen=True)
class Image:
    """An image of the article, with its caption when the page gives one."""

    url: str
    caption: str | None = None


@dataclass(frozen=True)
class RecordRef:
    """A WARC record located exactly: file name (no folder), record id, offset and length."""

    warc_filename: str
    record_id: str
    offset: int
    length: int


@dataclass(frozen=True)
class Source:
    """Where a record came from: one WARC record, located exactly.

    For a ``revisit`` record, ``refers_to`` is the response record whose payload was used.
    """

    warc_filename: str
    record_id: str
    offset: int
    length: int
    target_uri: str
    #: WARC-Date exactly as the file gives it; ``date_utc`` is it in RFC 3339 UTC, if derivable
    date: str
    payload_digest: str | None = None
    refers_to: RecordRef | None = None
    date_utc: str | None = None
    #: the record has no WARC-Record-ID: ``record_id`` was derived from file name and offset
    record_id_derived: bool = False
    #: ``"decompressed"`` for a file gzip-compressed whole (offsets into the decompressed stream)
    offsets: str | None = None
    #: ``"arc"`` for a record of an ARC file
    format: str | None = None
    #: the record was not whole: its WARC-Truncated reason, or ``"short-block"``
    truncated: str | None = None


def article_id(record_id: str) -> str:
    """The stable article id of the WARC record ``record_id`` (a ``urn:uuid``, UUID v5)."""
    return uuid.uuid5(_ID_NAMESPACE, record_id).urn


@dataclass(frozen=True)
class Article:
    """An extracted article: clean text plus metadata.

    ``text`` holds paragraphs separated by blank lines.  Dates keep the precision the page
    gives (a :class:`datetime.date` for a day, an aware or naive ``datetime`` for a time).
    """

    url: str
    title: str
    text: str
    canonical_url: str | None = None
    description: str | None = None
    authors: tuple[str, ...] = ()
    published: DateValue | None = None
    modified: DateValue | None = None
    language: str | None = None
    publisher: str | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    images: tuple[Image, ...] = ()
    source: Source | None = field(default=None, compare=False)

    @property
    def word_count(self) -> int:
        """Number of white-space separated words in :attr:`text`."""
        return len(self.text.split())

    @property
    def id(self) -> str | None:
        """The stable record id, once :attr:`source` is known."""
        return article_id(self.source.record_id) if self.source else None

    def with_source(self, source: Source) -> Article:
        """A copy of this article with its provenance set."""
        return replace(self, source=source)

    def to_record(self) -> dict[str, Any]:
        """The record as a JSON-ready dict (see ``docs/schema.md``); optional fields left out
        when empty.  Without a :attr:`source` the record lacks ``id``/``source`` and will not
        validate."""
        record: dict[str, Any] = {}
        if self.source is not None:
            record["id"] = article_id(self.source.record_id)
        record["url"] = self.url
        record["title"] = self.title
        record["text"] = self.text
        if self.source is not None:
            src = self.source
            record["source"] = {
                "warc_filename": src.warc_filename,
                "record_id": src.record_id,
                "offset": src.offset,
                "length": src.length,
                "target_uri": src.target_uri,
                "date": src.date,
            }
            extra = {
                "date_utc": src.date_utc,
                "record_id_derived": True if src.record_id_derived else None,
                "offsets": src.offsets,
                "format": src.format,
                "payload_digest": src.payload_digest,
            }
            record["source"].update((k, v) for k, v in extra.items() if v)
            if src.refers_to is not None:
                ref = src.refers_to
                record["source"]["refers_to"] = {
                    "warc_filename": ref.warc_filename,
                    "record_id": ref.record_id,
                    "offset": ref.offset,
                    "length": ref.length,
                }
        record["extractor"] = {"name": EXTRACTOR_NAME, "version": __version__}
        optional: dict[str, Any] = {
            "canonical_url": self.canonical_url,
            "description": self.description,
            "authors": list(self.authors),
            "published": rfc3339(self.published) if self.published else None,
            "modified": rfc3339(self.modified) if self.modified else None,
            "language": self.language,
            "publisher": self.publisher,
            "section": self.section,
            "tags": list(self.tags),
            "images": [
                {"url": i.url, **({"caption": i.caption} if i.caption else {})} for i in self.images
            ],
        }
        record.update({k: v for k, v in optional.items() if v})
        record["word_count"] = self.word_count
        if self.source is not None and self.source.truncated:
            record["truncated"] = self.source.truncated
        return record
