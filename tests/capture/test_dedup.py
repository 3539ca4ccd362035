"""Re-capturing an unchanged site stores revisits, not the same bytes again."""

from __future__ import annotations

from pathlib import Path

import archiver
from archiver import Collection, Seed
from archiver.capture.records import REVISIT_PROFILE
from archiver.testing import SiteServer
from tests.capture.warcs import read_records


def test_recapture_of_unchanged_site_grows_collection_by_under_5_percent(
    example_site: SiteServer, tmp_path: Path
) -> None:
    seeds = [Seed.feed(example_site.url("/feed/")), Seed.page(example_site.url("/"))]
    first = archiver.capture(seeds, tmp_path / "col")
    col = Collection.open(tmp_path / "col")
    size_first = sum(p.stat().st_size for p in col.warc_files())
    second = archiver.capture(seeds, col)
    size_both = sum(p.stat().st_size for p in col.warc_files())
    assert first.ok and second.ok
    assert second.pages == first.pages and second.requisites == first.requisites
    growth = (size_both - size_first) / size_first
    assert growth < 0.05, f"re-capture grew the collection by {growth:.1%}"
    new = read_records([col.archive_dir / name for name in second.warc_files])
    revisits = [r for r in new if r.type == "revisit"]
    assert revisits and not [r for r in new if r.type == "response"]
    originals = {r.id: r for r in read_records(col.warc_files()) if r.type == "response"}
    for rev in revisits:
        h = rev.headers
        assert h["WARC-Profile"] == REVISIT_PROFILE
        original = originals[h["WARC-Refers-To"]]
        assert h["WARC-Refers-To-Target-URI"] == original.url
        assert h["WARC-Refers-To-Date"] == original.headers["WARC-Date"]
        assert h["WARC-Payload-Digest"] == original.headers["WARC-Payload-Digest"]


def test_identical_payloads_within_one_run_are_stored_once(tmp_path: Path) -> None:
    root = tmp_path / "site"
    root.mkdir()
    logo = bytes(range(256)) * 40
    for name in ("a.png", "b.png", "c.png"):
        (root / name).write_bytes(logo)
    (root / "index.html").write_text("<img src=a.png><img src=b.png><img src=c.png>")
    with SiteServer(root) as site:
        archiver.capture(
            [site.url("/")], tmp_path / "col", options=archiver.CaptureOptions(workers=1)
        )
    recs = read_records(Collection.open(tmp_path / "col").warc_files())
    images = [r for r in recs if r.url.endswith(".png") and r.type in ("response", "revisit")]
    assert sorted(r.type for r in images) == ["response", "revisit", "revisit"]


def test_dedup_can_be_turned_off(small_site: SiteServer, tmp_path: Path) -> None:
    opts = archiver.CaptureOptions(dedup=False)
    archiver.capture([small_site.url("/a/")], tmp_path / "col", options=opts)
    again = archiver.capture([small_site.url("/a/")], tmp_path / "col", options=opts)
    assert again.revisits == 0


def test_identical_payloads_fetched_at_once_by_many_workers_are_stored_once(
    tmp_path: Path,
) -> None:
    root = tmp_path / "site"
    root.mkdir()
    logo = bytes(range(256)) * 400
    for i in range(30):
        (root / f"{i}.png").write_bytes(logo)
    (root / "index.html").write_text("".join(f"<img src={i}.png>" for i in range(30)))
    with SiteServer(root, latency=0.02) as site:
        archiver.capture(
            [site.url("/")],
            tmp_path / "col",
            options=archiver.CaptureOptions(workers=8, per_host=8),
        )
    recs = read_records(Collection.open(tmp_path / "col").warc_files())
    images = [r.type for r in recs if r.url.endswith(".png") and r.type != "request"]
    assert sorted(images) == ["response"] + ["revisit"] * 29


def test_payload_index_answers_from_memory_and_falls_back_to_the_catalog(
    tmp_path: Path,
) -> None:
    from archiver.capture.dedup import PayloadIndex
    from archiver.catalog import Catalog, StoredRecord

    def response(n: int, digest: str) -> StoredRecord:
        return StoredRecord(
            f"<urn:uuid:{n}>", "f.warc.gz", n * 100, 100, "response", f"http://x/{n}",
            f"x)/{n}", "2026-11-25T00:00:00Z", 200, "text/html", digest, 10,
        )  # fmt: skip

    with Catalog(tmp_path / "catalog.sqlite") as catalog:
        crawl = catalog.start_crawl(["http://x/"], {})
        catalog.add_records(crawl, [response(0, "sha1:EARLIER")], ("f.warc.gz", 100))
        # a first capture: nothing earlier, so misses never query the catalog
        index = PayloadIndex(catalog, earlier=False, limit=2)
        assert index.lookup("sha1:EARLIER") == (None, 0)
        # an index that knows the catalog holds earlier responses finds them there
        index = PayloadIndex(catalog, earlier=True, limit=2)
        found, token = index.lookup("sha1:EARLIER")
        assert found is not None and found.record_id == "<urn:uuid:0>"
        # stored by another worker after the lookup: the recheck sees it without a query
        missed, token = index.lookup("sha1:NEW")
        assert missed is None
        index.add(response(1, "sha1:NEW"))
        again = index.recheck("sha1:NEW", token)
        assert again is not None and again.record_id == "<urn:uuid:1>"
        # only responses count, and the first response of a payload stays its original
        index.add(response(2, "sha1:NEW"))
        assert index.recheck("sha1:NEW", 0) == again
        # past the memory limit the oldest leave memory and lookups go to the catalog
        index.add(response(3, "sha1:C"))
        index.add(response(4, "sha1:D"))
        assert index.lookup("sha1:NEW")[0] is None  # evicted, and never committed
        assert index.recheck("sha1:D", 0) is None  # too many since: asks the catalog


def test_a_closed_catalog_opens_no_new_reader(tmp_path: Path) -> None:
    from archiver.catalog import Catalog
    from archiver.errors import CollectionError

    catalog = Catalog(tmp_path / "catalog.sqlite")
    assert catalog.find_payload("sha1:X") is None  # this thread's reader
    catalog.close()
    errors: list[BaseException] = []

    def other_thread() -> None:
        try:
            catalog.find_payload("sha1:X")
        except BaseException as exc:
            errors.append(exc)

    import threading

    worker = threading.Thread(target=other_thread)
    worker.start()
    worker.join(5)
    assert len(errors) == 1 and isinstance(errors[0], CollectionError)
    assert catalog._readers == []
