"""Capture benchmark: archiver against ``wget --warc-file --page-requisites``, in one run.

What it does (``make bench``, or ``python benchmarks/capture/run.py``):

1. Setup: installs ``wget`` and GNU ``time`` from Debian's packages if either is missing
   (``apt-get update && apt-get install -y wget time``; needs root).
2. Generates a news site of ``--pages`` article pages (default 500) with their requisites
   (see ``sitegen.py``) under ``benchmarks/_work/capture/site``.
3. Serves it from a separate process (``server.py``: asyncio, responses pre-built in memory,
   latency added with a non-blocking sleep), once with 0 ms and once with 50 ms added per
   response, and gives every tool the same URL list (the article pages, ``urls-*.txt``).
4. Runs each tool as its own process under ``/usr/bin/time`` (peak RSS is the kernel's
   high-water mark for that process): wget, archiver with ``--workers 8 --per-host 8`` and
   archiver with its default politeness (``--workers 8 --per-host 2``).  Robots are off for
   every run (``-e robots=off`` / ``--ignore-robots``); both write gzip WARCs.  Every WARC is
   then read back with warcio to check that it holds a 200 response for every page and
   requisite.  Runs at 0 ms are repeated (``--repeat``, default 5, order rotated); the
   fastest run of each tool is the headline, with the median and slowest beside it.
5. Serves one 1 GiB response generated on the fly and captures it with
   ``--max-response-size 2G``; reports peak RSS and throughput, then streams the WARC record
   back to check its length and payload digest (wget does the same download for reference).
6. Prints the table and rewrites the ``capture`` section of docs/benchmarks.md
   (``--no-write`` to skip).

Pages/s is the number of article pages divided by the wall time of the whole process
(start-up, fetching, writing, and for archiver its indexes), not a figure the tool reports.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from machine import cpu_model  # noqa: E402
from server import BLOCK, big_block  # noqa: E402
from sitegen import generate, page_paths  # noqa: E402

WORK = ROOT / "benchmarks" / "_work" / "capture"
DOC = ROOT / "docs" / "benchmarks.md"
TIME = "/usr/bin/time"
PY = sys.executable
BIG_SIZE = 1024**3
LATENCIES = (0.0, 0.05)


# -- setup -------------------------------------------------------------------------------------


def ensure_tools() -> None:
    """Install wget and GNU time from Debian's packages when missing."""
    missing = [] if shutil.which("wget") else ["wget"]
    if not Path(TIME).exists():
        missing.append("time")  # GNU time, for the peak RSS of each run
    if not missing:
        return
    if os.geteuid() != 0:
        sys.exit(f"missing {' '.join(missing)}: run `apt-get install -y {' '.join(missing)}`")
    print(f"installing {' '.join(missing)} from Debian packages", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)


def tool_version(cmd: list[str]) -> str:
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    return out.splitlines()[0].strip() if out else "?"


def source_state() -> str:
    """The commit measured, and whether src/ had uncommitted changes."""
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run([*git, "status", "--porcelain", "src"], capture_output=True, text=True)
    commit = head.stdout.strip() or "?"
    return commit + (" with uncommitted changes in src/" if dirty.stdout.strip() else "")


def machine() -> str:
    cpu = cpu_model()
    ram = psutil.virtual_memory().total / 1024**3
    return (
        f"{cpu}, {os.cpu_count()} cores, {ram:.0f} GiB RAM, Linux {platform.release()}, "
        f"Python {platform.python_version()}"
    )


# -- the server --------------------------------------------------------------------------------


class Server:
    """``server.py`` in its own process; ``cpu()`` is the CPU seconds it has used so far."""

    def __init__(self, root: Path, latency: float) -> None:
        self.proc = subprocess.Popen(
            [PY, str(HERE / "server.py"), str(root), "--latency", str(latency)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        self.ps = psutil.Process(self.proc.pid)
        self.origin = f"http://127.0.0.1:{self.port}"

    def cpu(self) -> float:
        t = self.ps.cpu_times()
        return float(t.user + t.system)

    def stats(self, *, reset: bool = False) -> dict[str, int]:
        url = self.origin + "/__stats__" + ("?reset=1" if reset else "")
        with urllib.request.urlopen(url, timeout=10) as resp:
            data: dict[str, int] = json.load(resp)
        return data

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


# -- running one tool --------------------------------------------------------------------------


@dataclass
class Run:
    scenario: str
    tool: str
    wall: float
    rss_mb: float
    cpu: float
    server_cpu: float
    requests: int
    warc_bytes: int
    responses: int
    complete: bool
    rc: int
    extra: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Tool:
    name: str
    label: str
    argv: list[str]


def tools(urls: Path, out: Path) -> list[Tool]:
    """The commands compared (``out`` is a fresh folder per run)."""
    wget = [
        "wget",
        "-i",
        str(urls),
        "--page-requisites",
        f"--warc-file={out}/wget",
        "--no-verbose",
        "-e",
        "robots=off",
        "-P",
        str(out / "files"),
    ]
    archiver = [PY, "-m", "archiver", "capture", "-c", str(out / "col"), "-i", str(urls)]
    return [
        Tool("wget", "wget", wget),
        Tool(
            "archiver-8",
            "archiver --workers 8 --per-host 8",
            [*archiver, "--workers", "8", "--per-host", "8", "--ignore-robots", "--json"],
        ),
        Tool(
            "archiver-default",
            "archiver (defaults: --workers 8 --per-host 2)",
            [*archiver, "--ignore-robots", "--json"],
        ),
    ]


def timed(argv: list[str], out: Path) -> tuple[float, float, float, int]:
    """Run ``argv``; return (wall seconds, peak RSS in MiB, CPU seconds, exit code)."""
    tfile = out / "time.txt"
    os.sync()  # start with no dirty pages left by the previous run to be written back
    with open(out / "output.log", "wb") as log:
        t0 = time.monotonic()
        rc = subprocess.call(
            [TIME, "-f", "%M %U %S", "-o", str(tfile), *argv], stdout=log, stderr=log
        )
        wall = time.monotonic() - t0
    fields = tfile.read_text().strip().splitlines()[-1].split()
    rss_kb, user, sys_ = int(fields[0]), float(fields[1]), float(fields[2])
    return wall, rss_kb / 1024, user + sys_, rc


def warc_files(out: Path) -> list[Path]:
    return sorted(out.glob("*.warc.gz")) + sorted((out / "col" / "archive").glob("*.warc.gz"))


def warc_responses(files: list[Path]) -> dict[str, int]:
    """URL → HTTP status of every response record (revisits count as captured)."""
    from warcio.archiveiterator import ArchiveIterator

    found: dict[str, int] = {}
    for path in files:
        with open(path, "rb") as fh:
            for rec in ArchiveIterator(fh):
                if rec.rec_type in ("response", "revisit") and rec.http_headers is not None:
                    url = rec.rec_headers.get_header("WARC-Target-URI")
                    found[url] = int(rec.http_headers.get_statuscode())
    return found


def run_tool(tool: Tool, server: Server, scenario: str, out: Path, expected: set[str]) -> Run:
    server.stats(reset=True)
    cpu0 = server.cpu()
    wall, rss, cpu, rc = timed(tool.argv, out)
    server_cpu = server.cpu() - cpu0
    served = server.stats()
    files = warc_files(out)
    responses = warc_responses(files)
    ok = {u for u, s in responses.items() if s == 200}
    return Run(
        scenario=scenario,
        tool=tool.label,
        wall=wall,
        rss_mb=rss,
        cpu=cpu,
        server_cpu=server_cpu,
        requests=served["requests"],
        warc_bytes=sum(p.stat().st_size for p in files),
        responses=len(responses),
        complete=expected <= ok,
        rc=rc,
        extra={"max_inflight": served["max_inflight"]},
    )


def fresh(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


# -- the 1 GiB response ------------------------------------------------------------------------


def expected_big_digest() -> str:
    h = hashlib.sha256()
    block = big_block()
    for _ in range(BIG_SIZE // BLOCK):
        h.update(block)
    return h.hexdigest()


def check_big_record(files: list[Path], url: str, digest: str) -> tuple[bool, str]:
    """Stream the response record of ``url``: payload length and SHA-256 must match."""
    from warcio.archiveiterator import ArchiveIterator

    for path in files:
        with open(path, "rb") as fh:
            for rec in ArchiveIterator(fh):
                if rec.rec_type != "response":
                    continue
                if rec.rec_headers.get_header("WARC-Target-URI") != url:
                    continue
                h = hashlib.sha256()
                n = 0
                stream = rec.raw_stream
                while True:
                    chunk = stream.read(BLOCK)
                    if not chunk:
                        break
                    n += len(chunk)
                    h.update(chunk)
                truncated = rec.rec_headers.get_header("WARC-Truncated")
                ok = n == BIG_SIZE and h.hexdigest() == digest and not truncated
                return ok, f"payload {n:,} bytes, sha256 {'matches' if ok else 'DIFFERS'}"
    return False, "no response record"


def run_big(site_root: Path) -> list[Run]:
    digest = expected_big_digest()
    server = Server(site_root, 0.0)
    runs = []
    try:
        url = f"{server.origin}/big/{BIG_SIZE}.bin"
        commands = [
            (
                "archiver",
                "archiver --max-response-size 2G",
                lambda out: [
                    *[PY, "-m", "archiver", "capture", "-c", str(out / "col"), url],
                    *["--max-response-size", "2G", "--ignore-robots", "--json"],
                ],
            ),
            (
                "wget",
                "wget (reference)",
                lambda out: [
                    *["wget", url, "--page-requisites", f"--warc-file={out}/wget"],
                    *["--no-verbose", "-e", "robots=off", "-P", str(out / "files")],
                ],
            ),
        ]
        for name, label, argv in commands:
            out = fresh(WORK / "runs" / f"big-{name}")
            server.stats(reset=True)
            cpu0 = server.cpu()
            print(f"  1 GiB response: {label} ...", flush=True)
            wall, rss, cpu, rc = timed(argv(out), out)
            server_cpu = server.cpu() - cpu0
            files = warc_files(out)
            ok, detail = check_big_record(files, url, digest)
            runs.append(
                Run(
                    scenario="1 GiB response",
                    tool=label,
                    wall=wall,
                    rss_mb=rss,
                    cpu=cpu,
                    server_cpu=server_cpu,
                    requests=server.stats()["requests"],
                    warc_bytes=sum(p.stat().st_size for p in files),
                    responses=1 if ok else 0,
                    complete=ok,
                    rc=rc,
                    extra={"detail": detail},
                )
            )
            print(f"    {wall:.1f} s, peak RSS {rss:.0f} MiB, {detail}", flush=True)
            shutil.rmtree(out)  # 2 GB of WARC and files: do not keep them around
    finally:
        server.stop()
    return runs


# -- the site runs -----------------------------------------------------------------------------


def run_site(site_root: Path, pages: int, repeat: int) -> list[Run]:
    runs: list[Run] = []
    for latency in LATENCIES:
        scenario = f"{latency * 1000:.0f} ms"
        server = Server(site_root, latency)
        try:
            urls = WORK / f"urls-{scenario.replace(' ', '')}.txt"
            urls.write_text("".join(f"{server.origin}{p}\n" for p in page_paths(pages)))
            expected = {
                server.origin + "/" + p.relative_to(site_root).as_posix()
                for p in site_root.rglob("*")
                if p.is_file() and p.name not in ("robots.txt", ".params.json")
            }
            rounds = repeat if latency == 0 else 1
            for r in range(rounds):
                order = tools(urls, Path("/unused"))
                order = order[r % len(order) :] + order[: r % len(order)]
                for proto in order:
                    out = fresh(WORK / "runs" / f"{proto.name}-{scenario.replace(' ', '')}")
                    tool = next(t for t in tools(urls, out) if t.name == proto.name)
                    print(f"  {scenario}: {tool.label} (round {r + 1}/{rounds}) ...", flush=True)
                    run = run_tool(tool, server, scenario, out, expected)
                    run.extra["pages_per_s"] = pages / run.wall
                    runs.append(run)
                    print(
                        f"    {pages / run.wall:.1f} pages/s, {run.wall:.2f} s, "
                        f"peak RSS {run.rss_mb:.0f} MiB, {run.requests} requests, "
                        f"complete={run.complete}, rc={run.rc}",
                        flush=True,
                    )
        finally:
            server.stop()
    return runs


# -- reporting ---------------------------------------------------------------------------------


@dataclass
class Row:
    scenario: str
    tool: str
    pages_s: float  # of the fastest run
    median_pages_s: float
    slowest_pages_s: float
    wall: float
    rss_mb: float
    cpu: float
    server_cpu_pct: float
    requests: int
    max_inflight: int
    warc_mb: float
    complete: bool
    n: int


def summarise(runs: list[Run], pages: int) -> list[Row]:
    rows = []
    seen: list[tuple[str, str]] = []
    for r in runs:
        if (r.scenario, r.tool) not in seen:
            seen.append((r.scenario, r.tool))
    for scenario, tool in seen:
        group = [r for r in runs if r.scenario == scenario and r.tool == tool]
        walls = sorted(r.wall for r in group)
        best = min(group, key=lambda r: r.wall)
        rows.append(
            Row(
                scenario=scenario,
                tool=tool,
                pages_s=pages / best.wall,
                median_pages_s=pages / statistics.median(walls),
                slowest_pages_s=pages / walls[-1],
                wall=best.wall,
                rss_mb=max(r.rss_mb for r in group),
                cpu=best.cpu,
                server_cpu_pct=100 * best.server_cpu / best.wall,
                requests=best.requests,
                max_inflight=max(int(str(r.extra.get("max_inflight", 0))) for r in group),
                warc_mb=best.warc_bytes / 1024**2,
                complete=all(r.complete and r.rc == 0 for r in group),
                n=len(group),
            )
        )
    return rows


def site_table(rows: list[Row]) -> list[str]:
    lines = [
        "| latency | tool and settings | pages/s: fastest run (median, slowest) | wall s "
        "| peak RSS MiB "
        "| tool CPU s | server CPU % | requests | max in flight | WARC MiB | complete |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        spread = f" ({r.median_pages_s:.0f}, {r.slowest_pages_s:.0f}; n={r.n})" if r.n > 1 else ""
        lines.append(
            f"| {r.scenario} | {r.tool} | **{r.pages_s:.1f}**{spread} | {r.wall:.2f} "
            f"| {r.rss_mb:.0f} | {r.cpu:.1f} | {r.server_cpu_pct:.0f} | {r.requests} "
            f"| {r.max_inflight} | {r.warc_mb:.1f} | {'yes' if r.complete else 'NO'} |"
        )
    return lines


def big_table(runs: list[Run]) -> list[str]:
    lines = [
        "| tool and settings | wall s | MiB/s | peak RSS MiB | tool CPU s | WARC MiB "
        "| record check |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        lines.append(
            f"| {r.tool} | {r.wall:.1f} | {BIG_SIZE / 1024**2 / r.wall:.0f} | "
            f"**{r.rss_mb:.0f}** | {r.cpu:.1f} | {r.warc_bytes / 1024**2:.0f} "
            f"| {r.extra.get('detail', '')} |"
        )
    return lines


def find(rows: list[Row], scenario: str, prefix: str) -> Row | None:
    return next((r for r in rows if r.scenario == scenario and r.tool.startswith(prefix)), None)


def targets(rows: list[Row], big: list[Run]) -> list[str]:
    out = []
    for scenario, factor in (("0 ms", 1.0), ("50 ms", 5.0)):
        wget = find(rows, scenario, "wget")
        for prefix in ("archiver --workers 8 --per-host 8", "archiver (defaults"):
            arch = find(rows, scenario, prefix)
            if wget is None or arch is None:
                continue
            ratio = arch.pages_s / wget.pages_s
            if scenario == "50 ms" and prefix.startswith("archiver (defaults"):
                # Politeness, not speed, bounds this row: 2 requests in flight per host and
                # ~3 requests per page make 2 / 0.05 / 3 = 13.3 pages/s the most any tool may
                # reach on this one-host site, 2x wget, which waits for each response.
                per_page = wget.requests / (wget.pages_s * wget.wall)
                bound = 2 / 0.05 / per_page
                out.append(
                    f"- {scenario}, {arch.tool}: {arch.pages_s:.1f} pages/s = {ratio:.2f}× "
                    f"wget's {wget.pages_s:.1f}; not a speed target: the default politeness "
                    f"(2 requests in flight per host) caps a one-host site at {bound:.1f} "
                    f"pages/s with 50 ms per response, 2× a tool that waits for each response"
                )
                continue
            met = ratio >= factor and arch.complete
            median = ""
            if arch.n > 1:
                median = (
                    f"; medians {arch.median_pages_s:.1f} vs {wget.median_pages_s:.1f} = "
                    f"{arch.median_pages_s / wget.median_pages_s:.2f}×"
                )
            out.append(
                f"- {scenario}, {arch.tool}: {arch.pages_s:.1f} pages/s = {ratio:.2f}× wget's "
                f"{wget.pages_s:.1f} (target ≥ {factor:g}×): **{'met' if met else 'NOT met'}**"
                f"{median}"
            )
    arch_big = next((r for r in big if r.tool.startswith("archiver")), None)
    if arch_big is not None:
        met = arch_big.rss_mb < 150 and arch_big.complete
        out.append(
            f"- 1 GiB response: archiver peak RSS {arch_big.rss_mb:.0f} MiB (target < 150 MB), "
            f"record complete: {'yes' if arch_big.complete else 'NO'}: "
            f"**{'met' if met else 'NOT met'}**"
        )
    return out


def report(
    rows: list[Row],
    big: list[Run],
    stats: dict[str, int],
    args: argparse.Namespace,
    started: str,
    loads: tuple[float, float],
) -> str:
    wget_v = tool_version(["wget", "--version"])
    source = source_state()
    from archiver import __version__

    cmd = "python benchmarks/capture/run.py" + (
        f" --pages {args.pages}" if args.pages != 500 else ""
    )
    per_page = (stats["bytes"] - stats["page_bytes"]) / 1024**2
    lines = [
        "## Capture",
        "",
        f"Measured {started} by `{cmd}` (part of `make bench`) on {machine()}; "
        f"{wget_v}; archiver {__version__} at commit {source}. One-minute load average "
        f"{loads[0]:.1f} at the start and {loads[1]:.1f} at the end (other work on the machine "
        "adds noise).",
        "",
        f"Site: {stats['pages']} generated article pages (HTML {stats['page_bytes'] / 1024**2:.1f}"
        f" MiB in all, about {stats['page_bytes'] / stats['pages'] / 1024:.0f} KiB each), each "
        "needing its own hero and inline JPEG (15–90 KB of random bytes, so nothing compresses "
        "or de-duplicates) plus six shared requisites (logo, stylesheet, script, and the "
        f"background image, icon sprite and web font named by `url()` in the stylesheet): "
        f"{stats['files'] - 1} files, {stats['bytes'] / 1024**2:.1f} MiB "
        f"({per_page:.1f} MiB of requisites). "
        "It is served from memory by `benchmarks/capture/server.py` in its own process "
        "(asyncio, keep-alive, `Content-Length`, never gzip, so both tools receive the same "
        "bytes); the added latency is a non-blocking sleep before each response. Both tools get "
        "the same list of the article URLs and fetch their requisites themselves; robots.txt "
        "is ignored by both; both write gzip WARCs (archiver also writes its catalog, CDXJ index "
        "and pages list; wget also saves every file to disk).",
        "",
        "Commands (`URLS` is the list of page URLs, `OUT` a fresh folder per run; each runs "
        "under `/usr/bin/time -f '%M %U %S'`, whose maximum resident set size is the peak RSS, "
        "and starts after a `sync`, so no run pays for writing back the previous one's files):",
        "",
        "```",
        "wget -i URLS --page-requisites --warc-file=OUT/wget --no-verbose -e robots=off "
        "-P OUT/files",
        "python -m archiver capture -c OUT/col -i URLS --workers 8 --per-host 8 "
        "--ignore-robots --json",
        "python -m archiver capture -c OUT/col -i URLS --ignore-robots --json"
        "      # defaults: --workers 8 --per-host 2",
        "python -m archiver capture -c OUT/col http://127.0.0.1:PORT/big/1073741824.bin "
        "--max-response-size 2G --ignore-robots --json",
        "```",
        "",
        "Pages/s = article pages ÷ wall time of the whole process (start-up and, for archiver, "
        f"writing its indexes included). Runs at 0 ms are repeated {args.repeat}× in rotated "
        "order; the fastest run of each tool is the headline (on this shared machine other work "
        "only ever slows a run down), with the median and the slowest beside it; runs at 50 ms "
        "once. Peak RSS is the highest of the runs; the other columns are of the fastest run. "
        "*Server CPU %* is "
        "the server process's CPU time over the run's wall time (100 % = one core busy): well "
        "under 100 % means the server was not what limited the tool. *Complete* means warcio "
        "read back a 200 response (or revisit) for every page and requisite and the tool exited "
        "with status 0. *Max in flight* is the most requests the server was answering at once "
        "(with no added latency each is answered as soon as it arrives, so it stays near 1).",
        "",
        *site_table(rows),
        "",
        "One 1 GiB response (a 1 MiB pseudo-random block repeated, generated by the server on the "
        "fly), captured at 0 ms; the record check streams the response record back through "
        "warcio and compares payload length and SHA-256 with the body the server sent:",
        "",
        *big_table(big),
        "",
        "Targets (issue 3):",
        "",
        *targets(rows, big),
    ]
    return "\n".join(lines)


def write_section(text: str, name: str = "capture") -> None:
    """Put ``text`` between the ``name`` markers of docs/benchmarks.md (added at the end the
    first time)."""
    doc = DOC.read_text(encoding="utf-8")
    pattern = re.compile(rf"(<!-- BEGIN {name} -->\n).*?(\n<!-- END {name} -->)", re.S)
    if pattern.search(doc):
        new = pattern.sub(lambda m: m.group(1) + text + m.group(2), doc)
    else:
        new = f"{doc.rstrip()}\n\n<!-- BEGIN {name} -->\n{text}\n<!-- END {name} -->\n"
    tmp = DOC.with_name(f"{DOC.name}.{name}.tmp")
    tmp.write_text(new, encoding="utf-8")
    os.replace(tmp, DOC)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=500, help="article pages (default 500)")
    parser.add_argument("--repeat", type=int, default=5, help="rounds at 0 ms (default 5)")
    parser.add_argument("--skip-big", action="store_true", help="skip the 1 GiB response")
    parser.add_argument("--skip-site", action="store_true", help="only the 1 GiB response")
    parser.add_argument("--no-write", action="store_true", help="do not update the docs")
    args = parser.parse_args(argv)

    started = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load_start = os.getloadavg()[0]
    t0 = time.monotonic()
    ensure_tools()
    WORK.mkdir(parents=True, exist_ok=True)
    site_root = WORK / "site"
    stats = generate(site_root, pages=args.pages)
    print(
        f"site: {stats['pages']} pages, {stats['files']} files, {stats['bytes'] / 1024**2:.1f} MiB",
        flush=True,
    )
    runs = [] if args.skip_site else run_site(site_root, args.pages, args.repeat)
    big = [] if args.skip_big else run_big(site_root)
    rows = summarise(runs, args.pages)
    text = report(rows, big, stats, args, started, (load_start, os.getloadavg()[0]))
    print()
    print(text)
    print(f"\n(benchmark took {time.monotonic() - t0:.0f} s)")
    if not args.no_write:
        write_section(text)
        print(f"updated {DOC.relative_to(ROOT)}")
    failed = [r for r in rows if not r.complete] + [r for r in big if not r.complete]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
