"""Browser capture benchmark: ``archiver capture --browser`` against static capture, in one run.

What it does (``make bench``, or ``python benchmarks/browser/run.py``):

1. Generates the capture benchmark's news site (``benchmarks/capture/sitegen.py``: article
   pages with their own hero and inline images, a shared stylesheet, script, font and sprite)
   and serves it from a separate process (``benchmarks/capture/server.py``), once with 0 ms
   and once with 50 ms added before each response.
2. Captures the same list of article pages twice per latency, each run its own process and a
   fresh collection: static (``archiver capture -i URLS``) and browser
   (``archiver capture -i URLS --browser``, default 2 tabs), robots.txt ignored by both.
3. While a run lasts, samples its whole process tree every 0.25 s (archiver, Playwright's
   driver, every Chromium process): the sum of resident set sizes (RSS, which counts a page
   shared by several processes once in each) and the sum of proportional set sizes (PSS, which
   shares it out: what the tree really holds in memory).  The peaks, and the PSS at each
   quarter of the run (to show memory stays flat over a long run), are reported.
4. Reads every WARC back with warcio: a run is complete when every page and both of its images
   have a 200 response, and (browser) every page has a screenshot and a rendered DOM.
5. Prints the table and rewrites the ``browser`` section of docs/benchmarks.md (``--no-write``
   to skip).

Pages/min is the number of article pages divided by the wall time of the whole process
(start-up, Chromium's included, fetching, writing, and archiver's indexes).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CAPTURE = HERE.parent / "capture"
sys.path.insert(0, str(CAPTURE))
sys.path.insert(0, str(HERE.parent))

from sitegen import generate, page_paths  # noqa: E402

_spec = importlib.util.spec_from_file_location("capture_bench", CAPTURE / "run.py")
assert _spec is not None and _spec.loader is not None
capture_bench = importlib.util.module_from_spec(_spec)
sys.modules["capture_bench"] = capture_bench
_spec.loader.exec_module(capture_bench)

WORK = ROOT / "benchmarks" / "_work" / "browser"
DOC = ROOT / "docs" / "benchmarks.md"
PY = sys.executable
LATENCIES = (0.0, 0.05)
TARGET_PAGES_PER_MIN = 60.0
TARGET_MEMORY_MB = 1.5 * 1000  # "1.5 GB"


@dataclass
class Run:
    scenario: str
    mode: str
    pages: int
    wall: float
    rc: int
    peak_rss_mb: float
    peak_pss_mb: float
    quarters_pss_mb: list[float]
    processes: int
    complete: bool
    missing: list[str] = field(default_factory=list)
    summary: dict[str, object] = field(default_factory=dict)

    @property
    def per_min(self) -> float:
        return self.pages / self.wall * 60


class TreeSampler:
    """Samples the memory of a process and all its descendants until stopped."""

    def __init__(self, pid: int, interval: float = 0.25) -> None:
        self.root = psutil.Process(pid)
        self.interval = interval
        self.samples: list[tuple[float, float, float]] = []  # (t, rss MiB, pss MiB)
        self.most_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        t0 = time.monotonic()
        while not self._stop.is_set():
            rss = pss = 0
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for proc in procs:
                try:
                    info = proc.memory_full_info()
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    continue
                rss += info.rss
                pss += info.pss
            self.most_processes = max(self.most_processes, len(procs))
            self.samples.append((time.monotonic() - t0, rss / 2**20, pss / 2**20))
            self._stop.wait(self.interval)

    def quarters(self) -> list[float]:
        """Highest PSS in each quarter of the run."""
        if not self.samples:
            return []
        end = self.samples[-1][0] or 1.0
        out = []
        for k in range(4):
            part = [p for t, _r, p in self.samples if k * end / 4 <= t <= (k + 1) * end / 4]
            out.append(max(part) if part else 0.0)
        return out


def check(out: Path, pages: list[str], origin: str, browser: bool) -> tuple[bool, list[str]]:
    """Whether the collection holds every page and its images (and, browser, its evidence)."""
    from warcio.archiveiterator import ArchiveIterator

    ok: set[str] = set()
    evidence: set[str] = set()
    for path in sorted((out / "col" / "archive").glob("*.warc.gz")):
        with open(path, "rb") as fh:
            for rec in ArchiveIterator(fh):
                uri = rec.rec_headers.get_header("WARC-Target-URI") or ""
                if rec.rec_type in ("response", "revisit") and rec.http_headers is not None:
                    if rec.http_headers.get_statuscode() == "200":
                        ok.add(uri)
                elif rec.rec_type == "resource":
                    evidence.add(uri)
    wanted = set()
    for path in pages:
        url = origin + path
        number = path.rsplit("-", 1)[1].split(".")[0]
        wanted |= {url, f"{origin}/img/{number}-hero.jpg", f"{origin}/img/{number}-inline.jpg"}
        if browser:
            wanted |= {"urn:screenshot:" + url, "urn:dom:" + url}
    missing = sorted(wanted - ok - evidence)
    return not missing, missing[:10]


def run_one(mode: str, urls: Path, out: Path, pages: list[str], origin: str, scenario: str) -> Run:
    argv = [PY, "-m", "archiver", "capture", "-c", str(out / "col"), "-i", str(urls)]
    argv += ["--ignore-robots", "--json"] + (["--browser"] if mode == "browser" else [])
    os.sync()
    with open(out / "output.json", "wb") as stdout, open(out / "stderr.log", "wb") as stderr:
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdout=stdout, stderr=stderr)
        with TreeSampler(proc.pid) as sampler:
            rc = proc.wait()
        wall = time.monotonic() - t0
    complete, missing = check(out, pages, origin, mode == "browser")
    try:
        summary = json.loads((out / "output.json").read_text())
    except ValueError:
        summary = {}
    return Run(
        scenario=scenario,
        mode=mode,
        pages=len(pages),
        wall=wall,
        rc=rc,
        peak_rss_mb=max((r for _t, r, _p in sampler.samples), default=0.0),
        peak_pss_mb=max((p for _t, _r, p in sampler.samples), default=0.0),
        quarters_pss_mb=sampler.quarters(),
        processes=sampler.most_processes,
        complete=complete and rc == 0,
        missing=missing,
        summary=summary,
    )


def run_all(site: Path, count: int) -> list[Run]:
    pages = page_paths(count)
    runs = []
    for latency in LATENCIES:
        scenario = f"{latency * 1000:.0f} ms"
        server = capture_bench.Server(site, latency)
        try:
            urls = WORK / f"urls-{latency}.txt"
            urls.write_text("".join(server.origin + p + "\n" for p in pages))
            for mode in ("static", "browser"):
                out = capture_bench.fresh(WORK / f"{mode}-{latency}")
                run = run_one(mode, urls, out, pages, server.origin, scenario)
                print(
                    f"{scenario} {mode}: {run.per_min:.1f} pages/min, peak RSS sum "
                    f"{run.peak_rss_mb:.0f} MiB, PSS {run.peak_pss_mb:.0f} MiB, "
                    f"complete={run.complete} {run.missing}",
                    flush=True,
                )
                runs.append(run)
        finally:
            server.stop()
    return runs


def table(runs: list[Run]) -> list[str]:
    lines = [
        "| latency | mode | pages/min | wall s | peak RSS, summed (MiB) | peak PSS, summed (MiB) "
        "| PSS by quarter of the run (MiB) | processes | complete |",
        "|---|---|---:|---:|---:|---:|---|---:|---|",
    ]
    for r in runs:
        quarters = " / ".join(f"{q:.0f}" for q in r.quarters_pss_mb)
        lines.append(
            f"| {r.scenario} | {r.mode} | {r.per_min:.1f} | {r.wall:.1f} | {r.peak_rss_mb:.0f} "
            f"| {r.peak_pss_mb:.0f} | {quarters} | {r.processes} | "
            f"{'yes' if r.complete else 'NO: ' + ', '.join(r.missing[:3])} |"
        )
    return lines


def targets(runs: list[Run]) -> list[str]:
    browser = next((r for r in runs if r.mode == "browser" and r.scenario == "0 ms"), None)
    if browser is None:
        return ["- (no browser run at 0 ms)"]
    speed = browser.per_min >= TARGET_PAGES_PER_MIN
    peak = max(r.peak_pss_mb for r in runs if r.mode == "browser")
    peak_rss = max(r.peak_rss_mb for r in runs if r.mode == "browser")
    return [
        f"- At least {TARGET_PAGES_PER_MIN:.0f} pages/min at 0 ms with the default 2 tabs: "
        f"{browser.per_min:.1f} — {'met' if speed else 'NOT met'}.",
        f"- Memory of archiver and all its Chromium processes under 1.5 GB: peak PSS summed "
        f"{peak:.0f} MiB ({peak * 2**20 / 1e9:.2f} GB) — "
        f"{'met' if peak * 2**20 < 1.5e9 else 'NOT met'}; peak RSS summed {peak_rss:.0f} MiB "
        f"({peak_rss * 2**20 / 1e9:.2f} GB) — {'met' if peak_rss * 2**20 < 1.5e9 else 'NOT met'} "
        "(RSS counts each shared page once per process that maps it: Chromium's processes share "
        "most of their code, so the sum overstates what the tree holds).",
    ]


def report(runs: list[Run], stats: dict[str, int], count: int, started: str) -> str:
    from archiver import __version__

    browser = next((r for r in runs if r.mode == "browser"), None)
    chromium = ""
    if browser is not None and isinstance(browser.summary.get("browser"), dict):
        chromium = str(browser.summary["browser"].get("chromium", ""))  # type: ignore[union-attr]
    cmd = "python benchmarks/browser/run.py" + (f" --pages {count}" if count != 500 else "")
    return "\n".join(
        [
            "## Browser capture",
            "",
            f"Measured {started} by `{cmd}` (part of `make bench`) on {capture_bench.machine()}; "
            f"archiver {__version__} at commit {capture_bench.source_state()}; {chromium} "
            "(Debian's package), driven by Playwright.",
            "",
            f"Site: the capture benchmark's {stats['pages']} generated article pages (each with "
            "its own hero and inline image, sharing a stylesheet, script, web font, sprite and "
            "background), served from memory by `benchmarks/capture/server.py` in its own "
            "process. Each run is its own process writing a fresh collection:",
            "",
            "```",
            "python -m archiver capture -c OUT/col -i URLS --ignore-robots --json",
            "python -m archiver capture -c OUT/col -i URLS --ignore-robots --json --browser",
            "```",
            "",
            "Pages/min = article pages ÷ wall time of the whole process (Chromium's start "
            "included). Memory is sampled every 0.25 s over the whole process tree (archiver, "
            "Playwright's driver, every Chromium process): *RSS, summed* adds up resident set "
            "sizes, *PSS, summed* adds up proportional set sizes (a page shared by n processes "
            "counts 1/n in each: the memory the tree really holds). *Complete*: warcio reads "
            "back a 200 response for every page and both its images, and (browser) a "
            "screenshot and a rendered DOM for every page.",
            "",
            *table(runs),
            "",
            "Targets (issue 11):",
            "",
            *targets(runs),
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=500, help="article pages (default 500)")
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    args = parser.parse_args(argv)
    from archiver.capture.browser.chromium import find_chromium

    find_chromium()  # no Chromium: say so now (make installs it as root)
    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    t0 = time.monotonic()
    WORK.mkdir(parents=True, exist_ok=True)
    site = WORK / "site"
    if site.exists():
        shutil.rmtree(site)
    stats = generate(site, pages=args.pages)
    runs = run_all(site, args.pages)
    text = report(runs, stats, args.pages, started)
    print()
    print(text)
    print(f"\n(benchmark took {time.monotonic() - t0:.0f} s)")
    if not args.no_write:
        capture_bench.write_section(text, "browser")
        print(f"updated {DOC.relative_to(ROOT)}")
    return 0 if all(r.complete for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
