"""catalog.sqlite: queue order, host-aware selection, resume state."""

from __future__ import annotations

from pathlib import Path

from archiver.catalog import Catalog, QueueEntry, host_key


def test_a_busy_host_with_a_long_queue_does_not_hide_other_hosts(tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.sqlite") as cat:
        crawl = cat.start_crawl([], {})
        slow = [QueueEntry(f"http://slow.example/{i}", "page") for i in range(5000)]
        fast = [QueueEntry(f"http://fast.example/{i}", "page") for i in range(3)]
        cat.enqueue(crawl, slow + fast)
        head = cat.pending(crawl, exclude=set(), limit=10)
        assert all(e.url.startswith("http://slow.example/") for e in head)
        found = cat.pending(
            crawl, exclude=set(), limit=10, skip_hosts={host_key("http://slow.example/")}
        )
        assert [e.url for e in found] == [e.url for e in fast]


def test_host_key_makes_default_ports_explicit() -> None:
    assert host_key("http://example.org/a") == "example.org:80"
    assert host_key("https://example.org/a") == "example.org:443"
    assert host_key("http://127.0.0.1:8080/") == "127.0.0.1:8080"


def test_queue_keeps_insertion_order_and_ignores_duplicates(tmp_path: Path) -> None:
    with Catalog(tmp_path / "c.sqlite") as cat:
        crawl = cat.start_crawl([], {})
        assert (
            cat.enqueue(crawl, [QueueEntry("http://a/1", "page"), QueueEntry("http://a/2", "page")])
            == 2
        )
        assert cat.enqueue(crawl, [QueueEntry("http://a/1", "requisite")]) == 0
        assert [e.url for e in cat.pending(crawl, exclude=set(), limit=5)] == [
            "http://a/1",
            "http://a/2",
        ]
        assert cat.unfinished_crawl() == crawl
        cat.finish_crawl(crawl)
        assert cat.unfinished_crawl() is None
