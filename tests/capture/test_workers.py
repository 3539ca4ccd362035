"""The crawl's worker pool: completion order, errors reported not raised, close semantics."""

from __future__ import annotations

import threading
import time

import pytest

from archiver.capture.workers import WorkerPool


def test_results_come_back_in_completion_order_under_their_keys() -> None:
    def work(delay: float) -> float:
        time.sleep(delay)
        return delay

    with WorkerPool(work, workers=2) as pool:
        pool.submit("slow", 0.3)
        pool.submit("fast", 0.01)
        first = pool.next_done(timeout=5)
        second = pool.next_done(timeout=5)
    assert first is not None and second is not None
    assert (first.key, first.result, first.error) == ("fast", 0.01, None)
    assert second.key == "slow"


def test_an_exception_is_reported_with_its_key_and_the_worker_lives_on() -> None:
    def work(n: int) -> int:
        if n < 0:
            raise ValueError("negative")
        return n

    with WorkerPool(work, workers=1) as pool:
        pool.submit("bad", -1)
        pool.submit("good", 3)
        bad, good = pool.next_done(timeout=5), pool.next_done(timeout=5)
    assert bad is not None and isinstance(bad.error, ValueError) and bad.result is None
    assert good is not None and good.result == 3


def test_next_done_times_out_with_none_and_done_nowait_never_blocks() -> None:
    with WorkerPool(lambda n: n, workers=1) as pool:
        started = time.monotonic()
        assert pool.next_done(timeout=0.05) is None
        assert time.monotonic() - started >= 0.04
        assert pool.done_nowait() is None


def test_close_waits_for_running_jobs_and_skips_queued_ones() -> None:
    release = threading.Event()
    ran: list[str] = []

    def work(name: str) -> str:
        if name == "running":
            release.wait(5)
        ran.append(name)
        return name

    pool: WorkerPool[str, str] = WorkerPool(work, workers=1)
    pool.submit("running", "running")
    time.sleep(0.05)
    pool.submit("queued", "queued")
    closer = threading.Thread(target=pool.close)
    closer.start()
    time.sleep(0.05)
    assert closer.is_alive()  # the running job holds close() up
    release.set()
    closer.join(5)
    assert ran == ["running"]  # the queued job was dropped
    first, second = pool.done_nowait(), pool.done_nowait()
    assert first is not None and first.result == "running"
    assert second is not None and second.error is not None and "not started" in str(second.error)
    assert not any(t.is_alive() for t in pool._threads)


def test_a_pool_that_cannot_start_all_its_threads_stops_the_ones_it_started(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_start = threading.Thread.start
    started: list[threading.Thread] = []

    def start(self: threading.Thread) -> None:
        if len(started) == 2:
            raise RuntimeError("can't start new thread")
        started.append(self)
        real_start(self)

    monkeypatch.setattr(threading.Thread, "start", start)
    with pytest.raises(RuntimeError, match="can't start"):
        WorkerPool(lambda n: n, workers=4)
    monkeypatch.undo()
    for thread in started:
        thread.join(5)
        assert not thread.is_alive()
