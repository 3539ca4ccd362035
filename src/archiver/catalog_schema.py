"""The tables of catalog.sqlite and the rows :class:`archiver.catalog.Catalog` hands out."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = ["SCHEMA", "SCHEMA_VERSION", "QueueEntry", "StoredRecord", "host_key"]

SCHEMA_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS crawls (
    id INTEGER PRIMARY KEY,
    started TEXT NOT NULL,
    finished TEXT,
    seeds TEXT NOT NULL,
    options TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS queue (
    crawl_id INTEGER NOT NULL,
    url TEXT NOT NULL,
    kind TEXT NOT NULL,          -- page, requisite, frame, feed, sitemap
    depth INTEGER NOT NULL DEFAULT 0,
    origin TEXT,                 -- the URL whose redirect chain led here
    hops INTEGER NOT NULL DEFAULT 0,
    parent TEXT,
    state TEXT NOT NULL DEFAULT 'pending',   -- pending, done, failed
    reason TEXT,
    status INTEGER,
    seq INTEGER NOT NULL,
    host TEXT NOT NULL DEFAULT '',  -- host:port, the politeness key
    PRIMARY KEY (crawl_id, url)
);
CREATE INDEX IF NOT EXISTS queue_state ON queue (crawl_id, state, seq);
CREATE INDEX IF NOT EXISTS queue_host ON queue (crawl_id, host, state, seq);
CREATE TABLE IF NOT EXISTS warc_files (
    filename TEXT PRIMARY KEY,
    crawl_id INTEGER,
    committed_end INTEGER NOT NULL,
    closed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS records (
    record_id TEXT PRIMARY KEY,
    crawl_id INTEGER NOT NULL,
    filename TEXT NOT NULL,
    offset INTEGER NOT NULL,
    length INTEGER NOT NULL,
    type TEXT NOT NULL,
    url TEXT NOT NULL,
    urlkey TEXT NOT NULL,
    date TEXT NOT NULL,
    status INTEGER,
    mime TEXT,
    payload_digest TEXT,
    payload_length INTEGER,
    refers_to TEXT,
    method TEXT,                 -- a response to a request other than GET: its method
    request_body TEXT            -- and its body, as the index key carries it
);
CREATE INDEX IF NOT EXISTS records_digest ON records (payload_digest);
CREATE INDEX IF NOT EXISTS records_key ON records (urlkey, date);
CREATE INDEX IF NOT EXISTS records_url ON records (url, crawl_id);
CREATE TABLE IF NOT EXISTS pages (
    crawl_id INTEGER NOT NULL,
    url TEXT NOT NULL,
    seed_url TEXT,
    date TEXT NOT NULL,
    title TEXT,
    status INTEGER,
    record_id TEXT NOT NULL,
    PRIMARY KEY (crawl_id, url)
);
CREATE TABLE IF NOT EXISTS failures (
    crawl_id INTEGER NOT NULL,
    url TEXT NOT NULL,
    reason TEXT NOT NULL,
    status INTEGER,
    date TEXT NOT NULL,
    PRIMARY KEY (crawl_id, url)
);
"""


@dataclass(frozen=True)
class QueueEntry:
    """One URL of a crawl's queue."""

    url: str
    kind: str
    depth: int = 0
    origin: str | None = None
    hops: int = 0
    parent: str | None = None


@dataclass(frozen=True)
class StoredRecord:
    """A record the catalog knows about (one row of ``records``)."""

    record_id: str
    filename: str
    offset: int
    length: int
    type: str
    url: str
    urlkey: str
    date: str
    status: int | None
    mime: str | None
    payload_digest: str | None
    payload_length: int | None = None
    refers_to: str | None = None
    #: for a response to a request other than GET (a POST the browser made): the method, and
    #: the request body in the form the CDXJ key carries it (see :mod:`archiver.postkey`)
    method: str | None = None
    request_body: str | None = None


def host_key(url: str) -> str:
    """The politeness key of a URL: ``host:port`` (the default port made explicit)."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme, 0)
    return f"{parts.hostname}:{port}"
