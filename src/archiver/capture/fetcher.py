"""Fetching one URL politely: robots.txt first, pacing per host, retries with backoff.

:class:`Fetcher` is what every producer of exchanges calls, the crawl's workers and the
browser's proxy alike, so robots.txt, Crawl-delay, Retry-After and retries hold for both.
robots.txt responses are archived through the ``archive`` callback as they arrive.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Protocol

from archiver.capture.hosts import Hosts
from archiver.capture.http import Exchange, HttpClient, Request
from archiver.capture.robots import RobotsPolicy
from archiver.capture.urls import host_key, resolve, resolve_location
from archiver.errors import FetchError, ProtocolError
from archiver.model import CaptureOptions

__all__ = ["REDIRECTS", "Fetcher"]

log = logging.getLogger(__name__)

REDIRECTS = {301, 302, 303, 307, 308}
_ROBOTS_REDIRECTS = 5
#: Longest Crawl-delay honoured (Heritrix's default); a day between requests would freeze a host.
_MAX_CRAWL_DELAY = 300.0
_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS"})
_RETRY_STATUS = {429, 500, 502, 503, 504, 507, 509, 520, 521, 522, 523, 524}


class _Archive(Protocol):
    def __call__(self, ex: Exchange) -> None: ...


class Fetcher:
    """Robots-aware, paced, retrying fetches through one :class:`HttpClient`."""

    def __init__(
        self,
        client: HttpClient,
        hosts: Hosts,
        opts: CaptureOptions,
        *,
        stop: threading.Event,
        archive: _Archive,
    ) -> None:
        self.client = client
        self.hosts = hosts
        self.opts = opts
        self.user_agent = opts.full_user_agent
        self._stop = stop
        self._archive = archive

    def refusal(self, url: str) -> tuple[str, str] | None:
        """Why robots.txt keeps this crawler from fetching ``url``, or None (fetch it).

        ``("skipped", "disallowed by robots.txt")`` when the site asks not to;
        ``("failed", "robots.txt unreachable (…)")`` when robots.txt could not be had (RFC
        9309 then says: fetch nothing), which is a failure of the run, retried by the next.
        """
        if not self.opts.obey_robots:
            return None
        policy = self.robots(url)
        if policy.allows(self.user_agent, url):
            return None
        if policy.unreachable is not None:
            return "failed", f"robots.txt unreachable ({policy.unreachable})"
        return "skipped", "disallowed by robots.txt"

    def robots(self, url: str) -> RobotsPolicy:
        """The robots policy of ``url``'s host, fetching (and archiving) robots.txt once."""
        key = host_key(url)
        with self.hosts.lock:
            host = self.hosts.get(key)
            if host.robots is not None:
                return host.robots
        with host.robots_lock:
            if host.robots is not None:
                return host.robots
            status, body, reason = self._fetch_robots(key, resolve(url, "/robots.txt") or url)
            policy = RobotsPolicy.from_response(status, body, reason=reason)
            crawl_delay = policy.crawl_delay(self.user_agent)
            if crawl_delay > _MAX_CRAWL_DELAY:
                log.warning(
                    "%s: Crawl-delay %g s capped at %g s", key, crawl_delay, _MAX_CRAWL_DELAY
                )
                crawl_delay = _MAX_CRAWL_DELAY
            with self.hosts.lock:
                host.robots = policy
                host.delay = max(self.opts.host_delay, crawl_delay)
            return policy

    def _fetch_robots(self, key: str, robots_url: str | None) -> tuple[int | None, bytes, str]:
        """(status, body, why it is missing) of the host's robots.txt; status None when it
        could not be fetched."""
        # RFC 9309 §2.3.1.2: follow at least five redirects (each hop is archived); past
        # that the file counts as unavailable, like a 4xx: no rules.
        status: int | None = None
        body = b""
        for _hop in range(_ROBOTS_REDIRECTS + 1):
            if robots_url is None:
                return status, body, ""
            try:
                ex = self.fetch(robots_url)
            except FetchError as exc:
                log.warning("robots.txt unreachable for %s: %s", key, exc.reason)
                return None, b"", exc.reason
            with ex:
                status = ex.status
                body = ex.decoded_body(limit=512 * 1024)
                self._archive(ex)
                location = ex.header("Location") if status in REDIRECTS else None
            if not location:
                return status, body, ""
            robots_url = resolve_location(robots_url, location)
        return 404, b"", ""

    def fetch(self, url: str, request: Request | None = None) -> Exchange:
        """Fetch ``url`` (or ``request``); retry connection errors, 429 and 5xx with backoff
        and jitter.  Raises :class:`FetchError` once the retries are spent.

        A request that may change something on the server (a POST) is sent once, never
        retried.
        """
        retries = self.opts.retries
        if request is not None and request.method not in _IDEMPOTENT:
            retries = 0
        # all the attempts together get the time one response may take
        deadline = time.monotonic() + self.opts.max_response_time
        attempt = 0
        while True:
            self.hosts.pace(url)
            if self._stop.is_set():
                raise FetchError("the capture was stopped", url=url)
            try:
                ex = self.client.fetch(url, request=request)
            except ProtocolError:
                raise  # the server answered with something that is not HTTP: it would again
            except FetchError:
                if attempt >= retries or self._stop.is_set() or time.monotonic() > deadline:
                    raise
                self._sleep(self._backoff(attempt))
                attempt += 1
                continue
            if ex.status in _RETRY_STATUS and attempt < retries and time.monotonic() < deadline:
                wait = self._retry_after(ex) if ex.status in (429, 503) else None
                ex.close()
                if wait is not None:  # the server asked this client to wait: all its URLs do
                    self.hosts.hold(url, wait)
                self._sleep(wait if wait is not None else self._backoff(attempt))
                attempt += 1
                continue
            return ex

    def _backoff(self, attempt: int) -> float:
        base = self.opts.backoff * (2**attempt)
        return float(base * (0.5 + random.random()))

    def _retry_after(self, ex: Exchange) -> float | None:
        value = (ex.header("Retry-After") or "").strip()
        if not value:
            return None
        try:
            seconds = float(value)
        except ValueError:
            try:
                when = parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return None
            seconds = (when - datetime.now(timezone.utc)).total_seconds()
        return max(0.0, min(seconds, self.opts.max_retry_after))

    def _sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)
