"""catalog.sqlite: the collection's embedded store (SQLite from the standard library).

It holds the crawl queue and per-URL state (so a killed capture resumes), every record
written (file, offset, length, digest: the source of the CDXJ index and of de-duplication),
the pages, the failures, and for each WARC file still open the offset up to which its
records are known complete.  One connection is shared by the threads of a capture, guarded
by a lock; WAL mode keeps readers and the writer out of each other's way.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from archiver.catalog_schema import SCHEMA, SCHEMA_VERSION, QueueEntry, StoredRecord, host_key
from archiver.errors import CollectionError

__all__ = ["Catalog", "QueueEntry", "StoredRecord", "host_key"]

_IDLE_READERS = 8


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


class Catalog:
    """The SQLite catalog of one collection."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            self._db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=30
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            self._migrate()
            self._db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        except sqlite3.DatabaseError as exc:
            raise CollectionError(f"catalog cannot be opened: {exc}", path=self.path) from exc
        self._lock = threading.RLock()
        self._seq = 0
        self._queued: dict[int, int] = {}  # queue rows per crawl, counted once then kept
        # lookups from worker and proxy threads read through connections of their own (WAL
        # lets them read while a commit is written), never waiting for the writers' lock;
        # the connections are lent from a pool, since proxy threads come and go by thousands
        self._idle: list[sqlite3.Connection] = []
        self._readers: list[sqlite3.Connection] = []
        self._closed = False

    def _migrate(self) -> None:
        record_columns = {row[1] for row in self._db.execute("PRAGMA table_info(records)")}
        for name in ("method", "request_body"):  # catalogs from before POST was recorded
            if name not in record_columns:
                self._db.execute(f"ALTER TABLE records ADD COLUMN {name} TEXT")
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(queue)")}
        if "host" not in columns:  # catalogs written before the politeness key was stored
            self._db.execute("ALTER TABLE queue ADD COLUMN host TEXT NOT NULL DEFAULT ''")
        for (url,) in self._db.execute("SELECT url FROM queue WHERE host = ''").fetchall():
            self._db.execute("UPDATE queue SET host = ? WHERE url = ?", (host_key(url), url))

    def close(self) -> None:
        with self._lock:
            self._db.close()
            self._closed = True
            for reader in self._readers:
                reader.close()
            self._readers.clear()

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        """A read connection lent for one lookup."""
        with self._lock:
            if self._closed:
                raise CollectionError("the catalog is closed", path=self.path)
            db = self._idle.pop() if self._idle else None
            if db is None:
                db = sqlite3.connect(
                    self.path, check_same_thread=False, isolation_level=None, timeout=30
                )
                self._readers.append(db)
        try:
            yield db
        finally:
            with self._lock:
                if self._closed:
                    db.close()
                elif len(self._idle) < _IDLE_READERS:
                    self._idle.append(db)
                else:
                    self._readers.remove(db)
                    db.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tx(self) -> _Transaction:
        return _Transaction(self._db, self._lock)

    # -- crawls ------------------------------------------------------------------------------

    def unfinished_crawl(self) -> int | None:
        """The id of the last crawl if it never finished (killed), else ``None``."""
        with self._lock:
            row = self._db.execute(
                "SELECT id, finished FROM crawls ORDER BY id DESC LIMIT 1"
            ).fetchone()
        return int(row[0]) if row and row[1] is None else None

    def start_crawl(self, seeds: Sequence[Any], options: dict[str, Any]) -> int:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO crawls (started, seeds, options) VALUES (?, ?, ?)",
                (_now(), json.dumps(list(seeds)), json.dumps(options, default=str)),
            )
            return int(cur.lastrowid or 0)

    def finish_crawl(self, crawl_id: int) -> None:
        with self._tx() as db:
            db.execute("UPDATE crawls SET finished = ? WHERE id = ?", (_now(), crawl_id))

    # -- queue -------------------------------------------------------------------------------

    def _next_seq(self, db: sqlite3.Connection, crawl_id: int) -> int:
        if not self._seq:
            row = db.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM queue WHERE crawl_id = ?", (crawl_id,)
            ).fetchone()
            self._seq = int(row[0])
        self._seq += 1
        return self._seq

    def enqueue(self, crawl_id: int, entries: Iterable[QueueEntry]) -> int:
        """Add entries not yet in this crawl's queue; returns how many were new."""
        with self._tx() as db:
            return self._enqueue(db, crawl_id, entries)

    def _enqueue(self, db: sqlite3.Connection, crawl_id: int, entries: Iterable[QueueEntry]) -> int:
        # one executemany, not a statement per entry: each call lets go of the GIL, and a
        # commit waits for it to come back while the crawl's workers queue behind the commit
        rows = [
            (
                crawl_id,
                e.url,
                e.kind,
                e.depth,
                e.origin,
                e.hops,
                e.parent,
                self._next_seq(db, crawl_id),
                host_key(e.url),
            )
            for e in entries
        ]
        if not rows:
            return 0
        before = db.total_changes
        db.executemany(
            "INSERT OR IGNORE INTO queue"
            " (crawl_id, url, kind, depth, origin, hops, parent, seq, host)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        added = db.total_changes - before
        if crawl_id in self._queued:
            self._queued[crawl_id] += added
        return added

    def queued(self, crawl_id: int) -> int:
        """How many URLs the crawl's queue holds (all states)."""
        with self._lock:
            if crawl_id not in self._queued:
                row = self._db.execute(
                    "SELECT COUNT(*) FROM queue WHERE crawl_id = ?", (crawl_id,)
                ).fetchone()
                self._queued[crawl_id] = int(row[0])
            return self._queued[crawl_id]

    def pending(
        self,
        crawl_id: int,
        *,
        exclude: set[str],
        limit: int,
        skip_hosts: Collection[str] = (),
    ) -> list[QueueEntry]:
        """Pending entries in queue order, skipping URLs in ``exclude`` (in flight) and
        every URL of the hosts in ``skip_hosts`` (busy or pacing), so that a slow host with a
        long queue never holds back the others."""
        hosts = sorted(skip_hosts)
        where = f" AND host NOT IN ({','.join('?' * len(hosts))})" if hosts else ""
        with self._lock:
            rows = self._db.execute(
                "SELECT url, kind, depth, origin, hops, parent FROM queue"
                f" WHERE crawl_id = ? AND state = 'pending'{where} ORDER BY seq LIMIT ?",
                (crawl_id, *hosts, limit + len(exclude)),
            ).fetchall()
        out = [QueueEntry(*r) for r in rows if r[0] not in exclude]
        return out[:limit]

    def pending_hosts(self, crawl_id: int) -> list[tuple[str, int, int]]:
        """(host, queue position of its first pending entry, how many) for every host with
        pending entries: one pass over the pending entries."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT host, MIN(seq), COUNT(*) FROM queue"
                " WHERE crawl_id = ? AND state = 'pending' GROUP BY host",
                (crawl_id,),
            ).fetchall()
        return [(str(h), int(first), int(n)) for h, first, n in rows]

    def pending_of_host(
        self, crawl_id: int, host: str, *, after: int, limit: int
    ) -> list[tuple[int, QueueEntry]]:
        """The next pending entries of ``host`` after queue position ``after``, with their
        positions: an index range, whatever the queue's size."""
        with self._reading() as db:
            rows = db.execute(
                "SELECT seq, url, kind, depth, origin, hops, parent FROM queue"
                " WHERE crawl_id = ? AND host = ? AND state = 'pending' AND seq > ?"
                " ORDER BY seq LIMIT ?",
                (crawl_id, host, after, limit),
            ).fetchall()
        return [(int(r[0]), QueueEntry(*r[1:])) for r in rows]

    def queue_entry(self, crawl_id: int, url: str) -> tuple[str, str | None] | None:
        """(state, origin) of ``url`` in the crawl's queue, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT state, origin FROM queue WHERE crawl_id = ? AND url = ?", (crawl_id, url)
            ).fetchone()
        return (str(row[0]), row[1]) if row else None

    def queue_kind(self, crawl_id: int, url: str) -> str | None:
        """The kind (page, requisite, frame, feed, sitemap) ``url`` is queued as, or None."""
        with self._reading() as db:
            row = db.execute(
                "SELECT kind FROM queue WHERE crawl_id = ? AND url = ?", (crawl_id, url)
            ).fetchone()
        return str(row[0]) if row else None

    def counts(self, crawl_id: int) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute(
                "SELECT state, COUNT(*) FROM queue WHERE crawl_id = ? GROUP BY state", (crawl_id,)
            ).fetchall()
        return {str(s): int(n) for s, n in rows}

    # -- committing work ---------------------------------------------------------------------

    def commit_result(
        self,
        crawl_id: int,
        *,
        url: str,
        records: Sequence[StoredRecord] = (),
        state: str = "done",
        reason: str | None = None,
        status: int | None = None,
        discovered: Iterable[QueueEntry] = (),
        page: tuple[str, str | None, str, str | None, int | None, str] | None = None,
        file_end: tuple[str, int] | None = None,
        add: QueueEntry | None = None,
        failure_url: str | None = None,
    ) -> None:
        """Record, in one transaction, everything one fetched URL produced.

        ``page`` is ``(url, seed_url, date, title, status, record_id)``; ``file_end`` is the
        WARC file and the offset up to which its records are now complete; ``add`` is the
        queue entry of ``url`` when it is not queued yet (a URL the browser asked for);
        ``failure_url`` is the URL a failure is reported against, when not ``url`` (the seed a
        redirect chain started from).
        """
        with self._tx() as db:
            if add is not None:
                self._enqueue(db, crawl_id, [add])
            self._add_records(db, crawl_id, records)
            db.execute(
                "UPDATE queue SET state = ?, reason = ?, status = ? WHERE crawl_id = ? AND url = ?",
                (state, reason, status, crawl_id, url),
            )
            if state == "failed":
                db.execute(
                    "INSERT OR REPLACE INTO failures VALUES (?, ?, ?, ?, ?)",
                    (crawl_id, failure_url or url, reason or "failed", status, _now()),
                )
            self._enqueue(db, crawl_id, discovered)
            if page is not None:
                db.execute(
                    "INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (crawl_id, *page),
                )
            if file_end is not None:
                self._set_file_end(db, *file_end)

    def check(self) -> None:
        """Raise :class:`CollectionError` unless SQLite finds the catalog sound."""
        with self._lock:
            try:
                rows = self._db.execute("PRAGMA quick_check").fetchall()
            except sqlite3.DatabaseError as exc:
                raise CollectionError(f"catalog cannot be read: {exc}", path=self.path) from exc
        if [tuple(r) for r in rows] != [("ok",)]:
            raise CollectionError(f"catalog is damaged: {rows[0][0]}", path=self.path)

    def add_page(self, crawl_id: int, response: StoredRecord, title: str | None) -> None:
        """List ``response`` as a page (a catalog rebuilt from WARC files)."""
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?, ?, ?)",
                (crawl_id, response.url, None, response.date, title, response.status,
                 response.record_id),
            )  # fmt: skip

    def add_records(
        self, crawl_id: int, records: Sequence[StoredRecord], file_end: tuple[str, int]
    ) -> None:
        """Record written records that finish no queue entry (robots.txt)."""
        with self._tx() as db:
            self._add_records(db, crawl_id, records)
            self._set_file_end(db, *file_end)

    def _add_records(
        self, db: sqlite3.Connection, crawl_id: int, records: Sequence[StoredRecord]
    ) -> None:
        db.executemany(
            "INSERT INTO records (record_id, crawl_id, filename, offset, length, type, url,"
            " urlkey, date, status, mime, payload_digest, payload_length, refers_to, method,"
            " request_body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    r.record_id,
                    crawl_id,
                    r.filename,
                    r.offset,
                    r.length,
                    r.type,
                    r.url,
                    r.urlkey,
                    r.date,
                    r.status,
                    r.mime,
                    r.payload_digest,
                    r.payload_length,
                    r.refers_to,
                    r.method,
                    r.request_body,
                )
                for r in records
            ],
        )

    def _set_file_end(self, db: sqlite3.Connection, filename: str, end: int) -> None:
        db.execute(
            "INSERT INTO warc_files (filename, committed_end) VALUES (?, ?)"
            " ON CONFLICT(filename) DO UPDATE SET committed_end ="
            " MAX(committed_end, excluded.committed_end)",
            (filename, end),
        )

    # -- WARC files --------------------------------------------------------------------------

    def file_opened(self, filename: str, crawl_id: int, end: int) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO warc_files (filename, crawl_id, committed_end)"
                " VALUES (?, ?, ?)",
                (filename, crawl_id, end),
            )

    def file_closed(self, filename: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE warc_files SET closed = 1 WHERE filename = ?", (filename,))

    def committed_end(self, filename: str) -> int | None:
        with self._lock:
            row = self._db.execute(
                "SELECT committed_end FROM warc_files WHERE filename = ?", (filename,)
            ).fetchone()
        return int(row[0]) if row else None

    def forget_file(self, filename: str) -> None:
        """Drop a WARC file that was set aside (its records are no longer in the collection)."""
        with self._tx() as db:
            db.execute(
                "UPDATE queue SET state = 'pending' WHERE url IN"
                " (SELECT url FROM records WHERE filename = ?)",
                (filename,),
            )
            db.execute(
                "DELETE FROM pages WHERE record_id IN (SELECT record_id FROM records"
                " WHERE filename = ?)",
                (filename,),
            )
            db.execute("DELETE FROM records WHERE filename = ?", (filename,))
            db.execute("DELETE FROM warc_files WHERE filename = ?", (filename,))

    # -- lookups -----------------------------------------------------------------------------

    def find_payload(self, digest: str) -> StoredRecord | None:
        """The earliest stored response whose payload has ``digest`` (for revisits).

        Sees every committed transaction; safe to call from any thread without a lock.
        """
        with self._reading() as db:
            row = db.execute(
                "SELECT record_id, filename, offset, length, type, url, urlkey, date, status,"
                " mime, payload_digest, payload_length, refers_to FROM records"
                " WHERE payload_digest = ? AND type = 'response' AND method IS NULL"
                " ORDER BY date LIMIT 1",
                (digest,),
            ).fetchone()
        return StoredRecord(*row) if row else None

    def captured(self, crawl_id: int, url: str) -> tuple[str, StoredRecord | None] | None:
        """(queue state, last response or revisit stored) of ``url`` in crawl ``crawl_id``,
        or None when the crawl has not queued it.

        Safe from any thread.
        """
        with self._reading() as db:
            row = db.execute(
                "SELECT state FROM queue WHERE crawl_id = ? AND url = ?", (crawl_id, url)
            ).fetchone()
            if row is None:
                return None
            found = db.execute(
                "SELECT record_id, filename, offset, length, type, url, urlkey, date, status,"
                " mime, payload_digest, payload_length, refers_to FROM records"
                " WHERE crawl_id = ? AND url = ? AND type IN ('response', 'revisit')"
                " AND method IS NULL"
                " ORDER BY date DESC LIMIT 1",
                (crawl_id, url),
            ).fetchone()
        return str(row[0]), StoredRecord(*found) if found else None

    def record(self, record_id: str) -> StoredRecord | None:
        """The stored record with this WARC-Record-ID.  Safe from any thread."""
        with self._reading() as db:
            row = db.execute(
                "SELECT record_id, filename, offset, length, type, url, urlkey, date, status,"
                " mime, payload_digest, payload_length, refers_to FROM records"
                " WHERE record_id = ?",
                (record_id,),
            ).fetchone()
        return StoredRecord(*row) if row else None

    def has_responses(self) -> bool:
        """Whether any response record is stored (a first capture has nothing to revisit)."""
        with self._lock:
            row = self._db.execute("SELECT 1 FROM records WHERE type = 'response' LIMIT 1")
            return row.fetchone() is not None

    def _stream(self, sql: str) -> Iterator[tuple[Any, ...]]:
        # A separate read connection streams rows without holding the writers' lock.
        db = sqlite3.connect(self.path)
        try:
            yield from db.execute(sql)
        finally:
            db.close()

    def iter_index_records(self) -> Iterator[StoredRecord]:
        """Responses and revisits in CDXJ order (urlkey, date), streamed."""
        for row in self._stream(
            "SELECT record_id, filename, offset, length, type, url, urlkey, date, status,"
            " mime, payload_digest, payload_length, refers_to, method, request_body FROM records"
            " WHERE type IN ('response', 'revisit', 'resource') ORDER BY urlkey, date"
        ):
            yield StoredRecord(*row)

    def iter_pages(self) -> Iterator[tuple[str, str, str | None, int | None]]:
        """(url, date, title, status) of every page, by date, streamed."""
        for row in self._stream("SELECT url, date, title, status FROM pages ORDER BY date, url"):
            yield (str(row[0]), str(row[1]), row[2], row[3])

    def failures(self, crawl_id: int) -> list[tuple[str, str, int | None]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT url, reason, status FROM failures WHERE crawl_id = ? ORDER BY date",
                (crawl_id,),
            ).fetchall()
        return [(str(u), str(r), s) for u, r, s in rows]

    def crawl_stats(self, crawl_id: int) -> dict[str, int]:
        """Counts of this crawl's records by type, and of its pages."""
        with self._lock:
            rows = self._db.execute(
                "SELECT type, COUNT(*) FROM records WHERE crawl_id = ? GROUP BY type", (crawl_id,)
            ).fetchall()
            pages = self._db.execute(
                "SELECT COUNT(*) FROM pages WHERE crawl_id = ?", (crawl_id,)
            ).fetchone()
        stats = {str(t): int(n) for t, n in rows}
        stats["pages"] = int(pages[0])
        return stats


class _Transaction:
    """``with`` block: one IMMEDIATE transaction under the catalog lock."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self.db = db
        self.lock = lock

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.lock.release()
            raise
        return self.db

    def __exit__(self, exc_type: object, *rest: object) -> None:
        try:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.lock.release()
