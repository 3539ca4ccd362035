"""SHA-512 lanes (archiver.lanes, archiver._sha512x4) give hashlib's digests, copies and errors."""

from __future__ import annotations

import hashlib
import importlib
import os
import resource
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver import lanes
from archiver.bag import make_bag
from archiver.fixity import verify
from archiver.fixity.damage import flip_byte
from archiver.lanes import CHUNK, Job, LaneRun
from tests.bag.helpers import make_collection

pytestmark = pytest.mark.skipif(
    not lanes.usable(("sha512",)), reason="SHA-512 lanes need the extension and AVX-512 or AVX2"
)


def _kernels() -> list[str]:
    """The kernels this CPU runs (every test below runs once with each)."""
    if not lanes.usable(("sha512",)):
        return ["none"]
    found = []
    kernel = importlib.import_module("archiver._sha512x4")
    best = kernel.KERNEL
    for name in ("avx512", "avx2"):
        try:
            kernel.select(name)
        except ValueError:
            continue
        found.append(name)
    kernel.select(best)  # back to the one chosen at import
    return found or ["none"]


@pytest.fixture(autouse=True, params=_kernels())
def kernel(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test with one kernel, then go back to the fastest."""
    if request.param == "none":
        yield request.param
        return
    module = importlib.import_module("archiver._sha512x4")
    best = module.KERNEL
    module.select(request.param)
    assert request.param == module.KERNEL
    try:
        yield request.param
    finally:
        module.select(best)


@pytest.fixture
def all_in_lanes(monkeypatch: pytest.MonkeyPatch) -> None:
    """No file is hashed alone: small test sets would otherwise go to hashlib entirely."""
    monkeypatch.setattr(lanes, "_solo_jobs", lambda ordered, count: set())


# lengths around SHA-512's block (128), its padding limit (112) and the read size
EDGES = [0, 1, 111, 112, 113, 127, 128, 129, 239, 240, 255, 256, 1000]
EDGES += [CHUNK - 113, CHUNK - 1, CHUNK, CHUNK + 1, CHUNK + 112, 2 * CHUNK, 3 * CHUNK + 17]


def _files(folder: Path, sizes: list[int]) -> list[Job[int]]:
    jobs = []
    for n, size in enumerate(sizes):
        path = folder / f"f{n:03d}"
        path.write_bytes(os.urandom(size))
        jobs.append(Job(path, size, n))
    return jobs


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_digests_equal_hashlib_at_every_edge(tmp_path: Path, workers: int) -> None:
    jobs = _files(tmp_path, EDGES)
    seen = set()
    with LaneRun(jobs, ("sha512", "sha256", "md5"), workers=workers) as run:
        for job, result in run:
            data = job.source.read_bytes()
            assert result.error is None
            assert result.size == len(data)
            assert result.hexdigests == {
                "sha512": hashlib.sha512(data).hexdigest(),
                "sha256": hashlib.sha256(data).hexdigest(),
                "md5": hashlib.md5(data).hexdigest(),
            }
            seen.add(job.tag)
    assert seen == set(range(len(EDGES)))


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=3 * CHUNK), min_size=1, max_size=9))
def test_any_mix_of_lengths(tmp_path_factory: pytest.TempPathFactory, sizes: list[int]) -> None:
    jobs = _files(tmp_path_factory.mktemp("mix"), sizes)
    with LaneRun(jobs, ("sha512",), workers=2) as run:
        got = {job.tag: result.hexdigests["sha512"] for job, result in run}
    assert got == {job.tag: hashlib.sha512(job.source.read_bytes()).hexdigest() for job in jobs}


def test_copy_keeps_bytes_and_mtime_and_never_overwrites(
    tmp_path: Path, all_in_lanes: None
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "dst").mkdir()
    jobs = _files(tmp_path / "src", [5, CHUNK + 3, 70_000])
    os.utime(jobs[0].source, ns=(1_000_000_000, 1_500_000_000_000_000_000))
    (tmp_path / "dst" / "f002").write_bytes(b"already here")
    copies = [Job(j.source, j.size, j.tag, copy_to=tmp_path / "dst" / j.source.name) for j in jobs]
    with LaneRun(copies, ("sha512", "sha256"), workers=2) as run:
        results = {job.tag: result for job, result in run}
    for job in jobs[:2]:
        copy = tmp_path / "dst" / job.source.name
        assert copy.read_bytes() == job.source.read_bytes()
        assert results[job.tag].path == copy
        digest = hashlib.sha512(copy.read_bytes()).hexdigest()
        assert results[job.tag].hexdigests["sha512"] == digest
    assert (tmp_path / "dst" / "f000").stat().st_mtime_ns == 1_500_000_000_000_000_000
    assert results[2].error is not None and results[2].error.startswith("cannot copy")
    assert (tmp_path / "dst" / "f002").read_bytes() == b"already here"


def test_consumer_sees_every_byte_in_order(tmp_path: Path, all_in_lanes: None) -> None:
    jobs = _files(tmp_path, [3 * CHUNK + 5, 10, 0])
    seen: dict[int, bytearray] = {job.tag: bytearray() for job in jobs}
    fed = [Job(j.source, j.size, j.tag, consumer=seen[j.tag].extend) for j in jobs]
    with LaneRun(fed, ("sha512",), workers=1) as run:
        assert len(list(run)) == 3
    for job in jobs:
        assert bytes(seen[job.tag]) == job.source.read_bytes()


def test_unreadable_file_is_reported_and_the_rest_go_on(tmp_path: Path, all_in_lanes: None) -> None:
    jobs = _files(tmp_path, [100, 200, 300])
    jobs.insert(1, Job(tmp_path / "gone", 150, 99))
    with LaneRun(jobs, ("sha512",), workers=2) as run:
        results = {job.tag: result for job, result in run}
    assert results[99].error is not None and "cannot read" in results[99].error
    assert all(results[n].error is None for n in (0, 1, 2))


def test_a_consumer_that_raises_stops_the_run(tmp_path: Path) -> None:
    jobs = _files(tmp_path, [CHUNK * 2] * 6)

    def boom(data: bytes) -> None:
        raise RuntimeError("consumer broke")

    run = LaneRun([Job(j.source, j.size, j.tag, consumer=boom) for j in jobs], ("sha512",))
    with pytest.raises(RuntimeError, match="consumer broke"):
        list(run)
    run.close()


def test_files_too_large_to_share_lanes_are_hashed_alone(tmp_path: Path) -> None:
    jobs = [Job(tmp_path / str(n), size, n) for n, size in enumerate([10_000, 10, 10, 10])]
    assert lanes._solo_jobs(jobs, 4) == {id(jobs[0])}
    even = [Job(tmp_path / str(n), 100, n) for n in range(8)]
    assert lanes._solo_jobs(even, 8) == set()


def test_kernel_refuses_bad_arguments() -> None:
    kernel = importlib.import_module("archiver._sha512x4")
    state = bytearray(kernel.STATE_BYTES)
    with pytest.raises(ValueError, match="multiple of 128"):
        kernel.compress(state, [b"x" * 100, None, None, None])
    with pytest.raises(ValueError, match="4 items"):
        kernel.compress(state, [None])
    with pytest.raises(ValueError, match="state must be"):
        kernel.compress(bytearray(8), [None] * 4)
    with pytest.raises(ValueError, match="lane must be"):
        kernel.reset(state, 4)
    with pytest.raises(TypeError):
        kernel.compress(bytes(kernel.STATE_BYTES), [None] * 4)  # read-only state
    unaligned = memoryview(bytearray(kernel.STATE_BYTES + 1))[1:]
    with pytest.raises(ValueError, match="aligned"):
        kernel.compress(unaligned, [None] * 4)
    with pytest.raises(ValueError, match="no kernel is called 'neon'"):
        kernel.select("neon")


def test_switched_off_by_environment(monkeypatch: pytest.MonkeyPatch, kernel: str) -> None:
    monkeypatch.setenv("ARCHIVER_SHA512_LANES", "0")
    assert not lanes.usable(("sha512", "sha256"))
    assert "switched off" in lanes.describe(("sha512",))
    monkeypatch.setenv("ARCHIVER_SHA512_LANES", "1")
    assert lanes.usable(("sha512", "sha256"))
    assert lanes.describe(("sha512",)).startswith("SHA-512 lanes")
    assert {"avx512": "(AVX-512)", "avx2": "(AVX2)"}[kernel] in lanes.describe(("sha512",))
    assert not lanes.usable(("sha256", "md5"))
    assert "no SHA-512" in lanes.describe(("sha256",))


@pytest.mark.broken_warcs
@pytest.mark.parametrize("solo", [True, False], ids=["large-files-alone", "all-in-lanes"])
def test_bags_and_reports_are_the_same_either_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, solo: bool
) -> None:
    """make_bag and verify give the same manifests and the same findings with and without,
    whether the few large files of a small collection go to hashlib or all go to the lanes
    (then the WARC record checker reads its bytes from the lanes too)."""
    if not solo:
        monkeypatch.setattr(lanes, "_solo_jobs", lambda ordered, count: set())
    collection = make_collection(tmp_path / "col")
    outcomes = []
    for setting in ("1", "0"):
        monkeypatch.setenv("ARCHIVER_SHA512_LANES", setting)
        bag = make_bag(collection, tmp_path / f"bag-{setting}", fsync=False).path
        manifests = {p.name: p.read_bytes() for p in bag.glob("manifest-*.txt")}
        warc = next(bag.rglob("*.warc.gz"))
        flip_byte(warc, warc.stat().st_size // 2)
        report = verify(bag, workers=2)
        outcomes.append(
            (manifests, sorted((p.code, p.path, p.algorithm, p.actual) for p in report.errors))
        )
    assert outcomes[0] == outcomes[1]
    assert outcomes[0][1]  # the flipped byte was found


class _ShortReads:
    """A file whose reads return fewer bytes than asked (as pipes and some network file systems
    do), so a lane's tail carries over between rounds."""

    def __init__(self, path: Path, sizes: list[int]) -> None:
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115 - closed by close()
        self._sizes = sizes
        self._n = 0

    def read(self, size: int) -> bytes:
        self._n += 1
        return self._file.read(min(size, self._sizes[self._n % len(self._sizes)]))

    def fileno(self) -> int:
        return self._file.fileno()

    def close(self) -> None:
        self._file.close()


def test_short_reads_carry_the_tail_over(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, all_in_lanes: None
) -> None:
    jobs = _files(tmp_path, [CHUNK * 3 + 77, 1000, 129, CHUNK + 1])
    monkeypatch.setattr(
        lanes, "open", lambda path, *a, **k: _ShortReads(path, [1, 127, 5000, CHUNK]), raising=False
    )
    with LaneRun(jobs, ("sha512", "sha256"), workers=1) as run:
        got = {job.tag: result.hexdigests for job, result in run}
    for job in jobs:
        data = job.source.read_bytes()
        assert got[job.tag]["sha512"] == hashlib.sha512(data).hexdigest()
        assert got[job.tag]["sha256"] == hashlib.sha256(data).hexdigest()


def test_a_closed_run_cannot_be_iterated_again(tmp_path: Path, all_in_lanes: None) -> None:
    jobs = _files(tmp_path, [CHUNK * 4] * 8)
    slow = [Job(j.source, j.size, j.tag, consumer=lambda data: time.sleep(0.01)) for j in jobs]
    run = LaneRun(slow, ("sha512",), workers=1)  # 8 files x 4 blocks x 10 ms: still running
    next(iter(run))
    run.close()
    with pytest.raises(RuntimeError, match="closed"):
        list(run)


def test_a_failed_read_reports_the_bytes_read_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, all_in_lanes: None
) -> None:
    jobs = _files(tmp_path, [CHUNK * 3] * 4)  # equal sizes: all four share the lanes
    real = lanes._Lane.read

    def failing(self: lanes._Lane) -> object:
        if self.job.tag == 0 and self.size >= CHUNK:
            raise OSError(5, "Input/output error")
        return real(self)

    monkeypatch.setattr(lanes._Lane, "read", failing)
    with LaneRun(jobs, ("sha512",), workers=1) as run:
        results = {job.tag: result for job, result in run}
    assert results[0].error == "cannot read: Input/output error"
    assert results[0].size == CHUNK
    assert results[1].error is None


def test_switch_values(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only an empty value or a yes leaves the lanes on; anything else switches them off."""
    for value in ("OFF", "False", " no ", "n", "disable", "none"):
        monkeypatch.setenv("ARCHIVER_SHA512_LANES", value)
        assert not lanes.usable(("sha512",)), value
    for value in ("", "1", "YES", "on", "true"):
        monkeypatch.setenv("ARCHIVER_SHA512_LANES", value)
        assert lanes.usable(("sha512",)), value


def test_without_the_extension_everything_uses_hashlib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An install without a C compiler: no lanes, same bags, same reports."""
    monkeypatch.setattr(lanes, "_sha512x4", None)
    assert not lanes.usable(("sha512",))
    assert "not built" in lanes.describe(("sha512",))
    with pytest.raises(RuntimeError, match="not available"):
        LaneRun([], ("sha512",))
    bag = make_bag(make_collection(tmp_path / "col"), tmp_path / "bag", fsync=False).path
    assert verify(bag, workers=2).ok


def test_workers_are_capped_by_the_open_file_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resource, "getrlimit", lambda kind: (256, 4096))
    assert lanes._thread_cap(64, 4) == 8  # a quarter of 256, two files per lane, four lanes
    monkeypatch.setattr(resource, "getrlimit", lambda kind: (16, 4096))
    assert lanes._thread_cap(2, 4) == 1


def test_a_copy_job_cannot_have_a_consumer(tmp_path: Path) -> None:
    job = Job(tmp_path / "a", 1, 0, copy_to=tmp_path / "b", consumer=lambda data: None)
    with pytest.raises(ValueError, match="consumer"):
        LaneRun([job], ("sha512",))


def test_jobs_are_dealt_to_workers_by_bytes(tmp_path: Path) -> None:
    sizes = [300, 300, 300, 300, 300, 300] + [1] * 10
    jobs = [Job(tmp_path / str(n), size, n) for n, size in enumerate(sizes)]
    piles = lanes._deal(jobs, 2)
    assert [sum(job.size for job in pile) for pile in piles] == [905, 905]
    assert all(list(pile) == sorted(pile, key=lambda job: -job.size) for pile in piles)


def test_jobs_may_come_from_a_generator(tmp_path: Path) -> None:
    jobs = _files(tmp_path, [10, 20, 30])
    with LaneRun((job for job in jobs), ("sha512",), workers=2) as run:
        assert sorted(job.tag for job, _ in run) == [0, 1, 2]
