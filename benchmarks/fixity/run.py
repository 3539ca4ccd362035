"""Fixity benchmark: archiver verify / make_bag against bagit-python and an openssl floor.

Run with ``make bench`` (all benchmarks) or ``python benchmarks/fixity/run.py``.  Options:
``--rounds N`` (default 5), ``--small`` (a 256 MiB payload, for a quick look; figures from it are
never written to docs/benchmarks.md).

The payload is generated once under ``benchmarks/_work/fixity`` (git-ignored): 200 files of
10 MiB plus 2,000 files of 32-64 KiB (random bytes, fixed seed for the sizes), about 2.04 GiB,
laid out as a collection (``big/``, ``small/``).  All files are read once before timing so every
tool works from the page cache (24 GiB RAM here); the rounds interleave the tools so background
load hits them alike, and each tool's best round is reported next to its median.

Verify (the same bag, made by archiver):
  * archiver ``verify`` with 2 threads (SHA-512 lanes on where the CPU has AVX-512 or AVX2; the
    AVX2 kernel also forced), again with
    the lanes off (``ARCHIVER_SHA512_LANES=0``: hashlib only), and with 2 processes,
  * bagit-python ``Bag.validate(processes=2)``,
  * floor: ``openssl dgst -sha512`` then ``-sha256`` over the same payload files, split into
    2 size-balanced groups run as 2 processes at once.
make_bag (the same payload):
  * archiver ``make_bag`` (copy + hash in one read, 2 threads), with and without fsync, and
    with the lanes off,
  * bagit-python ``make_bag(processes=2, checksums=[sha512, sha256])`` on a fresh copy of the
    payload (it bags in place: it moves files and writes no payload bytes; the copy is untimed).
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import importlib
import io
import json
import mmap
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / "benchmarks" / "_work" / "fixity"
DOCS = ROOT / "docs" / "benchmarks.md"
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import bagit  # noqa: E402
from machine import cpu_model  # noqa: E402

from archiver.bag import make_bag  # noqa: E402
from archiver.collection import Collection  # noqa: E402
from archiver.fixity import verify  # noqa: E402
from archiver.lanes import describe, usable  # noqa: E402

ALGORITHMS = ("sha512", "sha256")
MiB = 1024 * 1024


def generate(root: Path, *, big: int, big_size: int, small: int) -> int:
    """Make the payload collection (once); returns its size in bytes."""
    marker = root / ".complete"
    if marker.exists():
        return int(marker.read_text())
    if root.exists():
        shutil.rmtree(root)
    col = Collection.create(root, name="bench", description="fixity benchmark payload")
    rng = random.Random(20261125)
    (root / "big").mkdir()
    (root / "small").mkdir()
    total = 0
    chunk = os.urandom(big_size)
    for i in range(big):
        # distinct content per file without paying for 2 GiB of urandom
        data = i.to_bytes(8, "big") + chunk[8:]
        (root / "big" / f"big-{i:03d}.bin").write_bytes(data)
        total += len(data)
    for i in range(small):
        data = os.urandom(rng.randint(32 * 1024, 64 * 1024))
        (root / "small" / f"small-{i:04d}.bin").write_bytes(data)
        total += len(data)
    total += (col.path / "collection.json").stat().st_size
    marker.write_text(str(total))
    return total


def generate_warcs(root: Path, *, files: int, records: int) -> tuple[int, int]:
    """A collection of gzip-per-record WARCs (half text, half random bodies, chunked); once."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    marker = root / ".complete"
    if marker.exists():
        size, count = marker.read_text().split()
        return int(size), int(count)
    if root.exists():
        shutil.rmtree(root)
    col = Collection.create(root, name="bench-warcs", description="WARC record benchmark")
    rng = random.Random(7)
    words = [bytes(rng.choice(b"abcdefghij klmnop") for _ in range(8)) for _ in range(500)]
    count = 0
    for f in range(files):
        with open(col.archive_dir / f"bench-{f:05d}.warc.gz", "wb") as out:
            writer = WARCWriter(out, gzip=True, warc_version="1.1")
            for r in range(records):
                if r % 2:
                    body = os.urandom(rng.randint(20_000, 200_000))
                else:
                    body = b" ".join(rng.choice(words) for _ in range(rng.randint(3000, 30000)))
                wire = (
                    b"".join(
                        b"%x\r\n" % len(body[i : i + 8192]) + body[i : i + 8192] + b"\r\n"
                        for i in range(0, len(body), 8192)
                    )
                    + b"0\r\n\r\n"
                )
                http = StatusAndHeaders(
                    "200 OK",
                    [("Content-Type", "text/html"), ("Transfer-Encoding", "chunked")],
                    protocol="HTTP/1.1",
                )
                rec = writer.create_warc_record(
                    f"https://news.example/{f}/{r}",
                    "response",
                    payload=io.BytesIO(wire),
                    length=len(wire),
                    http_headers=http,
                )
                writer.write_record(rec)
                count += 1
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    marker.write_text(f"{size} {count}")
    return size, count


def warm(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            with open(path, "rb") as fh:
                while fh.read(MiB):
                    pass


def balanced_groups(files: list[Path], groups: int) -> list[list[Path]]:
    """Split files into ``groups`` lists of about equal total size (largest first)."""
    out: list[list[Path]] = [[] for _ in range(groups)]
    sizes = [0] * groups
    for path in sorted(files, key=lambda p: -p.stat().st_size):
        i = sizes.index(min(sizes))
        out[i].append(path)
        sizes[i] += path.stat().st_size
    return out


def openssl_floor(root: Path, files: list[Path]) -> None:
    """Two openssl processes at a time, one per balanced half: sha512 pass, then sha256 pass."""
    groups = [[str(p.relative_to(root)) for p in g] for g in balanced_groups(files, 2)]
    for algo in ALGORITHMS:
        procs = [
            subprocess.Popen(
                ["openssl", "dgst", f"-{algo}", "-r", *group], cwd=root, stdout=subprocess.DEVNULL
            )
            for group in groups
        ]
        if any(proc.wait() != 0 for proc in procs):
            raise SystemExit("openssl dgst failed")


Timing = tuple[float, float]  # wall seconds, CPU seconds (this process, its threads, children)


def hashlib_floor(files: list[Path]) -> None:
    """What any Python verifier must at least do: read every payload file once and feed it to
    sha512 and sha256, two threads, largest files first, no bag logic at all."""

    def one(path: Path) -> None:
        a, b = hashlib.sha512(), hashlib.sha256()
        with open(path, "rb", buffering=0) as fh:
            while block := fh.read(256 * 1024):
                a.update(block)
                b.update(block)

    ordered = sorted(files, key=lambda p: -p.stat().st_size)
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(one, ordered))


def touch_new_memory(size: int) -> Timing:
    """Write one byte into each page of ``size`` bytes of fresh anonymous memory (mapped, never
    touched before), timing the writes only.  Each write makes the kernel find and clear a new
    page: a proxy for the new pages a copy of that many bytes must put into the page cache."""
    block = mmap.mmap(-1, size)
    try:
        pages = len(range(0, size, mmap.PAGESIZE))
        ones = b"\x01" * pages
        return timed(lambda: block.__setitem__(slice(None, None, mmap.PAGESIZE), ones))
    finally:
        block.close()


#: When this benchmark last deleted a tree (read by settle(), also across runs).
DELETED_STAMP = WORK / ".last-deletion"
#: ext4 without a journal skips inodes freed this many seconds ago (RECENTCY_MIN 60 +
#: RECENTCY_DIRTY 300 in fs/ext4/ialloc.c: the longer window applies as soon as the inode
#: table block is dirty, which it is while new files are created next to the freed ones).
RECENTLY_DELETED_S = 360


def remove(tree: Path) -> None:
    """Delete ``tree`` and note when, for settle()."""
    shutil.rmtree(tree)
    DELETED_STAMP.write_text(f"{time.time()}\n", encoding="utf-8")


def settle() -> None:
    """Write everything back and wait until no inode this benchmark freed counts as recent.

    This machine's ext4 has no journal, and ext4 then will not reuse an inode freed in the last
    360 s, scanning past each one when it creates a file (recently_deleted() under
    __ext4_new_inode in the kernel's profile), so a bag made within minutes of a deletion
    pays for it: up to 1.9 s of system time for 2,203 files in one-off tries (2026-11-25),
    and the first make_bag round after the verify bag was deleted was the slowest in every
    run until this wait.  A user bagging a collection pays nothing of it, and bagit-python,
    which renames the payload, creates no inode for it.
    """
    subprocess.run(["sync"], check=True)
    try:
        deleted = float(DELETED_STAMP.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    wait = deleted + RECENTLY_DELETED_S + 1 - time.time()
    if wait > 0:
        print(f"waiting {wait:.0f} s for the inodes freed by the last deletion to age")
        time.sleep(wait)


def create_empty_files(count: int, folder: Path) -> Timing:
    """Create ``count`` empty files in the new ``folder`` on the benchmark's file system, timing
    the creation only: what any copy of that many files pays before it writes a byte."""
    folder.mkdir()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL

    def create() -> None:
        for n in range(count):
            os.close(os.open(folder / f"f{n:05d}", flags, 0o644))

    return timed(create)


@contextlib.contextmanager
def switched(name: str, value: str) -> Iterator[None]:
    """The environment variable ``name`` set to ``value`` for the block."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            del os.environ[name]
        else:
            os.environ[name] = before


def lanes_off() -> contextlib.AbstractContextManager[None]:
    """archiver without its SHA-512 lanes: every digest from hashlib, one file per thread."""
    return switched("ARCHIVER_SHA512_LANES", "0")


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def timed(func: Callable[[], object]) -> Timing:
    cpu, start = _cpu(), time.perf_counter()
    func()
    return time.perf_counter() - start, _cpu() - cpu


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def make_bag_rounds(
    rounds: int,
    payload: Path,
    size: int,
    files: int,
    kept: Path,
    record: Callable[[str, Timing], None],
) -> None:
    """The make_bag rounds: archiver's variants, the machine rows, bagit-python on a copy."""
    variants: list[tuple[str, bool, str, str]] = [
        # (row, fsync, ARCHIVER_SHA512_LANES, ARCHIVER_DIRECT_IO)
        ("archiver make_bag (2 threads, fsync=False)", False, "1", "1"),
        ("archiver make_bag (2 threads, fsync=True)", True, "1", "1"),
        ("archiver make_bag, direct I/O off (page cache, fsync=False)", False, "1", "0"),
        ("archiver make_bag, lanes off (hashlib, fsync=False)", False, "0", "1"),
    ]
    for round_no in range(1, max(2, rounds - 2) + 1):
        print(f"make_bag round {round_no}")
        for n, (name, fsync, lanes_on, direct) in enumerate(variants):
            target = kept / f"archiver-{round_no}-{n}"
            job = functools.partial(make_bag, payload, target, workers=2, fsync=fsync)
            # as bagit-python's copy below: this machine pages out what was not read for 60 s
            warm(payload)
            lanes_switch = switched("ARCHIVER_SHA512_LANES", lanes_on)
            with lanes_switch, switched("ARCHIVER_DIRECT_IO", direct):
                record(name, timed(job))
            subprocess.run(["sync"], check=True)
        record("first touch of fresh memory, payload size", touch_new_memory(size))
        record(
            f"create {files} empty files (no data)",
            create_empty_files(files, kept / f"empty-files-{round_no}"),
        )
        copy = kept / f"bagit-copy-{round_no}"
        copy_seconds = timed(functools.partial(shutil.copytree, payload, copy))
        subprocess.run(["sync"], check=True)
        warm(copy)
        job = functools.partial(bagit.make_bag, str(copy), processes=2, checksums=list(ALGORITHMS))
        timing = timed(job)
        record("bagit-python make_bag (processes=2)", timing)
        record("shutil.copytree (the copy alone)", copy_seconds)
        # what a user who must keep the source untouched runs: copy, then bag the copy
        record(
            "copytree + bagit-python make_bag",
            (copy_seconds[0] + timing[0], copy_seconds[1] + timing[1]),
        )
        subprocess.run(["sync"], check=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--small", action="store_true", help="256 MiB payload; docs untouched")
    args = parser.parse_args(argv)
    if shutil.which("openssl") is None:
        subprocess.run(["apt-get", "install", "-y", "openssl"], check=True)

    big, small = (20, 200) if args.small else (200, 2000)
    payload = WORK / ("payload-small" if args.small else "payload")
    WORK.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    size = generate(payload, big=big, big_size=10 * MiB, small=small)
    files = sum(1 for p in payload.rglob("*") if p.is_file())
    prepared = time.perf_counter() - t0
    print(f"payload: {files} files, {size / 2**30:.2f} GiB ({prepared:.1f} s to prepare)")

    bag_dir = WORK / "bag"
    if bag_dir.exists():
        remove(bag_dir)
    make_bag(payload, bag_dir, workers=2, fsync=False)
    warm(bag_dir)
    bag_files = [p for p in (bag_dir / "data").rglob("*") if p.is_file()]

    results: dict[str, list[float]] = {}
    cpu_seconds: dict[str, list[float]] = {}

    def record(name: str, timing: Timing) -> None:
        seconds, cpu = timing
        results.setdefault(name, []).append(seconds)
        cpu_seconds.setdefault(name, []).append(cpu)
        mibs = size / MiB / seconds
        print(
            f"  {name:<44} {seconds:6.2f} s {mibs:6.0f} MiB/s cpu {cpu:6.2f} s (load {loadavg()})"
        )

    loads = [loadavg()]
    for round_no in range(1, args.rounds + 1):
        print(f"verify round {round_no}")

        def archiver_verify(pool: str = "thread") -> None:
            report = verify(bag_dir, workers=2, pool=pool, check_warcs=pool == "thread")  # type: ignore[arg-type]
            assert report.ok, [p.message for p in report.errors][:3]

        record("archiver verify (2 threads)", timed(archiver_verify))
        with kernel_used("avx2") as runs:
            if runs:
                record("archiver verify, AVX2 lanes", timed(archiver_verify))
        with lanes_off():
            record("archiver verify, lanes off (hashlib)", timed(archiver_verify))
        record(
            "bagit-python validate (processes=2)",
            timed(lambda: bagit.Bag(str(bag_dir)).validate(processes=2)),
        )
        record(
            "openssl dgst sha512+sha256 (2 processes)",
            timed(lambda: openssl_floor(bag_dir, bag_files)),
        )
        record("archiver verify (2 processes)", timed(lambda: archiver_verify("process")))
        record("hashlib read+sha512+sha256 (2 threads)", timed(lambda: hashlib_floor(bag_files)))

    # WARC record checks: what reading every record costs on top of the file digests
    warc_size, warc_records = generate_warcs(
        WORK / ("warcs-small" if args.small else "warcs"),
        files=4 if args.small else 24,
        records=40 if args.small else 100,
    )
    warc_bag = WORK / "warc-bag"
    if warc_bag.exists():
        remove(warc_bag)
    make_bag(WORK / ("warcs-small" if args.small else "warcs"), warc_bag, workers=2, fsync=False)
    warm(warc_bag)
    warc_results: dict[str, list[float]] = {}
    for round_no in range(1, args.rounds + 1):
        print(f"WARC bag round {round_no} ({warc_size / MiB:.0f} MiB, {warc_records} records)")
        for name, job in (
            ("archiver verify, records checked", functools.partial(verify, warc_bag, workers=2)),
            (
                "archiver verify --no-warc",
                functools.partial(verify, warc_bag, workers=2, check_warcs=False),
            ),
            (
                "bagit-python validate (processes=2)",
                functools.partial(bagit.Bag(str(warc_bag)).validate, processes=2),
            ),
        ):
            seconds, cpu = timed(job)
            warc_results.setdefault(name, []).append(seconds)
            print(f"  {name:<44} {seconds:6.2f} s cpu {cpu:6.2f} s (load {loadavg()})")

    # Nothing is deleted from here until the make_bag rounds end (about 5 x the payload per
    # round on disk, plus the bags above): see remove() and settle().
    kept = WORK / "make_bag-rounds"
    if kept.exists():
        remove(kept)
    settle()
    kept.mkdir()
    try:
        make_bag_rounds(args.rounds, payload, size, files, kept, record)
    finally:
        remove(kept)
        remove(bag_dir)
        remove(warc_bag)
    loads.append(loadavg())

    kernel = kernel_speed(args.rounds)
    best = {name: min(v) for name, v in results.items()}
    median = {name: statistics.median(v) for name, v in results.items()}
    archiver_verify_s = best["archiver verify (2 threads)"]
    # (label, slower tool, archiver run, target)
    comparisons = [
        ("verify: archiver vs bagit-python", "bagit-python validate (processes=2)",
         "archiver verify (2 threads)", ">= 2x"),
        ("verify: archiver vs openssl floor", "openssl dgst sha512+sha256 (2 processes)",
         "archiver verify (2 threads)", ">= 0.8x"),
        ("verify: archiver with AVX2 lanes vs bagit-python", "bagit-python validate (processes=2)",
         "archiver verify, AVX2 lanes", "-"),
        ("verify: archiver with lanes off vs bagit-python", "bagit-python validate (processes=2)",
         "archiver verify, lanes off (hashlib)", "-"),
        ("verify: hashlib floor (no checks) vs bagit-python",
         "bagit-python validate (processes=2)", "hashlib read+sha512+sha256 (2 threads)", "-"),
        ("make_bag (fsync=False): archiver vs bagit-python", "bagit-python make_bag (processes=2)",
         "archiver make_bag (2 threads, fsync=False)", ">= 2x"),
        ("make_bag (fsync=False), direct I/O off: archiver vs bagit-python",
         "bagit-python make_bag (processes=2)",
         "archiver make_bag, direct I/O off (page cache, fsync=False)", "-"),
        ("make_bag (fsync=False), lanes off: archiver vs bagit-python",
         "bagit-python make_bag (processes=2)",
         "archiver make_bag, lanes off (hashlib, fsync=False)", "-"),
        ("make_bag (fsync=True, the default): archiver vs bagit-python",
         "bagit-python make_bag (processes=2)", "archiver make_bag (2 threads, fsync=True)", "-"),
        ("make_bag (fsync=False): archiver vs copytree + bagit-python",
         "copytree + bagit-python make_bag", "archiver make_bag (2 threads, fsync=False)", "-"),
    ]  # fmt: skip
    ratios = {
        label: best[other] / best[ours]
        for label, other, ours, _ in comparisons
        if other in best and ours in best  # rows this machine cannot run are left out
    }
    targets = {label: target for label, _, _, target in comparisons}
    for label, ratio in ratios.items():
        print(f"{label}: {ratio:.2f}x")
    assert archiver_verify_s > 0
    (WORK / "results.json").write_text(
        json.dumps({"best": best, "median": median, "ratios": ratios}, indent=2)
    )
    if not args.small:
        cpu = {name: min(v) for name, v in cpu_seconds.items()}
        warc_best = {name: min(v) for name, v in warc_results.items()}
        write_docs(size, files, args.rounds, best, median, cpu, ratios, targets, loads)
        write_warc_docs(warc_size, warc_records, warc_best)
        write_kernel_docs(kernel)
    return 0


def _machine() -> str:
    cpu = cpu_model()
    openssl = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout
    openssl = openssl.split("(")[0].strip()
    return (
        f"{platform.machine()}, {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}, {openssl}, bagit-python {bagit.VERSION}, "
        f"digests: {describe(ALGORITHMS)}"
    )


def write_docs(
    size: int,
    files: int,
    rounds: int,
    best: dict[str, float],
    median: dict[str, float],
    cpu: dict[str, float],
    ratios: dict[str, float],
    targets: dict[str, str],
    loads: list[str],
) -> None:
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## Fixity",
        "",
        f"Measured {when} with `python benchmarks/fixity/run.py` (what `make bench` runs) on "
        f"{_machine()}.  Load average before / after: {loads[0]} / {loads[-1]} (the machine is "
        "shared with other work; the rounds interleave the tools so they meet the same load).",
        "",
        f"Payload: {files} files, {size / 2**30:.2f} GiB (200 x 10 MiB + 2,000 x 32-64 KiB), "
        f"digests sha512 + sha256, all files in the page cache.  Best of {rounds} rounds "
        f"(verify) and of {max(2, rounds - 2)} rounds (make_bag), with the median; MiB/s is "
        "payload size / best time.  "
        "CPU s is user + system time of the process, its threads and its child processes (the "
        "least over the rounds): unlike wall time it hardly depends on what else the machine runs.",
        "",
        "| run | best s | median s | MiB/s | CPU s (least) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in best:
        # the first-touch and create rows move no payload bytes: no rate for them
        moved = not name.startswith(("first touch", "create"))
        mibs = f"{size / MiB / best[name]:.0f}" if moved else "-"
        lines.append(
            f"| {name} | {best[name]:.2f} | {median[name]:.2f} | {mibs} | {cpu[name]:.2f} |"
        )
    lines += ["", "| ratio (best times) | measured | target |", "|---|---:|---:|"]
    lines += [f"| {label} | {ratio:.2f}x | {targets[label]} |" for label, ratio in ratios.items()]
    lines += [
        "",
        "Notes: the payload holds no WARC files, so verify's record checks do no work here.  "
        "bagit-python make_bag moves the payload into data/ (it writes no payload bytes) while "
        "archiver copies it and leaves the source untouched.  archiver writes files of 1 MiB "
        "or more with O_DIRECT (archiver.directio): their bytes go from a few reused buffers "
        "to the disk, not into new page-cache pages; the direct-I/O-off row writes every file "
        "through the page cache, as the copytree row does.  With fsync=True (the default) "
        "archiver also waits until the copy is on the disk.  On this virtual machine new "
        "page-cache pages are costly, and how costly varies from run to run: the first-touch "
        "row writes one byte into each page of as much fresh anonymous memory as the payload "
        "(no file at all), a proxy for the pages a page-cache copy needs.  The create row makes "
        "as many empty files as the payload has, in one new folder.  In the make_bag rounds each "
        "tool's input is read just before it is timed: this machine pages out (DAMON) what was "
        "not read for about 60 s.  Nothing made in the "
        "make_bag rounds is deleted before they end: this file system has no journal, and ext4 "
        "then skips, one by one, every inode freed in the last 360 s when it creates a file; the "
        "rounds start once the benchmark's last deletion is that old.  "
        "so a bag made just after another was deleted would pay for that deletion.  "
        "The hashlib row is no verifier: it only reads every payload file once and hashes it "
        "with both algorithms on two threads, the least work a verifier built on hashlib (as "
        "bagit-python and archiver with its lanes off are) must do.  archiver's SHA-512 lanes "
        "(archiver.lanes: four files hashed at once in one 256-bit register, AVX-512 or AVX2, "
        "docs/fixity.md) "
        "hash SHA-512 faster than hashlib and openssl do one file at a time"
        + (
            ", which is how verify gets below both floors"
            if usable(ALGORITHMS)
            else " (not used in this run)"
        )
        + "; the lanes-off rows show archiver without them.",
    ]
    text = DOCS.read_text(encoding="utf-8")
    begin, end = "<!-- BEGIN fixity -->", "<!-- END fixity -->"
    start, stop = text.index(begin) + len(begin), text.index(end)
    DOCS.write_text(text[:start] + "\n" + "\n".join(lines) + "\n" + text[stop:], encoding="utf-8")
    print(f"wrote the fixity section of {DOCS}")


def _kernel_module() -> Any:
    with contextlib.suppress(ImportError):
        module = importlib.import_module("archiver._sha512x4")
        if module.AVAILABLE:
            return module
    return None


@contextlib.contextmanager
def kernel_used(name: str) -> Iterator[bool]:
    """Run with the lanes kernel ``name`` ("avx512", "avx2"); yields False if it cannot run."""
    module = _kernel_module()
    if module is None:
        yield False
        return
    best = module.KERNEL
    try:
        module.select(name)
    except ValueError:
        yield False
        return
    try:
        yield True
    finally:
        module.select(best)


def kernel_speed(rounds: int) -> dict[str, float]:
    """SHA-512 alone, in memory, one thread: four lanes against hashlib (MiB/s, best round)."""
    buffers = [random.Random(n).randbytes(MiB) for n in range(4)]
    repeat = 64  # 4 x 64 MiB per round
    speeds: dict[str, float] = {}

    def keep(name: str, rate: float) -> None:
        speeds[name] = max(rate, speeds.get(name, 0.0))

    module = _kernel_module()
    for _ in range(rounds):
        start = time.perf_counter()
        for buffer in buffers:
            h = hashlib.sha512()
            for _ in range(repeat):
                h.update(buffer)
        keep("hashlib sha512, one file at a time", 4 * repeat / (time.perf_counter() - start))
        for name, label in (("avx512", "AVX-512"), ("avx2", "AVX2")):
            with kernel_used(name) as runs:
                if not runs:
                    continue
                state = bytearray(module.STATE_BYTES)
                start = time.perf_counter()
                for _ in range(repeat):
                    module.compress(state, buffers)
                rate = 4 * repeat / (time.perf_counter() - start)
                keep(f"archiver SHA-512 lanes ({label}), four files at once", rate)
    for name, rate in speeds.items():
        print(f"  {name:<52} {rate:6.0f} MiB/s (one thread, in memory)")
    return speeds


def _append_to_fixity_section(lines: list[str]) -> None:
    """Add ``lines`` at the end of the fixity section of docs/benchmarks.md."""
    text = DOCS.read_text(encoding="utf-8")
    stop = text.index("<!-- END fixity -->")
    DOCS.write_text(text[:stop] + "\n".join(lines) + "\n" + text[stop:], encoding="utf-8")


def write_kernel_docs(speeds: dict[str, float]) -> None:
    """Append the SHA-512 kernel table to the fixity section."""
    lines = [
        "",
        "SHA-512 alone (same run): 4 x 64 MiB already in memory, one thread, best round; "
        "what the lanes gain before any file is read.",
        "",
        "| run | MiB/s |",
        "|---|---:|",
    ]
    lines += [f"| {name} | {rate:.0f} |" for name, rate in speeds.items()]
    _append_to_fixity_section(lines)


def write_warc_docs(size: int, records: int, best: dict[str, float]) -> None:
    """Append the WARC record-check table to the fixity section."""
    lines = [
        "",
        f"WARC record checks (same run): a bag of 24 WARC files, {size / MiB:.0f} MiB, {records} "
        "response records (gzip per record, chunked bodies, half text and half random bytes); "
        "best of the rounds.",
        "",
        "| run | best s | MiB/s |",
        "|---|---:|---:|",
    ]
    lines += [f"| {n} | {s:.2f} | {size / MiB / s:.0f} |" for n, s in best.items()]
    _append_to_fixity_section(lines)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
