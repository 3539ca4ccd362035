"""The scheduler's cost per URL does not grow with the queue (issue 12, finding 6).

Time is measured in benchmarks/scheduler; here the property is asserted on what the scheduler
asks the catalog: a batch read per 64 entries of a host, each an index range (SQLite's own
query plan says so), never a scan of the queue, whatever the queue holds.
"""

from __future__ import annotations

import threading
from pathlib import Path

from archiver.capture.hosts import Hosts
from archiver.capture.scheduler import Outcome, Scheduler
from archiver.catalog import Catalog, QueueEntry


def _fill(catalog: Catalog, crawl: int, count: int, hosts: int = 1) -> None:
    batch = []
    for i in range(count):
        batch.append(QueueEntry(url=f"http://h{i % hosts}.example/{i}", kind="page"))
        if len(batch) == 50_000:
            catalog.enqueue(crawl, batch)
            batch = []
    catalog.enqueue(crawl, batch)


def _run(catalog: Catalog, crawl: int, *, stop_after: int, per_host: int) -> Scheduler:
    stop = threading.Event()
    done: list[str] = []
    lock = threading.Lock()

    def process(entry: QueueEntry) -> Outcome:
        catalog.commit_result(crawl, url=entry.url, state="done")
        with lock:
            done.append(entry.url)
            if len(done) >= stop_after:
                stop.set()
        return Outcome(entry.url, entry.kind, ok=True)

    scheduler = Scheduler(
        catalog,
        crawl,
        Hosts(delay=0, per_host=per_host, stop=stop),
        workers=8,
        per_host=per_host,
        process=process,
        finished=lambda *_: None,
        stop=stop,
    )
    scheduler.run()
    return scheduler


def test_a_million_entries_on_one_busy_host_cost_one_read_per_batch(tmp_path: Path) -> None:
    with Catalog(tmp_path / "catalog.sqlite") as catalog:
        crawl = catalog.start_crawl([], {})
        _fill(catalog, crawl, 1_000_000)
        scheduler = _run(catalog, crawl, stop_after=3_000, per_host=2)
        # 3,000 entries started from a million-entry queue: about 3,000 / 64 reads of a batch,
        # not one query per URL over the whole queue
        assert scheduler.reads <= 3_000 // 64 + 3, scheduler.reads
        plan = " ".join(
            str(row[-1])
            for row in catalog._db.execute(
                "EXPLAIN QUERY PLAN SELECT seq, url, kind, depth, origin, hops, parent FROM queue"
                " WHERE crawl_id = ? AND host = ? AND state = 'pending' AND seq > ?"
                " ORDER BY seq LIMIT ?",
                (crawl, "h0.example:80", 0, 64),
            )
        )
        assert "USING INDEX queue_host" in plan and "SCAN" not in plan, plan


def test_entries_start_in_queue_order_across_hosts_and_all_of_them(tmp_path: Path) -> None:
    with Catalog(tmp_path / "catalog.sqlite") as catalog:
        crawl = catalog.start_crawl([], {})
        _fill(catalog, crawl, 1_000, hosts=7)
        scheduler = _run(catalog, crawl, stop_after=10**9, per_host=2)
        assert catalog.counts(crawl) == {"done": 1_000}
        assert scheduler.reads <= 7 * (1_000 // 7 // 64 + 2) + 7
