"""Politeness: per-host concurrency and spacing, robots.txt (RFC 9309) and Crawl-delay.

Timings come from the server's own request log (monotonic clock, same process), so each test
measures what the server saw, not what the crawler believes it did.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

import archiver
from archiver import CaptureOptions, Collection
from archiver.testing import Handler, SiteServer
from tests.capture.warcs import read_records

CONTACT = "https://archive.example.org/crawler-contact"


@pytest.fixture
def site(tmp_path_factory: pytest.TempPathFactory) -> SiteServer:
    root = tmp_path_factory.mktemp("polite-site")
    (root / "private").mkdir()
    for i in range(8):
        (root / f"p{i}.html").write_text(f"<title>P{i}</title><p>page {i}</p>")
    (root / "private" / "secret.html").write_text("<title>Private</title>")
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    return SiteServer(root)


def _starts(site: SiteServer) -> list[tuple[float, str]]:
    return sorted((t, p) for t, p, _ua in site.requests())


def _gaps(site: SiteServer) -> list[float]:
    starts = [t for t, _p in _starts(site)]
    return [b - a for a, b in itertools.pairwise(starts)]


@pytest.mark.parametrize("per_host", [1, 2, 3])
def test_no_more_than_per_host_requests_in_flight(
    site: SiteServer, tmp_path: Path, per_host: int
) -> None:
    site.latency = 0.08  # long enough that eight workers would overlap without the limit
    with site:
        seeds = [site.url(f"/p{i}.html") for i in range(8)]
        opts = CaptureOptions(workers=8, per_host=per_host, requisites=False)
        summary = archiver.capture(seeds, tmp_path / "col", options=opts)
    assert summary.ok and summary.pages == 8
    assert site.max_inflight == per_host


def test_host_delay_spaces_every_request_start(site: SiteServer, tmp_path: Path) -> None:
    with site:
        seeds = [site.url(f"/p{i}.html") for i in range(4)]
        opts = CaptureOptions(workers=4, per_host=4, host_delay=0.15, requisites=False)
        summary = archiver.capture(seeds, tmp_path / "col", options=opts)
    assert summary.ok and summary.pages == 4
    paths = [p for _t, p in _starts(site)]
    assert paths[0] == "/robots.txt" and len(paths) == 5
    gaps = _gaps(site)
    assert min(gaps) >= 0.14, f"request starts closer than host_delay: {gaps}"


def test_host_delay_also_spaces_retries(site: SiteServer, tmp_path: Path) -> None:
    count = 0

    def flaky(h: Handler) -> None:
        nonlocal count
        count += 1
        status = "503 Busy" if count < 3 else "200 OK"
        h.send_raw(f"HTTP/1.1 {status}\r\nContent-Length: 2\r\n\r\nok".encode())

    site.routes["/flaky"] = flaky
    with site:
        opts = CaptureOptions(host_delay=0.2, backoff=0.001, retries=3, obey_robots=False)
        summary = archiver.capture([site.url("/flaky")], tmp_path / "col", options=opts)
    assert summary.ok
    assert len(site.requests()) == 3
    assert min(_gaps(site)) >= 0.19, _gaps(site)


def test_robots_disallowed_page_is_skipped_not_fetched(site: SiteServer, tmp_path: Path) -> None:
    with site:
        private, public = site.url("/private/secret.html"), site.url("/p0.html")
        summary = archiver.capture([private, public], tmp_path / "col")
    assert "/private/secret.html" not in {p for _t, p in _starts(site)}
    assert [(s.url, s.reason) for s in summary.skipped] == [(private, "disallowed by robots.txt")]
    assert summary.failures == ()  # skipped on purpose is not a failure
    assert summary.ok and summary.pages == 1
    recs = read_records(Collection.open(tmp_path / "col").warc_files())
    robots = [r for r in recs if r.url == site.url("/robots.txt")]
    assert [r.type for r in robots] == ["request", "response"]
    assert robots[1].block.endswith(b"Disallow: /private/\n")
    assert private not in {r.url for r in recs}
    info = recs[0]
    assert info.type == "warcinfo" and b"robots: obey" in info.block


def test_robots_txt_is_fetched_once_per_host(site: SiteServer, tmp_path: Path) -> None:
    with site:
        seeds = [site.url(f"/p{i}.html") for i in range(8)]
        archiver.capture(seeds, tmp_path / "col", options=CaptureOptions(workers=8, per_host=4))
    assert [p for _t, p in _starts(site)].count("/robots.txt") == 1


def test_robots_group_for_our_product_token_applies(site: SiteServer, tmp_path: Path) -> None:
    (site.root / "robots.txt").write_text(
        "User-agent: archiver\nDisallow: /p1.html\n\nUser-agent: *\nDisallow: /\n"
    )
    with site:
        seeds = [site.url("/p0.html"), site.url("/p1.html")]
        summary = archiver.capture(seeds, tmp_path / "col", options=CaptureOptions())
    assert [s.url for s in summary.skipped] == [site.url("/p1.html")]
    assert summary.pages == 1


def test_crawl_delay_is_honoured(site: SiteServer, tmp_path: Path) -> None:
    (site.root / "robots.txt").write_text("User-agent: *\nCrawl-delay: 0.5\n")  # fractional
    with site:
        seeds = [site.url("/p0.html"), site.url("/p1.html")]
        opts = CaptureOptions(workers=4, per_host=4, requisites=False)
        summary = archiver.capture(seeds, tmp_path / "col", options=opts)
    assert summary.ok and summary.pages == 2
    assert next(p for _t, p in _starts(site)) == "/robots.txt"
    gaps = _gaps(site)
    assert len(gaps) == 2 and min(gaps) >= 0.48, gaps


def test_obey_robots_false_fetches_everything_and_says_so(site: SiteServer, tmp_path: Path) -> None:
    (site.root / "robots.txt").write_text("User-agent: *\nDisallow: /\nCrawl-delay: 30\n")
    with site:
        private = site.url("/private/secret.html")
        opts = CaptureOptions(obey_robots=False)
        summary = archiver.capture([private], tmp_path / "col", options=opts)
    assert summary.ok and summary.pages == 1 and summary.skipped == ()
    assert [p for _t, p in _starts(site)] == ["/private/secret.html"]  # robots.txt not even read
    recs = read_records(Collection.open(tmp_path / "col").warc_files())
    assert recs[0].type == "warcinfo" and b"robots: ignore" in recs[0].block
    assert Collection.open(tmp_path / "col").metadata["capture"]["robots"] == "ignore"


@pytest.mark.parametrize(
    ("status", "fetched"),
    [(404, True), (410, True), (500, False), (503, False)],
)
def test_robots_txt_errors_follow_rfc_9309(
    site: SiteServer, tmp_path: Path, status: int, fetched: bool
) -> None:
    site.routes["/robots.txt"] = lambda h: h.send_raw(
        f"HTTP/1.1 {status} X\r\nContent-Length: 0\r\n\r\n".encode()
    )
    with site:
        opts = CaptureOptions(retries=1, backoff=0.001)
        summary = archiver.capture([site.url("/p0.html")], tmp_path / "col", options=opts)
    # 4xx: no rules, crawl everything; 5xx (after retries): the site is unreachable, crawl
    # nothing, and say so: a failure of the run (retried by the next), not a skipped URL
    assert (summary.pages == 1) is fetched
    assert ("/p0.html" in {p for _t, p in _starts(site)}) is fetched
    if not fetched:
        assert summary.skipped == () and not summary.ok
        assert [(f.url, f.reason) for f in summary.failures] == [
            (site.url("/p0.html"), f"robots.txt unreachable (HTTP {status})")
        ]


def test_user_agent_carries_the_contact_url(site: SiteServer, tmp_path: Path) -> None:
    with site:
        opts = CaptureOptions(contact=CONTACT, operator="Test Archive")
        archiver.capture([site.url("/p0.html")], tmp_path / "col", options=opts)
    agents = {ua for _t, _p, ua in site.requests()}
    assert len(agents) == 1
    [agent] = agents
    assert agent.startswith("archiver/") and f"(+{CONTACT})" in agent
    recs = read_records(Collection.open(tmp_path / "col").warc_files())
    assert f"http-header-user-agent: {agent}".encode() in recs[0].block
    requests = [r for r in recs if r.type == "request"]
    assert requests and all(f"User-Agent: {agent}\r\n".encode() in r.block for r in requests)


def test_robots_txt_redirects_are_followed(site: SiteServer, tmp_path: Path) -> None:
    # RFC 9309 §2.3.1.2: follow at least five consecutive redirects (http -> https, www, CDN)
    (site.root / "rules.txt").write_text("User-agent: *\nDisallow: /private/\n")
    site.routes["/robots.txt"] = lambda h: h.send_raw(
        b"HTTP/1.1 301 Moved\r\nLocation: /moved/robots\r\nContent-Length: 5\r\n\r\nmoved"
    )
    site.routes["/moved/robots"] = lambda h: h.send_raw(
        b"HTTP/1.1 302 Found\r\nLocation: /rules.txt\r\nContent-Length: 0\r\n\r\n"
    )
    with site:
        private, public = site.url("/private/secret.html"), site.url("/p0.html")
        summary = archiver.capture([private, public], tmp_path / "col")
    assert [s.url for s in summary.skipped] == [private]
    assert summary.pages == 1
    fetched = [p for _t, p in _starts(site)]
    assert "/private/secret.html" not in fetched
    assert fetched.count("/rules.txt") == 1
    recs = read_records(Collection.open(tmp_path / "col").warc_files())
    archived = {r.url for r in recs if r.type == "response"}
    assert {site.url("/robots.txt"), site.url("/moved/robots"), site.url("/rules.txt")} <= archived


def test_retry_after_holds_back_the_whole_host(site: SiteServer, tmp_path: Path) -> None:
    # 429 says "you are sending too much": not only the URL that got it must wait
    count = 0

    def limited(h: Handler) -> None:
        nonlocal count
        count += 1
        if count == 1:
            h.send_raw(b"HTTP/1.1 429 Slow Down\r\nRetry-After: 1\r\nContent-Length: 0\r\n\r\n")
        else:
            h.send_raw(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    site.routes["/limited"] = limited
    site.latency = 0.05
    with site:
        seeds = [site.url("/limited")] + [site.url(f"/p{i}.html") for i in range(8)]
        opts = CaptureOptions(per_host=2, workers=2, obey_robots=False, requisites=False)
        summary = archiver.capture(seeds, tmp_path / "col", options=opts)
    assert summary.ok and summary.pages == 9
    starts = _starts(site)
    first, retry = (t for t, p in starts if p == "/limited")
    assert retry - first >= 0.95
    # The hold began when the 429 arrived and ended with the retry; requests already under way
    # when it arrived may start just after it, so the margins are generous.
    during = [p for t, p in starts if retry - 0.8 < t < retry - 0.05]
    assert during == [], f"requested while the host asked to wait: {during}"


def test_absurd_crawl_delay_is_capped(
    site: SiteServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A day between requests would freeze the host for the whole run: the delay is capped
    # (300 s in production, like Heritrix's default; shortened here) and the cap is logged.
    from archiver.capture import fetcher

    monkeypatch.setattr(fetcher, "_MAX_CRAWL_DELAY", 0.3)
    (site.root / "robots.txt").write_text("User-agent: *\nCrawl-delay: 86400\n")
    with site:
        seeds = [site.url("/p0.html"), site.url("/p1.html")]
        opts = CaptureOptions(requisites=False)
        summary = archiver.capture(seeds, tmp_path / "col", options=opts)
    assert summary.ok and summary.pages == 2
    gaps = _gaps(site)
    assert len(gaps) == 2 and min(gaps) >= 0.28 and max(gaps) < 5, gaps
    assert any("Crawl-delay 86400" in r.getMessage() for r in caplog.records)
