"""Large copies written around the page cache (archiver.directio) keep every byte, and fall back."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver import directio, lanes
from archiver.bag import make_bag
from archiver.directio import ALIGN, BUFFER, MIN_SIZE, NewFile
from archiver.hashing import copy_and_hash
from archiver.lanes import Job, LaneRun
from tests.bag.helpers import make_collection

SIZES = [0, 1, ALIGN - 1, ALIGN, ALIGN + 1, BUFFER - 1, BUFFER, BUFFER + 1, 3 * BUFFER + ALIGN + 7]


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(2) as executor:
        yield executor


def _direct_here(folder: Path) -> bool:
    probe = NewFile(folder / ".probe", size=MIN_SIZE)
    try:
        return probe.direct
    finally:
        probe.close()
        (folder / ".probe").unlink()


needs_direct = pytest.mark.skipif(
    not _direct_here(Path(tempfile.gettempdir())), reason="this file system refuses O_DIRECT"
)


def _copy(target: Path, data: bytes, *, pool: ThreadPoolExecutor | None = None) -> bool:
    """Write ``data`` to the new file ``target`` in one write; whether it went direct."""
    out = NewFile(target, size=len(data), pool=pool)
    try:
        out.write(data)
        out.finish()
    finally:
        out.close()
    return out.direct


def _pieces(data: bytes, cuts: list[int]) -> Iterator[bytes]:
    start = 0
    for cut in cuts:
        yield data[start : start + cut]
        start += cut
    yield data[start:]


@pytest.mark.parametrize("with_pool", [False, True])
@pytest.mark.parametrize("size", SIZES)
def test_write_keeps_every_byte(tmp_path: Path, size: int, with_pool: bool) -> None:
    data = os.urandom(size)
    executor = ThreadPoolExecutor(2) if with_pool else None
    out = NewFile(tmp_path / "copy", size=size, pool=executor)
    try:
        assert out.direct == (size >= MIN_SIZE and _direct_here(tmp_path))
        for piece in _pieces(data, [5, ALIGN, BUFFER - 3, 100_000]):
            out.write(piece)
        out.finish(fsync=True)
    finally:
        out.close()
        if executor is not None:
            executor.shutdown()
    assert (tmp_path / "copy").read_bytes() == data


@needs_direct
@settings(max_examples=25, deadline=None)
@given(size=st.integers(MIN_SIZE, 3 * BUFFER + 2 * ALIGN), step=st.integers(1, BUFFER))
def test_reading_into_space_keeps_every_byte(tmp_path_factory: Any, size: int, step: int) -> None:
    folder = tmp_path_factory.mktemp("space")
    data = os.urandom(size)
    with ThreadPoolExecutor(2) as executor:
        out = NewFile(folder / "copy", size=size, pool=executor)
        try:
            done = 0
            while done < size:
                room = out.space()
                count = min(step, len(room), size - done)
                room[:count] = data[done : done + count]
                room.release()
                out.filled(count)
                done += count
            out.finish()
        finally:
            out.close()
    assert (folder / "copy").read_bytes() == data


def test_the_target_must_be_new(tmp_path: Path) -> None:
    (tmp_path / "copy").write_bytes(b"keep me")
    with pytest.raises(FileExistsError):
        NewFile(tmp_path / "copy", size=MIN_SIZE)
    assert (tmp_path / "copy").read_bytes() == b"keep me"


def test_small_files_and_the_switch_go_through_the_page_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    small = NewFile(tmp_path / "small", size=MIN_SIZE - 1)
    small.close()
    assert not small.direct
    with pytest.raises(ValueError, match="only for files written directly"):
        small.space()
    monkeypatch.setenv("ARCHIVER_DIRECT_IO", "off")
    switched = NewFile(tmp_path / "switched", size=10 * MIN_SIZE)
    switched.close()
    assert not switched.direct
    monkeypatch.setenv("ARCHIVER_DIRECT_IO", "yes")
    assert directio.switched_on()


def test_a_file_system_without_o_direct_gets_page_cache_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = fcntl.fcntl

    def refuse(fd: int, cmd: int, arg: int = 0) -> int:
        if cmd == fcntl.F_SETFL and arg & os.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real(fd, cmd, arg)

    monkeypatch.setattr(directio.fcntl, "fcntl", refuse)
    data = os.urandom(2 * BUFFER + 3)
    assert not _copy(tmp_path / "copy", data)
    assert (tmp_path / "copy").read_bytes() == data


@needs_direct
def test_a_refused_direct_write_is_done_through_the_page_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pool: ThreadPoolExecutor
) -> None:
    real = os.pwrite
    refused = []

    def picky(fd: int, data: Any, offset: int) -> int:
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT:
            refused.append(offset)
            raise OSError(errno.EINVAL, "Invalid argument")
        return real(fd, data, offset)

    monkeypatch.setattr(directio.os, "pwrite", picky)
    data = os.urandom(3 * BUFFER + 5)
    _copy(tmp_path / "copy", data, pool=pool)
    assert refused and (tmp_path / "copy").read_bytes() == data


@needs_direct
def test_a_failed_write_in_the_pool_is_raised_and_close_still_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pool: ThreadPoolExecutor
) -> None:
    def full(fd: int, data: Any, offset: int) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(directio.os, "pwrite", full)
    out = NewFile(tmp_path / "copy", size=4 * BUFFER, pool=pool)
    with pytest.raises(OSError, match="No space left"):  # either call may raise
        out.write(bytes(3 * BUFFER))
        out.finish()
    out.close()
    out.close()  # twice is fine


def _big_tree(root: Path) -> dict[str, bytes]:
    files = {
        f"f{size}.bin": os.urandom(size)
        for size in (BUFFER - 1, BUFFER, BUFFER + ALIGN + 1, 3 * BUFFER + 77, 5 * BUFFER)
    }
    files["small.txt"] = b"small"
    root.mkdir()
    for name, data in files.items():
        (root / name).write_bytes(data)
        os.utime(root / name, ns=(1_000_000_000, 1_500_000_000_123))
    return files


@needs_direct
@pytest.mark.skipif(not lanes.usable(("sha512",)), reason="needs the SHA-512 lanes")
@pytest.mark.parametrize("refuse", [False, True])
def test_lane_copies_are_exact_with_direct_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, refuse: bool
) -> None:
    """Direct writes really happen (or, refused, fall back) and every copy is exact."""
    real = os.pwrite
    direct_writes = []

    def spy(fd: int, data: Any, offset: int) -> int:
        if fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_DIRECT:
            direct_writes.append(offset)
            if refuse and offset >= BUFFER:  # the device refuses from the second buffer on
                raise OSError(errno.EINVAL, "Invalid argument")
        return real(fd, data, offset)

    monkeypatch.setattr(directio.os, "pwrite", spy)
    files = _big_tree(tmp_path / "src")
    (tmp_path / "dst").mkdir()
    jobs = [
        Job(tmp_path / "src" / name, len(data), name, copy_to=tmp_path / "dst" / name)
        for name, data in files.items()
    ]
    with LaneRun(jobs, ("sha512", "sha256"), workers=2) as run:
        results = {job.tag: digests for job, digests in run}

    for name, data in files.items():
        copy = tmp_path / "dst" / name
        assert copy.read_bytes() == data
        assert copy.stat().st_mtime_ns == 1_500_000_000_123
        assert results[name].hexdigests["sha512"] == hashlib.sha512(data).hexdigest()
        assert results[name].hexdigests["sha256"] == hashlib.sha256(data).hexdigest()
    assert not [t for t in threading.enumerate() if t.name.startswith("archiver-write")]
    assert direct_writes


@needs_direct
@pytest.mark.skipif(not lanes.usable(("sha512",)), reason="needs the SHA-512 lanes")
def test_a_failed_direct_write_in_a_lane_is_a_copy_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = _big_tree(tmp_path / "src")
    (tmp_path / "dst").mkdir()

    def full(fd: int, data: Any, offset: int) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(directio.os, "pwrite", full)
    name = "f5242880.bin"
    jobs = [Job(tmp_path / "src" / name, len(files[name]), name, copy_to=tmp_path / "dst" / name)]
    jobs += [Job(tmp_path / "src" / n, len(files[n]), n) for n in files if n != name]
    with LaneRun(jobs, ("sha512",), workers=1) as run:
        errors = {job.tag: digests.error for job, digests in run}
    assert errors.pop(name) == "cannot copy: No space left on device"
    assert not any(errors.values())


def test_copy_and_hash_writes_large_files_directly(tmp_path: Path) -> None:
    data = os.urandom(2 * BUFFER + 9)
    (tmp_path / "src").write_bytes(data)
    result = copy_and_hash(tmp_path / "src", tmp_path / "dst", ["sha256"])
    assert (tmp_path / "dst").read_bytes() == data
    assert result.size == len(data)


@pytest.mark.parametrize("direct", ["1", "0"])
@pytest.mark.parametrize("lanes_on", ["1", "0"])
def test_bags_are_the_same_with_direct_writes_on_and_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, direct: str, lanes_on: str
) -> None:
    col = make_collection(tmp_path / "col")
    files = _big_tree(col.path / "big")
    monkeypatch.setenv("ARCHIVER_DIRECT_IO", direct)
    monkeypatch.setenv("ARCHIVER_SHA512_LANES", lanes_on)
    bag = make_bag(col, tmp_path / "bag", fsync=False, workers=2).path
    assert not [t for t in threading.enumerate() if t.name.startswith("archiver-write")]
    for name, data in files.items():
        assert (bag / "data" / col.path.name / "big" / name).read_bytes() == data
    reference = tmp_path / "reference"
    monkeypatch.setenv("ARCHIVER_DIRECT_IO", "0")
    monkeypatch.setenv("ARCHIVER_SHA512_LANES", "0")
    make_bag(col, reference, fsync=False, workers=1)
    for manifest in ("manifest-sha512.txt", "manifest-sha256.txt"):
        assert (bag / manifest).read_text() == (reference / manifest).read_text()


def test_without_o_direct_on_the_platform_files_go_through_the_page_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(directio, "_O_DIRECT", 0)  # as on macOS
    data = os.urandom(2 * BUFFER + 1)
    assert not _copy(tmp_path / "copy", data)
    assert (tmp_path / "copy").read_bytes() == data


def test_a_failed_open_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(fd: int, on: bool) -> bool:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(directio, "_set_direct", broken)
    with pytest.raises(OSError, match="Input/output error"):
        NewFile(tmp_path / "copy", size=MIN_SIZE)
    assert not (tmp_path / "copy").exists()


def test_forked_processes_do_not_share_buffers(tmp_path: Path) -> None:
    """Spare buffers made before a fork are never written by parent and child at once."""
    spare = NewFile(tmp_path / "warm", size=MIN_SIZE)  # leaves a buffer in the spare list
    spare.close()
    data = {who: os.urandom(BUFFER + ALIGN) for who in ("parent", "child")}
    for who, content in data.items():
        (tmp_path / who).write_bytes(content)

    def copies(who: str) -> bool:
        for n in range(10):
            target = tmp_path / f"{who}-{n}"
            copy_and_hash(tmp_path / who, target, ["sha256"])
            if target.read_bytes() != data[who]:
                return False
        return True

    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os._exit(0 if copies("child") else 1)
    parent_ok = copies("parent")
    _, status = os.waitpid(child, 0)
    assert parent_ok
    assert os.waitstatus_to_exitcode(status) == 0


def test_describe_says_how_copies_are_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = "with O_DIRECT" if _direct_here(tmp_path) else "this file system refuses"
    assert expected in directio.describe(tmp_path)
    monkeypatch.setattr(directio, "_set_direct", lambda fd, on: False)
    assert "this file system refuses O_DIRECT" in directio.describe(tmp_path)
    monkeypatch.setattr(directio, "_O_DIRECT", 0)
    assert "this platform has no O_DIRECT" in directio.describe(tmp_path)
    monkeypatch.setenv("ARCHIVER_DIRECT_IO", "0")
    assert "ARCHIVER_DIRECT_IO" in directio.describe(tmp_path)
    assert list(tmp_path.iterdir()) == []  # the probe file is gone
    monkeypatch.delenv("ARCHIVER_DIRECT_IO")
    monkeypatch.setattr(directio, "_O_DIRECT", 1)
    assert "cannot probe" in directio.describe(tmp_path / "missing")


@needs_direct
@pytest.mark.skipif(not lanes.usable(("sha512",)), reason="needs the SHA-512 lanes")
@settings(max_examples=10, deadline=None)
@given(sizes=st.lists(st.integers(MIN_SIZE - 3, 3 * BUFFER + 300), min_size=1, max_size=6))
def test_lane_copies_of_any_size_are_exact(tmp_path_factory: Any, sizes: list[int]) -> None:
    root = tmp_path_factory.mktemp("lanes")
    jobs = []
    for n, size in enumerate(sizes):
        (root / f"s{n}").write_bytes(os.urandom(size))
        jobs.append(Job(root / f"s{n}", size, n, copy_to=root / f"c{n}"))
    with LaneRun(jobs, ("sha512", "sha256"), workers=1) as run:
        results = {job.tag: digests for job, digests in run}
    for n in range(len(sizes)):
        data = (root / f"s{n}").read_bytes()
        assert (root / f"c{n}").read_bytes() == data
        assert results[n].hexdigests["sha512"] == hashlib.sha512(data).hexdigest()
        assert results[n].hexdigests["sha256"] == hashlib.sha256(data).hexdigest()
