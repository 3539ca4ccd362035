"""Frozen value types shared by the capture layers and their callers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from archiver._version import __version__

__all__ = [
    "DEFAULT_USER_AGENT",
    "CaptureOptions",
    "CaptureSummary",
    "Failure",
    "RecordLocation",
    "Seed",
]

DEFAULT_USER_AGENT = f"archiver/{__version__} (+https://pypi.org/project/archiver/)"

SeedKind = Literal["page", "feed", "sitemap"]


@dataclass(frozen=True)
class Seed:
    """Where a crawl starts: a page, or a feed or sitemap whose entries are pages.

    >>> Seed("https://example.org/feed/", kind="feed")
    Seed(url='https://example.org/feed/', kind='feed')
    """

    url: str
    kind: SeedKind = "page"

    @classmethod
    def page(cls, url: str) -> Seed:
        return cls(url, "page")

    @classmethod
    def feed(cls, url: str) -> Seed:
        return cls(url, "feed")

    @classmethod
    def sitemap(cls, url: str) -> Seed:
        return cls(url, "sitemap")


@dataclass(frozen=True)
class CaptureOptions:
    """Everything that shapes a capture run.  All fields have archivist-friendly defaults."""

    #: User-Agent header; ``contact`` (a URL or e-mail) is appended as ``(+contact)``.
    user_agent: str = DEFAULT_USER_AGENT
    contact: str | None = None
    #: Operator named in every warcinfo record (person or institution).
    operator: str | None = None
    #: Worker threads fetching at once.
    workers: int = 8
    #: At most this many requests in flight to one host.
    per_host: int = 2
    #: Minimum seconds between the starts of two requests to one host.
    host_delay: float = 0.0
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    #: Retries after the first attempt, on connection errors, 429 and 5xx.
    retries: int = 3
    #: First backoff in seconds; doubles with each retry, with jitter.
    backoff: float = 0.5
    #: Longest wait honoured from a Retry-After header, in seconds.
    max_retry_after: float = 120.0
    max_redirects: int = 10
    #: A response body is cut at this many bytes and marked ``WARC-Truncated: length``.
    max_response_size: int = 100 * 1024 * 1024
    #: A response still arriving after this many seconds is cut and marked ``WARC-Truncated:
    #: time`` (a slow drip within the read timeout is otherwise waited for).
    max_response_time: float = 900.0
    #: A WARC file is closed and a new one begun once it reaches this size.
    warc_max_size: int = 1024 * 1024 * 1024
    #: Fetch what each page needs to render (images, CSS, scripts, …).
    requisites: bool = True
    requisites_any_host: bool = False
    obey_robots: bool = True
    #: Store a payload seen before (same digest) as a small ``revisit`` record.
    dedup: bool = True
    #: Keep feed and sitemap entries whose date is on or after this day.
    since: date | None = None
    verify_tls: bool = True
    #: Digest algorithm for WARC-Block-Digest / WARC-Payload-Digest.
    digest_algorithm: Literal["sha256", "sha1"] = "sha256"

    @property
    def full_user_agent(self) -> str:
        if self.contact:
            return f"{self.user_agent} (+{self.contact})"
        return self.user_agent


@dataclass(frozen=True)
class Failure:
    """A URL that could not be captured, and why."""

    url: str
    reason: str
    status: int | None = None


@dataclass(frozen=True)
class RecordLocation:
    """Where a record sits: WARC file name (no folder), offset and length of its gzip member."""

    filename: str
    offset: int
    length: int


@dataclass(frozen=True)
class CaptureSummary:
    """What one :func:`archiver.capture` run did."""

    collection: Path
    pages: int
    requisites: int
    records: int
    revisits: int
    bytes: int
    failures: tuple[Failure, ...] = field(default_factory=tuple)
    #: URLs deliberately not fetched (robots.txt), with the reason.
    skipped: tuple[Failure, ...] = field(default_factory=tuple)
    #: Responses stored but cut at the size or time limit (``WARC-Truncated``).
    truncated: tuple[Failure, ...] = field(default_factory=tuple)
    warc_files: tuple[str, ...] = field(default_factory=tuple)
    seconds: float = 0.0
    resumed: bool = False

    @property
    def ok(self) -> bool:
        return not self.failures
