"""Per-host politeness state shared by the scheduler, the fetcher and the browser's requests.

Every request to a host, whoever makes it (a queue entry, a retry, robots.txt, a resource the
browser asked for), starts at least ``delay`` seconds after the previous one (the run's host
delay, or a longer Crawl-delay), and a ``Retry-After`` holds the whole host.  The scheduler also
counts the queue entries in flight per host; the browser's requests count against a
per-host semaphore of the same size instead, since they do not come from the queue.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from archiver.capture.robots import RobotsPolicy
from archiver.catalog import host_key

__all__ = ["Host", "Hosts"]


@dataclass
class Host:
    inflight: int = 0
    next_start: float = 0.0  # scheduling hint for the scheduler's fill
    last_start: float = float("-inf")  # when the last request to the host really started
    delay: float = 0.0
    robots: RobotsPolicy | None = None
    robots_lock: threading.Lock = field(default_factory=threading.Lock)
    browser_slots: threading.BoundedSemaphore | None = None


class Hosts:
    """The hosts of one run.  ``lock`` guards every :class:`Host` field but the two locks."""

    def __init__(self, *, delay: float, per_host: int, stop: threading.Event) -> None:
        self.lock = threading.Lock()
        self._hosts: dict[str, Host] = {}
        self._delay = delay
        self._per_host = per_host
        self._stop = stop

    def get(self, key: str) -> Host:
        """The host for ``key`` (``host:port``); call with :attr:`lock` held."""
        host = self._hosts.get(key)
        if host is None:
            host = self._hosts[key] = Host(
                delay=self._delay, browser_slots=threading.BoundedSemaphore(self._per_host)
            )
        return host

    def items(self) -> Iterator[tuple[str, Host]]:
        """Every known host; call with :attr:`lock` held."""
        return iter(self._hosts.items())

    def of(self, url: str) -> Host:
        with self.lock:
            return self.get(host_key(url))

    def pace(self, url: str) -> None:
        """Wait until the host's delay has passed since its last request, then claim the start.

        Every request goes through here (robots.txt, retries, browser resources and the pages
        the scheduler started before robots.txt set a Crawl-delay), so the spacing holds
        between any two of them.
        """
        with self.lock:
            host = self.get(host_key(url))
            now = time.monotonic()
            start = max(now, host.last_start + host.delay)
            host.last_start = start
        if start > now:
            self._stop.wait(start - now)

    def hold(self, url: str, seconds: float) -> None:
        """Start no request to ``url``'s host for ``seconds`` (Retry-After)."""
        with self.lock:
            host = self.get(host_key(url))
            until = time.monotonic() + seconds
            host.last_start = max(host.last_start, until - host.delay)
            host.next_start = max(host.next_start, until)

    @contextmanager
    def browser_slot(self, url: str) -> Iterator[None]:
        """Hold one of the host's ``per_host`` slots for a request the browser made."""
        slots = self.of(url).browser_slots
        assert slots is not None
        slots.acquire()
        try:
            yield
        finally:
            slots.release()
