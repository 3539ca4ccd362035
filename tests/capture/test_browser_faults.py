"""Browser capture under faults and odd requests: kills, crashes, stalls, HTTPS, POST, robots.

Each test serves a small site of its own on 127.0.0.1 and captures it with ``--browser``.
"""

from __future__ import annotations

import json
import os
import signal
import ssl
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import archiver
from archiver import CaptureOptions, Collection
from archiver.capture.browser.chromium import capture_tag
from archiver.model import BrowserOptions
from archiver.testing import Handler, SiteServer
from tests.capture.reader import chromium_or_skip, chromium_processes, wait_for
from tests.capture.warcs import read_records
from tests.interop.tools import assert_index_matches_cdxj_indexer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def chromium() -> str:
    return chromium_or_skip()


def _options(chromium: str, **browser: object) -> CaptureOptions:
    return CaptureOptions(browser=BrowserOptions(executable=chromium, **browser))  # type: ignore[arg-type]


def _page(body: str, title: str = "Page") -> str:
    return f"<!doctype html><html><head><title>{title}</title></head><body>{body}</body></html>"


def _responses(col: Path) -> list[str]:
    return [
        r.url
        for r in read_records(Collection.open(col).warc_files())
        if r.type in ("response", "revisit")
    ]


# -- killed, crashed, stalled -------------------------------------------------------------


def _many_pages(root: Path, count: int) -> list[str]:
    (root / "img").mkdir()
    (root / "site.js").write_text(
        "document.addEventListener('DOMContentLoaded', () => {"
        " const i = document.createElement('img');"
        " i.src = '/img/s' + (document.title.length % 7) + '.png';"
        " document.body.appendChild(i); });"
    )
    pages = []
    for i in range(count):
        name = f"p{i:03d}.html"
        (root / name).write_text(
            _page(
                f"<script src=/site.js></script><h1>Article {i}</h1>"
                + "<p>Text of the article, paragraph after paragraph.</p>" * 30
                + f"<div style='height:3000px'></div><img loading=lazy src=/img/{i}.png>",
                title=f"Article {i}" + "x" * (i % 7),
            )
        )
        (root / "img" / f"{i}.png").write_bytes(os.urandom(2000))
        pages.append("/" + name)
    for k in range(7):
        (root / "img" / f"s{k}.png").write_bytes(os.urandom(1500))
    return pages


def _capture_process(col: Path, urls: Path, chromium: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "archiver",
            "capture",
            "-c",
            str(col),
            "-i",
            str(urls),
            "--browser",
            "--chromium",
            chromium,
            "--json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_sigkill_mid_browser_capture_then_rerun_stores_every_page_once(
    chromium: str, tmp_path: Path
) -> None:
    root = tmp_path / "site"
    root.mkdir()
    paths = _many_pages(root, 56)
    col = tmp_path / "col"
    tag = capture_tag(col)
    with SiteServer(root) as site:
        url_file = tmp_path / "urls.txt"
        url_file.write_text("".join(site.url(p) + "\n" for p in paths))
        proc = _capture_process(col, url_file, chromium)
        # kill it once a few pages are in, while the browser is loading others
        wait_for(
            lambda: (
                sum(1 for _, p, _ in site.requests() if p.startswith("/img/")) >= 25
                or proc.poll() is not None
            ),
            120,
            "the first pages to load",
        )
        assert proc.poll() is None, "the capture ended before it could be killed"
        proc.send_signal(signal.SIGKILL)
        proc.communicate()
        assert Collection.open(col).open_warc_files(), "the kill should leave an open WARC"
        rerun = _capture_process(col, url_file, chromium)
        out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err.decode()[-3000:]
    summary = json.loads(out)
    assert summary["resumed"] is True
    # (robots.txt is fetched again by every run, as it should be)
    responses = [u for u in _responses(col) if not u.endswith("/robots.txt")]
    doubles = sorted({u for u in responses if responses.count(u) > 1})
    assert not doubles, f"stored more than once: {doubles}"
    for path in paths:
        assert site.url(path) in responses
    pages = Collection.open(col).pages_path.read_text().splitlines()[1:]
    assert len(pages) == len(paths)
    # lazy images far down every page were reached by scrolling, before and after the kill
    assert all(site.url(f"/img/{i}.png") in responses for i in range(len(paths)))
    assert not chromium_processes(tag), "a Chromium process outlived the capture"


def test_chromium_left_by_a_killed_run_is_reaped(chromium: str, tmp_path: Path) -> None:
    col = tmp_path / "col"
    Collection.create(col)
    tag = capture_tag(col)
    # a stand-in for a Chromium a killed capture left: it carries the collection's switch
    stray = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(120)", tag], start_new_session=True
    )
    try:
        assert chromium_processes() is not None
        (tmp_path / "site").mkdir()
        (tmp_path / "site" / "index.html").write_text(_page("<p>hello</p>"))
        with SiteServer(tmp_path / "site") as site:
            summary = archiver.capture([site.url("/")], col, options=_options(chromium))
        assert summary.ok
        assert stray.wait(timeout=10) == -signal.SIGKILL
    finally:
        if stray.poll() is None:
            stray.kill()


def test_page_past_its_time_limit_fails_and_keeps_what_loaded(
    chromium: str, tmp_path: Path
) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "fast.png").write_bytes(os.urandom(500))
    (tmp_path / "site" / "index.html").write_text(
        _page("<p>still loading</p><img src=/fast.png><img src=/stall.png>")
    )
    release = threading.Event()

    def stall(handler: Handler) -> None:
        release.wait(60)
        handler.send_raw(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    col = tmp_path / "col"
    with SiteServer(tmp_path / "site") as site:
        site.routes["/stall.png"] = stall
        started = time.monotonic()
        try:
            summary = archiver.capture(
                [site.url("/")],
                col,
                options=CaptureOptions(
                    read_timeout=5, browser=BrowserOptions(executable=chromium, page_timeout=6)
                ),
            )
        finally:
            release.set()
        took = time.monotonic() - started
    assert took < 40
    failure = {f.url: f.reason for f in summary.failures}
    assert "6 s limit" in failure[site.url("/")]
    assert "timeout" in failure.get(site.url("/stall.png"), "timeout")  # could not be fetched
    records = read_records(Collection.open(col).warc_files())
    urls = {r.url for r in records if r.type == "response"}
    assert site.url("/") in urls and site.url("/fast.png") in urls  # what loaded is kept
    meta = next(r for r in records if r.type == "metadata" and b"browserOutcome" in r.block)
    assert b"6 s limit" in meta.block
    assert any(r.url == "urn:dom:" + site.url("/") for r in records)


def test_a_renderer_crash_is_retried_in_a_fresh_tab(chromium: str, tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text(_page("<p>article</p><img src=/slow.png>"))
    calls = []

    def slow(handler: Handler) -> None:
        calls.append(time.monotonic())
        if len(calls) == 1:
            time.sleep(3)  # the renderer is killed meanwhile
        handler.send_raw(b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 0\r\n\r\n")

    col = tmp_path / "col"
    tag = capture_tag(col)
    with SiteServer(tmp_path / "site") as site:
        site.routes["/slow.png"] = slow
        result: dict[str, object] = {}
        thread = threading.Thread(
            target=lambda: result.update(
                summary=archiver.capture([site.url("/")], col, options=_options(chromium))
            )
        )
        thread.start()
        wait_for(lambda: bool(calls), 60, "the page's image request")
        killed = _kill_renderers(tag)
        thread.join(120)
    assert killed, "no renderer process found to kill"
    summary = result["summary"]
    assert summary.ok, summary.failures  # type: ignore[attr-defined]
    assert summary.pages == 1  # type: ignore[attr-defined]
    records = read_records(Collection.open(col).warc_files())
    meta = next(r for r in records if r.type == "metadata" and b"browserOutcome" in r.block)
    assert b"browserOutcome: loaded" in meta.block


def _kill_renderers(tag: str) -> int:
    """Kill the renderer processes of the Chromium carrying ``tag``."""
    [browser] = chromium_processes(tag)
    killed = 0
    for pid in chromium_processes():
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
            if b"--type=renderer" in cmdline and os.getpgid(pid) == os.getpgid(browser):
                os.kill(pid, signal.SIGKILL)
                killed += 1
        except (OSError, ProcessLookupError):
            continue
    return killed


def test_a_browser_that_dies_is_started_again(chromium: str, tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    for name in ("a", "b", "c"):
        (tmp_path / "site" / f"{name}.html").write_text(
            _page(f"<p>{name}</p><img src=/{name}.png>")
        )
    gate = threading.Event()

    def image(handler: Handler) -> None:
        if handler.path == "/a.png":
            gate.wait(30)
        handler.send_raw(b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 0\r\n\r\n")

    col = tmp_path / "col"
    tag = capture_tag(col)
    with SiteServer(tmp_path / "site") as site:
        for name in ("a", "b", "c"):
            site.routes[f"/{name}.png"] = image
        result: dict[str, object] = {}
        seeds = [site.url(f"/{n}.html") for n in ("a", "b", "c")]
        thread = threading.Thread(
            target=lambda: result.update(
                summary=archiver.capture(seeds, col, options=_options(chromium, tabs=1))
            )
        )
        thread.start()
        wait_for(lambda: any(p == "/a.png" for _, p, _ in site.requests()), 60, "/a.png")
        [browser] = chromium_processes(tag)
        os.killpg(browser, signal.SIGKILL)
        gate.set()
        thread.join(180)
    summary = result["summary"]
    assert summary.ok, summary.failures  # type: ignore[attr-defined]
    assert summary.pages == 3  # type: ignore[attr-defined]
    assert summary.browser.restarts >= 1  # type: ignore[attr-defined]
    assert not chromium_processes(tag)


# -- what reaches the network ---------------------------------------------------------------


def test_https_pages_go_through_the_run_key_and_the_real_chain_is_kept(
    chromium: str, tmp_path: Path
) -> None:
    from tests.capture.tls import make_cert

    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text(_page("<p>secure</p><img src=/pic.png>"))
    (tmp_path / "site" / "pic.png").write_bytes(os.urandom(700))
    cert, key = make_cert(tmp_path)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    col = tmp_path / "col"
    with SiteServer(tmp_path / "site") as site:
        assert site._server is not None
        site._server.socket = ctx.wrap_socket(site._server.socket, server_side=True)
        url = site.url("/").replace("http://", "https://")
        options = CaptureOptions(verify_tls=False, browser=BrowserOptions(executable=chromium))
        summary = archiver.capture([url], col, options=options)
    assert summary.ok, summary.failures
    assert summary.browser is not None and summary.browser.fetched >= 1
    records = read_records(Collection.open(col).warc_files())
    assert url + "pic.png" in {r.url for r in records if r.type == "response"}
    chains = [r for r in records if r.type == "metadata" and b"certificate: " in r.block]
    assert len(chains) == 1, "one certificate record per host and run"
    from cryptography import x509

    served = x509.load_pem_x509_certificate(cert.read_bytes())
    der = served.public_bytes(
        __import__("cryptography").hazmat.primitives.serialization.Encoding.DER
    )
    import base64

    assert f"certificate: {base64.b64encode(der).decode()}".encode() in chains[0].block


def _post_site(tmp_path: Path) -> Path:
    (tmp_path / "site").mkdir(exist_ok=True)
    (tmp_path / "site" / "index.html").write_text(
        _page(
            "<p id=out>waiting</p><script>"
            "fetch('/api/vote', {method: 'POST', headers: {'Content-Type': 'application/json'},"
            " body: JSON.stringify({poll: 7, choice: 'yes'})})"
            ".then(r => r.text()).then(t => { document.getElementById('out').textContent = t; });"
            "</script>"
        )
    )
    return tmp_path / "site"


def _vote(handler: Handler) -> None:
    length = int(handler.headers.get("Content-Length") or 0)
    body = handler.rfile.read(length)
    answer = json.dumps({"thanks": json.loads(body)["choice"]}).encode()
    handler.send_raw(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
        % (len(answer), answer)
    )


def test_post_requests_are_recorded_with_their_body_and_index_key(
    chromium: str, tmp_path: Path
) -> None:
    col = tmp_path / "col"
    with SiteServer(_post_site(tmp_path)) as site:
        site.routes["/api/vote"] = _vote
        summary = archiver.capture([site.url("/")], col, options=_options(chromium))
    assert summary.ok and summary.browser is not None
    assert summary.browser.posts_recorded == 1
    records = read_records(Collection.open(col).warc_files())
    [request] = [r for r in records if r.type == "request" and r.block.startswith(b"POST ")]
    assert request.block.endswith(b'{"poll":7,"choice":"yes"}')
    [response] = [r for r in records if r.id == request.headers["WARC-Concurrent-To"]]
    assert b'{"thanks": "yes"}' in response.block
    index = Collection.open(col).index_path.read_text()
    [line] = [x for x in index.splitlines() if "__wb_method=post" in x]
    fields = json.loads(line.split(" ", 2)[2])
    assert fields["method"] == "POST" and fields["requestBody"] == "poll=7&choice=yes"
    dom = next(r for r in records if r.url == "urn:dom:" + site.url("/"))
    assert b"thanks" in dom.block  # the page got the answer the server gave
    assert_index_matches_cdxj_indexer(col, post_append=True)  # the POST key, as pywb has it


def test_post_requests_can_be_skipped(chromium: str, tmp_path: Path) -> None:
    with SiteServer(_post_site(tmp_path)) as site:
        site.routes["/api/vote"] = _vote
        summary = archiver.capture(
            [site.url("/")], tmp_path / "col", options=_options(chromium, post="skip")
        )
        assert "/api/vote" not in {p for _, p, _ in site.requests()}
    assert summary.ok and summary.browser is not None
    assert summary.browser.posts_skipped == 1 and summary.browser.posts_recorded == 0


def test_websockets_are_refused_and_counted(chromium: str, tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text(
        _page("<script>new WebSocket('ws://' + location.host + '/live');</script>")
    )
    with SiteServer(tmp_path / "site") as site:
        summary = archiver.capture([site.url("/")], tmp_path / "col", options=_options(chromium))
        assert "/live" not in {p for _, p, _ in site.requests()}
    assert summary.ok and summary.browser is not None
    assert summary.browser.websockets_skipped == 1


def test_robots_txt_holds_for_what_the_browser_asks(chromium: str, tmp_path: Path) -> None:
    (tmp_path / "site" / "private").mkdir(parents=True)
    (tmp_path / "site" / "robots.txt").write_text("User-agent: *\nDisallow: /private/\n")
    (tmp_path / "site" / "private" / "x.png").write_bytes(os.urandom(300))
    (tmp_path / "site" / "ok.png").write_bytes(os.urandom(300))
    (tmp_path / "site" / "ok.txt").write_text("all good")
    (tmp_path / "site" / "index.html").write_text(
        _page(
            "<img src=/ok.png><p id=out></p><script>new Image().src = '/private/x.png';"
            # a HEAD refused on a kept-alive connection, then a GET on it: intact?
            "fetch('/private/y', {method: 'HEAD'}).then(() => fetch('/ok.txt'))"
            ".then(r => r.text()).then(t => { document.getElementById('out').textContent = t; });"
            "</script>"
        )
    )
    col = tmp_path / "col"
    with SiteServer(tmp_path / "site") as site:
        summary = archiver.capture([site.url("/")], col, options=_options(chromium))
        asked = {p for _, p, _ in site.requests()}
    assert "/private/x.png" not in asked and "/ok.png" in asked and "/private/y" not in asked
    assert summary.browser is not None and summary.browser.robots_blocked == 2
    assert [s.url for s in summary.skipped] == [site.url("/private/x.png")]
    dom = next(
        r for r in read_records(Collection.open(col).warc_files()) if r.url.startswith("urn:dom:")
    )
    assert b'<p id="out">all good</p>' in dom.block


def test_media_asked_for_in_ranges_is_fetched_whole_once(chromium: str, tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text(
        _page("<video src=/clip.mp4 preload=auto muted autoplay></video>")
    )
    body = os.urandom(300_000)
    seen: list[str | None] = []

    def clip(handler: Handler) -> None:
        seen.append(handler.headers.get("Range"))
        handler.send_raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: video/mp4\r\nAccept-Ranges: bytes\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )

    col = tmp_path / "col"
    with SiteServer(tmp_path / "site") as site:
        site.routes["/clip.mp4"] = clip
        summary = archiver.capture([site.url("/")], col, options=_options(chromium))
    assert summary.ok
    assert seen == [None], f"the server was asked {seen}"  # once, whole: no Range forwarded
    [media] = [
        r
        for r in read_records(Collection.open(col).warc_files())
        if r.type == "response" and r.url == site.url("/clip.mp4")
    ]
    assert media.block.startswith(b"HTTP/1.1 200 OK") and media.block.endswith(body)


def test_service_workers_are_bypassed(chromium: str, tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "sw.js").write_text(
        "self.addEventListener('fetch', e => e.respondWith(new Response('from the worker')));"
    )
    (tmp_path / "site" / "data.json").write_text('{"from": "the server"}')
    (tmp_path / "site" / "index.html").write_text(
        _page(
            "<p id=out></p><script>"
            "navigator.serviceWorker && navigator.serviceWorker.register('/sw.js').catch(() => 0);"
            "setTimeout(() => fetch('/data.json').then(r => r.text())"
            ".then(t => { document.getElementById('out').textContent = t; }), 300);"
            "</script>"
        )
    )
    col = tmp_path / "col"
    with SiteServer(tmp_path / "site") as site:
        archiver.capture([site.url("/")], col, options=_options(chromium))
        assert "/data.json" in {p for _, p, _ in site.requests()}
    records = read_records(Collection.open(col).warc_files())
    dom = next(r for r in records if r.url == "urn:dom:" + site.url("/"))
    assert b"the server" in dom.block and b"from the worker" not in dom.block


# -- the command line ---------------------------------------------------------------------


def test_a_missing_chromium_is_a_clear_usage_error(tmp_path: Path) -> None:
    from archiver.cli import main

    bogus = tmp_path / "no-such-chromium"
    code = main(["capture", "-c", str(tmp_path / "col"), "http://127.0.0.1:9/", "--browser",
                 "--chromium", str(bogus)])  # fmt: skip
    assert code == 2
    assert not (tmp_path / "col" / "archive").exists() or not any(
        (tmp_path / "col" / "archive").iterdir()
    )


def test_cli_browser_capture_prints_what_the_browser_did(
    chromium: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from archiver.cli import main

    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text(
        _page("<script>document.write('<img src=/late.png>')</script>")
    )
    (tmp_path / "site" / "late.png").write_bytes(os.urandom(200))
    with SiteServer(tmp_path / "site") as site:
        code = main(["capture", "-c", str(tmp_path / "col"), site.url("/"), "--browser",
                     "--chromium", chromium, "--browser-tabs", "1"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert "browser: Chromium/" in out and "1 page(s) loaded" in out
    assert "1 URL(s) found beyond static parsing" in out


def test_a_hung_browser_is_killed_and_started_again(
    chromium: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from archiver.capture.browser import driver

    monkeypatch.setattr(driver, "_HUNG_GRACE", 2.0)
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "index.html").write_text(_page("<p>a</p><img src=/a.png>"))
    frozen: list[int] = []

    def image(handler: Handler) -> None:
        if not frozen:  # the first time: the whole browser stops answering
            [browser] = chromium_processes(capture_tag(tmp_path / "col"))
            os.killpg(browser, signal.SIGSTOP)
            frozen.append(browser)
        handler.send_raw(b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nContent-Length: 0\r\n\r\n")

    with SiteServer(tmp_path / "site") as site:
        site.routes["/a.png"] = image
        try:
            summary = archiver.capture(
                [site.url("/")], tmp_path / "col", options=_options(chromium, page_timeout=5)
            )
        finally:
            for pid in frozen:  # never leave a stopped process behind, whatever happened
                with __import__("contextlib").suppress(ProcessLookupError):
                    os.killpg(pid, signal.SIGKILL)
    assert frozen, "the page never asked for its image"
    assert summary.ok, summary.failures
    assert summary.browser is not None and summary.browser.restarts >= 1
    assert not chromium_processes(capture_tag(tmp_path / "col"))


# -- answers made from the archive, and the queue's other kinds ----------------------------

_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201e1b3a1f30000000049454e44ae426082"
)


def test_a_revisit_is_answered_with_its_head_and_the_original_body(
    chromium: str, tmp_path: Path
) -> None:
    # b.png has a.png's bytes: it is stored as a revisit; the third page loads it again and
    # gets the revisit's head with the original's body, from the WARC
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "a.png").write_bytes(_PNG)
    (tmp_path / "site" / "b.png").write_bytes(_PNG)
    for name, img in (("one", "a"), ("two", "b"), ("three", "b")):
        (tmp_path / "site" / f"{name}.html").write_text(
            _page(
                f"<img id=i src=/{img}.png><p id=out></p><script>window.onload = () => "
                "{ document.getElementById('out').textContent = 'width=' + "
                "document.getElementById('i').naturalWidth; };</script>"
            )
        )
    col = tmp_path / "col"
    with SiteServer(tmp_path / "site") as site:
        seeds = [site.url(f"/{n}.html") for n in ("one", "two", "three")]
        summary = archiver.capture(seeds, col, options=_options(chromium, tabs=1))
        assert [p for _, p, _ in site.requests()].count("/b.png") == 1
    assert summary.ok and summary.browser is not None and summary.browser.from_archive >= 1
    records = read_records(Collection.open(col).warc_files())
    assert any(r.type == "revisit" and r.url == site.url("/b.png") for r in records)
    doms = {r.url: r.block for r in records if r.url.startswith("urn:dom:")}
    assert b"width=1" in doms["urn:dom:" + site.url("/three.html")]


def test_a_get_never_revisits_a_post_response(chromium: str, tmp_path: Path) -> None:
    site_root = _post_site(tmp_path)
    (site_root / "same.json").write_text('{"thanks": "yes"}')  # what the POST answers
    (site_root / "index.html").write_text(
        _page(
            "<script>fetch('/api/vote', {method: 'POST', headers: {'Content-Type': "
            "'application/json'}, body: JSON.stringify({poll: 7, choice: 'yes'})})"
            ".then(() => fetch('/same.json'));</script>"
        )
    )
    col = tmp_path / "col"
    with SiteServer(site_root) as site:
        site.routes["/api/vote"] = _vote
        summary = archiver.capture([site.url("/")], col, options=_options(chromium))
    assert summary.ok and summary.browser is not None and summary.browser.posts_recorded == 1
    [same] = [
        r
        for r in read_records(Collection.open(col).warc_files())
        if r.url == site.url("/same.json") and r.type in ("response", "revisit")
    ]
    assert same.type == "response"


def test_a_queued_feed_the_browser_asks_for_is_still_read_as_a_feed(
    chromium: str, tmp_path: Path
) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "story.html").write_text(_page("<p>the story</p>", title="Story"))
    feed = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
        "<item><title>Story</title><link>{{SITE}}/story.html</link></item></channel></rss>"
    )
    (tmp_path / "site" / "index.html").write_text(
        _page("<script>fetch('/feed.xml').then(r => r.text());</script>")
    )
    calls: list[float] = []

    def slow_feed(handler: Handler) -> None:
        calls.append(time.monotonic())
        if len(calls) == 1:
            time.sleep(2)  # the crawl's own fetch: the browser asks while it is under way
        body = feed.replace("{{SITE}}", handler.server.site.origin).encode()
        handler.send_raw(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )

    col = tmp_path / "col"
    with SiteServer(tmp_path / "site") as site:
        site.routes["/feed.xml"] = slow_feed
        seeds = [archiver.Seed.feed(site.url("/feed.xml")), archiver.Seed.page(site.url("/"))]
        summary = archiver.capture(seeds, col, options=_options(chromium))
    assert summary.ok, summary.failures
    records = read_records(Collection.open(col).warc_files())
    feeds = [
        r for r in records if r.type in ("response", "revisit") and r.url.endswith("/feed.xml")
    ]
    assert len(feeds) == 1, "the feed was stored twice"
    pages = Collection.open(col).pages_path.read_text()
    assert site.url("/story.html") in pages  # the feed was read: its item was captured


def test_a_page_url_chromium_spells_otherwise_is_stored_once(chromium: str, tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "search.html").write_text(_page("<p>results</p>"))
    col = tmp_path / "col"
    with SiteServer(tmp_path / "site") as site:
        url = site.url("/search.html?q=it's")  # Chromium asks for q=it%27s
        summary = archiver.capture([url], col, options=_options(chromium))
    assert summary.ok and summary.pages == 1
    stored = [
        r.url
        for r in read_records(Collection.open(col).warc_files())
        if r.type in ("response", "revisit") and "/search.html" in r.url
    ]
    assert len(stored) == 1, stored


def test_private_addresses_asked_by_a_public_page_are_refused() -> None:
    from archiver.capture.browser.resources import _is_public

    for host in ("127.0.0.1", "10.1.2.3", "192.168.0.1", "169.254.169.254", "localhost", "::1"):
        assert not _is_public(host), host
    for host in ("example.org", "8.8.8.8", "2001:4860:4860::8888"):
        assert _is_public(host), host
