"""A reader's browser, independent of archiver: what a page makes Chromium fetch, live.

The browser tests compare what archiver keeps with what a reader's Chromium asks the server
for.  This drives Chromium with Playwright directly (no proxy, nothing of archiver's browser
code): load the page, scroll down a viewport at a time with generous pauses until the page
stops growing, then wait for the network to stay quiet.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from archiver.capture.browser.chromium import find_chromium
from archiver.errors import BrowserError

#: lines the browser tests report at the end of the run (tests/conftest.py prints them)
COVERAGE_REPORT = pytest.StashKey[list[str]]()

LIVE_PAGES = (
    "/live/2023/11/solar-power-keeps-night-clinics-open-in-northern-karen-state/",
    "/live/2023/11/live-updates-karen-state-and-the-border-november-23/",
    "/live/2023/11/seed-savers-keep-heirloom-hill-rice-varieties-alive/",
)
#: markers the script-driven pages only show once their scripts ran (see examples/site/README.md)
JSON_COMMENT = "KN-JSON-COMMENT-51290"
BANNER = "/wp-content/uploads/2023/11/kn-appeal-banner-728x90.jpg"
RENDERED_TITLE = "Seed Savers Keep Heirloom Hill Rice Varieties Alive in Mutraw"
LAST_LIVE_ITEM = "Good morning and welcome to Karen News live coverage for Thursday, November 23."

_ARGS = [
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]


def chromium_or_skip() -> str:
    """The Chromium to test with.  As root (CI, where make installs it) a missing Chromium
    fails the test; elsewhere the test is skipped, saying why (pytest -ra lists it)."""
    try:
        return find_chromium()
    except BrowserError as exc:
        if os.geteuid() == 0:
            pytest.fail(f"no Chromium although 'make' installs it when run as root: {exc}")
        pytest.skip(f"browser capture needs Chromium: {exc}")


def read_like_a_reader(chromium: str, url: str, *, proxy: str | None = None) -> dict[str, Any]:
    """Load ``url`` as a reader would, scrolling to the end; the final DOM and what loaded."""
    from playwright.sync_api import sync_playwright

    statuses: list[tuple[int, str]] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 720})
            page.on("response", lambda r: statuses.append((r.status, r.url)))
            page.goto(url, wait_until="load")
            last = -1
            for _ in range(60):
                at_bottom = page.evaluate(
                    "window.scrollY + window.innerHeight"
                    " >= document.documentElement.scrollHeight - 2"
                )
                height = page.evaluate("document.documentElement.scrollHeight")
                if at_bottom and height == last:
                    break
                last = height if at_bottom else -1
                page.evaluate("window.scrollBy(0, window.innerHeight)")
                page.wait_for_timeout(250)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(500)
            return {
                "html": page.content(),
                "statuses": statuses,
                "banner_loaded": page.evaluate(
                    f"Array.from(document.images).some(i => i.src.endsWith('{BANNER}')"
                    " && i.complete && i.naturalWidth > 0)"
                ),
            }
        finally:
            browser.close()


def server_paths(requests: list[tuple[float, str, str]]) -> set[str]:
    return {path for _t, path, _agent in requests}


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def chromium_processes(tag: str | None = None) -> list[int]:
    """PIDs of Chromium processes (with ``tag`` on their command line, if given)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if not cmdline or b"chrom" not in Path(cmdline[0].decode(errors="replace")).name.encode():
            continue
        if tag is None or tag.encode() in cmdline:
            pids.append(int(entry.name))
    return pids
