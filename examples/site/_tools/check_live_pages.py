"""Check the script-driven live pages with a real browser (see live_pages.py and the README).

For each live page it serves the site with ``archiver.testing.SiteServer`` and lists:

(c) static   what a static parser finds: the page, plus the requisites and frames that
             ``archiver.capture.links.html_links`` reads from its raw HTML, followed through
             the style sheets (``css_links``) and frames it names;
(a) load     what the server receives when Chromium loads the page and waits for the network to
             go quiet, without scrolling;
(b) scrolled what it receives when Chromium loads the page, then scrolls down one viewport
             height at a time (a short pause after each step) until the bottom is reached and no
             more content arrives, then waits for the network to go quiet.

It then checks that (b) is a strict superset of (a); that every required kind of resource is
in (b), and that the lazy ones are not in (a); what only a browser finds; that the JSON-loaded
text and the script-inserted banner are in the final DOM; that the raw HTML holds none of it;
and that no request got a 404. It prints a table per page and exits 0 when every check passes.

Usage (from the repository root; Playwright and Debian's chromium)::

    .venv/bin/python examples/site/_tools/check_live_pages.py [--chromium PATH] [--latency S] [-v]
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))

import live_pages  # noqa: E402  (the content the pages are generated from)

from archiver.capture.links import css_links, html_links  # noqa: E402
from archiver.testing import SiteServer  # noqa: E402

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
STEP_PAUSE_MS = 250  # after each viewport-height scroll step
QUIET_MS = 600  # "network idle": no request in flight for this long
VIEWPORT = {"width": 1280, "height": 720}


# -- what the server received ----------------------------------------------------------------


@dataclass
class Visit:
    paths: list[str]  # as the server received them, in order, duplicates kept
    statuses: dict[str, int]  # URL -> HTTP status, from the browser (all frames)
    failed: list[str]
    dom: str  # document.documentElement.outerHTML at the end
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def unique(self) -> set[str]:
        return set(self.paths)


class Tracker:
    """Counts a page's requests in flight, all frames included."""

    def __init__(self, page: Any) -> None:
        self.inflight = 0
        self.last_change = time.monotonic()
        self.statuses: dict[str, int] = {}
        self.failed: list[str] = []
        page.on("request", self._start)
        page.on("requestfinished", self._finish)
        page.on("requestfailed", self._fail)
        page.on("response", self._response)

    def _start(self, request: Any) -> None:
        self.inflight += 1
        self.last_change = time.monotonic()

    def _finish(self, request: Any) -> None:
        self.inflight -= 1
        self.last_change = time.monotonic()

    def _fail(self, request: Any) -> None:
        self.failed.append(request.url)
        self._finish(request)

    def _response(self, response: Any) -> None:
        self.statuses[response.url] = response.status

    def wait_quiet(self, page: Any, quiet_ms: int = QUIET_MS, limit_s: float = 20) -> None:
        end = time.monotonic() + limit_s
        while time.monotonic() < end:
            page.wait_for_timeout(50)
            idle_for = (time.monotonic() - self.last_change) * 1000
            if self.inflight <= 0 and idle_for >= quiet_ms:
                return
        raise TimeoutError("the network never went quiet")


FACTS_JS = """() => ({
  scrollHeight: document.documentElement.scrollHeight,
  scrollY: window.scrollY,
  title: document.title,
  fontLoaded: [...document.fonts].some(f => f.family.replace(/"/g, '') === 'KN Headline'
                                            && f.status === 'loaded'),
  banner: (() => { const i = document.querySelector('img.kn-appeal-banner');
                   return i ? {src: i.getAttribute('src'), complete: i.complete,
                               width: i.naturalWidth} : null; })(),
  iframes: [...document.querySelectorAll('iframe')].map(f => f.getAttribute('src')),
  comments: document.querySelectorAll('#kn-comment-list li.comment').length,
  liveItems: document.querySelectorAll('#kn-live-updates .kn-live-item').length,
  liveComplete: (document.getElementById('kn-live-updates') || {}).dataset?.complete || null,
  appTitle: (document.querySelector('#kn-app-article h1.entry-title') || {}).textContent || null,
  appParagraphs: [...document.querySelectorAll('#kn-app-article .entry-content > p')]
                   .map(p => p.textContent),
  appTimes: [...document.querySelectorAll('#kn-app-article time[datetime]')]
              .map(t => t.getAttribute('datetime')),
  appByline: (document.querySelector('#kn-app-article .byline') || {}).textContent || null,
  jsonld: [...document.querySelectorAll('script[type="application/ld+json"]')]
            .map(s => { try { const d = JSON.parse(s.textContent);
                              return d['@type'] || (d['@graph'] || []).map(n => n['@type']); }
                        catch (e) { return 'invalid'; } }),
  lazyImages: [...document.querySelectorAll('.entry-content figure img')].map(i => ({
      src: i.currentSrc || i.getAttribute('src'), top: Math.round(i.getBoundingClientRect().top
      + window.scrollY), loading: i.getAttribute('loading'), complete: i.complete,
      width: i.naturalWidth })),
})"""


def visit(browser: Any, site: SiteServer, path: str, *, scroll: bool) -> Visit:
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    tracker = Tracker(page)
    before = len(site.requests())
    page.goto(site.url(path), wait_until="load")
    tracker.wait_quiet(page)
    if scroll:
        steps = 0
        while steps < 200:
            at_bottom = page.evaluate(
                "window.scrollY + window.innerHeight >= document.documentElement.scrollHeight - 2"
            )
            if at_bottom:
                height = page.evaluate("document.documentElement.scrollHeight")
                tracker.wait_quiet(page)
                if page.evaluate("document.documentElement.scrollHeight") == height:
                    break  # at the bottom and nothing more came
            else:
                page.evaluate("window.scrollBy(0, window.innerHeight)")
                page.wait_for_timeout(STEP_PAUSE_MS)
                steps += 1
        tracker.wait_quiet(page)
    facts = page.evaluate(FACTS_JS)
    dom = page.evaluate("document.documentElement.outerHTML")
    context.close()
    time.sleep(0.2)  # let the server log the last requests of a closing page
    paths = [p for _, p, _ in site.requests()[before:]]
    return Visit(paths, dict(tracker.statuses), tracker.failed, dom, facts)


# -- what a static parser finds --------------------------------------------------------------


def static_urls(site: SiteServer, path: str) -> set[str]:
    """The page plus everything html_links/css_links find in it, through CSS and frames."""
    found: set[str] = set()
    queue = [site.url(path)]
    while queue:
        url = queue.pop()
        parts = urlsplit(url)
        if f"{parts.scheme}://{parts.netloc}" != site.origin:
            continue
        local = parts.path + (f"?{parts.query}" if parts.query else "")
        if local in found:
            continue
        found.add(local)
        file = site.resolve(parts.path)
        if file is None:
            continue
        if file.suffix == ".html":
            links = html_links(site.render(file), url)
            queue += [u for u, _ in links.requisites + links.frames]
        elif file.suffix == ".css":
            queue += [u for u, _ in css_links(site.render(file).decode("utf-8"), url)]
    return found


# -- the checks ------------------------------------------------------------------------------


@dataclass
class Expect:
    """A resource a page must load: a label, a path test, and whether it is lazy."""

    label: str
    match: Callable[[str], bool]
    lazy: bool  # must NOT be fetched without scrolling
    static: bool | None = False  # found by the static parser? None: not checked


def is_path(*paths: str) -> Callable[[str], bool]:
    wanted = set(paths)
    return lambda p: urlsplit(p).path in wanted


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def say(self, text: str = "") -> None:
        self.lines.append(text)

    def check(self, ok: bool, what: str) -> None:
        self.say(f"  [{'ok' if ok else 'FAIL'}] {what}")
        if not ok:
            self.failures.append(what)


def expectations(plan: live_pages.Plan) -> dict[str, tuple[str, list[Expect]]]:
    lazy, blog, app = plan.lazy, plan.blog, plan.app
    images = dict((kind, img) for kind, img in live_pages.body_images(lazy))
    video_id, (_, poster) = next(iter(live_pages.VIDEOS.items()))
    theme = live_pages.THEME
    rocket = images["wp-rocket"]
    first, *older = [u for u in plan.updates]
    app_images = live_pages.body_images(app)
    app_author = app.authors[0]
    app_json = json.loads(
        (live_pages.SITE_ROOT / live_pages.REST.strip("/") / f"posts/{app.post_id}.json").read_text(
            encoding="utf-8"
        )
    )
    return {
        lazy.path: (
            "lazy media",
            [
                Expect(
                    "lazysizes <img data-src> (IntersectionObserver)",
                    is_path(images["lazysizes"].url),
                    lazy=True,
                    static=True,
                ),
                Expect(
                    "WP Rocket <img data-lazy-src/srcset> (640w chosen)",
                    is_path(rocket.url, rocket.half[0]),
                    lazy=True,
                ),
                Expect(
                    "jQuery Lazy Load <img data-original>",
                    is_path(images["jquery-lazyload"].url),
                    lazy=True,
                ),
                Expect(
                    "native <img loading=lazy> far down",
                    is_path(images["native-lazy"].url),
                    lazy=True,
                    static=True,
                ),
                Expect("banner <img> added after load", is_path(live_pages.BANNER), lazy=False),
                Expect(
                    "style sheet injected after load",
                    is_path(f"{theme}/css/live-fonts.css"),
                    lazy=False,
                ),
                Expect("WOFF2 web font (from that sheet)", is_path(live_pages.FONT), lazy=False),
                Expect(
                    "comments JSON (fetch)",
                    is_path(f"{live_pages.REST}comments/{lazy.post_id}.json"),
                    lazy=False,
                ),
                Expect(
                    "comment avatars (from the JSON, lazy)",
                    is_path(f"{theme}/images/avatar-default.png"),
                    lazy=True,
                ),
                Expect(
                    "video <iframe> inserted by script",
                    is_path(f"/embed/video/{video_id}/"),
                    lazy=False,
                ),
                Expect("  embed: poster image", is_path(poster), lazy=False),
                Expect(
                    "  embed: style sheet", is_path(f"{theme}/css/embed-player.css"), lazy=False
                ),
                Expect("  embed: script", is_path(f"{theme}/js/embed-player.js"), lazy=False),
            ],
        ),
        blog.path: (
            "load more on scroll",
            [
                Expect(
                    "newest update image (in the HTML)",
                    is_path(first.image.url),
                    lazy=False,
                    static=True,
                ),
                Expect(
                    "page-2.json (XMLHttpRequest)",
                    is_path(f"{live_pages.REST}live/{blog.slug}/page-2.json"),
                    lazy=True,
                ),
                Expect(
                    "page-3.json (XMLHttpRequest)",
                    is_path(f"{live_pages.REST}live/{blog.slug}/page-3.json"),
                    lazy=True,
                ),
                *(
                    Expect(
                        f"update {u.number} image (from page-{2 + i // 4}.json)",
                        is_path(u.image.url),
                        lazy=True,
                    )
                    for i, u in enumerate(older[live_pages.PER_PAGE - 1 :])
                ),
            ],
        ),
        app.path: (
            "script-rendered article",
            [
                Expect(
                    "post JSON (fetch)",
                    is_path(f"{live_pages.REST}posts/{app.post_id}.json"),
                    lazy=False,
                ),
                Expect(
                    "featured image (from the JSON)",
                    is_path(f"{live_pages.UPLOADS}{app.featured.stem}.jpg"),
                    lazy=False,
                ),
                Expect("author avatar (from the JSON)", is_path(app_author.avatar), lazy=False),
                Expect(
                    "inline image in the content (JSON, data-src)",
                    is_path(app_images[0][1].url),
                    lazy=True,
                ),
                *(
                    Expect(
                        f"related post {i + 1} thumbnail (JSON, data-src)",
                        is_path(r["img"]["src"]),
                        lazy=True,
                    )
                    for i, r in enumerate(app_json["jetpack-related-posts"])
                ),
            ],
        ),
    }


def text_of(markup: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", markup))


def dom_checks(report: Report, plan: live_pages.Plan, path: str, raw: str, end: Visit) -> None:
    facts = end.facts
    if path == plan.lazy.path:
        marker = next(c.text for c in plan.lazy.comments if "KN-JSON-COMMENT" in c.text)
        token = re.search(r"KN-JSON-COMMENT-\d+", marker).group(0)
        report.check(
            token in end.dom and token not in raw,
            f"comment text from the JSON ({token}) in the DOM, not in the raw HTML",
        )
        report.check(
            facts["comments"] == len(plan.lazy.comments), f"{facts['comments']} comments rendered"
        )
        banner = facts["banner"]
        report.check(
            bool(banner)
            and banner["src"] == live_pages.BANNER
            and banner["width"] == 728
            and live_pages.BANNER not in raw,
            f"banner {live_pages.BANNER} in the DOM and loaded, not in the raw HTML",
        )
        report.check(bool(facts["fontLoaded"]), '"KN Headline" web font loaded (document.fonts)')
        report.check(bool(facts["iframes"]), f"iframe in the DOM: {facts['iframes']}")
        native = [i for i in facts["lazyImages"] if i["loading"] == "lazy"]
        top = native[-1]["top"] if native else 0
        report.check(
            top > 3 * VIEWPORT["height"],
            f"native lazy image {top}px down (> 3 viewports = {3 * VIEWPORT['height']})",
        )
    elif path == plan.blog.path:
        last = plan.updates[-1]
        last_text = text_of(live_pages.inline(last.paragraphs[0]))
        sentence = last_text.split(". ")[0] + "."
        report.check(
            sentence in text_of(end.dom) and sentence not in raw,
            f"last update's text in the DOM, not in the raw HTML: {sentence!r}",
        )
        report.check(
            facts["liveItems"] == len(plan.updates),
            f"{facts['liveItems']} updates in the list (of {len(plan.updates)})",
        )
        report.check(facts["liveComplete"] == "true", "the list says it is complete")
    elif path == plan.app.path:
        title = plan.app.title
        paragraphs = [b for b in plan.app.body if not b.startswith("[")]
        report.check(
            facts["appTitle"] == title and title not in raw,
            f"title rendered, not in the raw HTML: {title!r}",
        )
        shown = facts["appParagraphs"]
        report.check(
            shown == [text_of(live_pages.inline(p)) for p in paragraphs],
            f"{len(shown)} paragraphs rendered ({sum(len(p.split()) for p in shown)} words)",
        )
        leaked = [p[:40] for p in paragraphs if p[:60] in raw or html.escape(p[:60]) in raw]
        report.check(not leaked, "the raw HTML holds none of the paragraphs")
        report.check(
            facts["appTimes"] == [plan.app.published.isoformat(), plan.app.modified.isoformat()],
            f"<time datetime> published/updated: {facts['appTimes']}",
        )
        report.check(
            bool(facts["appByline"]) and plan.app.authors[0].name in facts["appByline"],
            f"byline: {facts['appByline']!r}",
        )
        report.check(
            facts["title"] == f"{title} - Karen News", f"document.title {facts['title']!r}"
        )
        report.check("NewsArticle" in json.dumps(facts["jsonld"]), "NewsArticle JSON-LD added")


def check_page(
    report: Report,
    browser: Any,
    site: SiteServer,
    plan: live_pages.Plan,
    path: str,
    label: str,
    expects: list[Expect],
    verbose: bool,
) -> dict[str, int]:
    raw = site.render(site.resolve(path)).decode("utf-8")
    static = static_urls(site, path)
    load = visit(browser, site, path, scroll=False)
    scrolled = visit(browser, site, path, scroll=True)
    a, b = load.unique, scrolled.unique
    report.say(f"== {label}: {path}")
    report.say(
        f"   distinct URLs: (c) static {len(static)}, (a) load {len(a)} ({len(load.paths)} "
        f"requests), (b) scrolled {len(b)} ({len(scrolled.paths)} requests)"
        f"  [page height {scrolled.facts['scrollHeight']}px, viewport "
        f"{VIEWPORT['width']}x{VIEWPORT['height']}]"
    )
    report.say(f"   {'resource':<52} {'static':>6} {'load':>5} {'scroll':>6}  url")
    for e in expects:
        hits = sorted({p for p in a | b | static if e.match(p)})
        in_c, in_a, in_b = (any(e.match(p) for p in s) for s in (static, a, b))
        mark = "  ".join("yes" if x else "-" for x in (in_c, in_a, in_b))
        report.say(
            f"   {e.label:<52} {'yes' if in_c else '-':>6} {'yes' if in_a else '-':>5} "
            f"{'yes' if in_b else '-':>6}  {', '.join(hits) or '(none)'}"
        )
        ok = in_b and (not e.lazy or not in_a) and (e.static is None or in_c == e.static)
        if not ok:
            report.failures.append(f"{path}: {e.label}: static/load/scroll = {mark}")
    only_browser = sorted(b - static)
    report.say(f"   browser-only (b - c): {len(only_browser)}")
    for p in only_browser:
        report.say(f"     {p}{'' if p in a else '   (after scrolling)'}")
    if verbose:
        report.say(f"   static only (c - b): {sorted(static - b)}")
    report.check(a < b, f"(b) is a strict superset of (a): {len(b - a)} more, {len(a - b)} missing")
    missing = sorted(p for p in a | b if site.resolve(urlsplit(p).path) is None)
    bad = sorted(f"{u} {s}" for v in (load, scrolled) for u, s in v.statuses.items() if s >= 400)
    failed = load.failed + scrolled.failed
    report.check(
        not missing and not bad and not failed,
        f"no 404 or failed request (missing {missing}, status {bad}, failed {failed})",
    )
    dom_checks(report, plan, path, raw, scrolled)
    report.say()
    return {
        "static": len(static),
        "load": len(a),
        "scrolled": len(b),
        "only_browser": len(only_browser),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", default="/usr/bin/chromium", help="browser executable")
    parser.add_argument("-v", "--verbose", action="store_true", help="also list static-only URLs")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="server delay per request, in seconds"
    )
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    plan = live_pages.plan()
    report = Report()
    summary = {}
    with SiteServer(latency=args.latency) as site, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        try:
            for path, (label, expects) in expectations(plan).items():
                summary[path] = check_page(
                    report, browser, site, plan, path, label, expects, args.verbose
                )
        finally:
            browser.close()
    print("\n".join(report.lines))
    print(f"{'page':<76} {'static':>6} {'load':>5} {'scroll':>6} {'browser-only':>12}")
    for path, n in summary.items():
        print(
            f"{path:<76} {n['static']:>6} {n['load']:>5} {n['scrolled']:>6} {n['only_browser']:>12}"
        )
    if report.failures:
        print(f"\n{len(report.failures)} check(s) failed:")
        for failure in report.failures:
            print(f"  - {failure}")
        return 1
    print("\nall checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
