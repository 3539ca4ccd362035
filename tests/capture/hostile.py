"""A hostile web server, and a way to run code under hard CPU and memory bounds.

:class:`HostileServer` serves, on 127.0.0.1 (port 0), the attacks archiver must survive:
lying status lines, headers dripped a byte at a time, robots.txt that fails, crawler traps
(endless chains of requisites, sitemap indexes naming new indexes), pages with hundreds of
thousands of links, huge feeds, raw bytes in a Location.  Every loop in it is bounded, and it
stops by itself after ``lifetime`` seconds whatever the test does.

:func:`run_bounded` runs a snippet of Python in a child process with ``RLIMIT_CPU`` (and
optionally ``RLIMIT_AS``): what a test asserts about time and memory is then a property of the
code (it finishes within a CPU budget no quadratic algorithm could meet), not of the clock.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

from archiver.testing import Handler, SiteServer

Route = Callable[[Handler], None]
ROOT = Path(__file__).resolve().parents[2]


class HostileServer(SiteServer):
    """A :class:`SiteServer` with attack routes, which stops itself after ``lifetime``."""

    def __init__(self, root: Path, *, lifetime: float = 120.0) -> None:
        super().__init__(root)
        self.lifetime = lifetime
        self._timer: threading.Timer | None = None

    def start(self) -> HostileServer:
        super().start()
        self._timer = threading.Timer(self.lifetime, self.stop)
        self._timer.daemon = True
        self._timer.start()
        return self

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        super().stop()

    def __enter__(self) -> HostileServer:
        return self.start()


def raw(data: bytes) -> Route:
    """Answer with exactly ``data``, then close."""

    def route(handler: Handler) -> None:
        handler.send_raw(data)
        handler.close_connection = True

    return route


def status(line: bytes, body: bytes = b"<title>x</title>") -> Route:
    """A response whose status line is ``line`` (``HTTP/1.1 0 OK``, superscript digits…)."""
    return raw(
        line + b"\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(body) + body
    )


def drip_headers(interval: float, count: int) -> Route:
    """Header fields one byte every ``interval`` seconds, ``count`` bytes at most."""

    def route(handler: Handler) -> None:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for _ in range(count):
            try:
                handler.wfile.write(b"X")
                handler.wfile.flush()
            except OSError:
                return
            time.sleep(interval)
        handler.close_connection = True

    return route


def html(body: str, ctype: str = "text/html") -> Route:
    data = body.encode()
    return raw(b"HTTP/1.1 200 OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s" % (
        ctype.encode(), len(data), data))  # fmt: skip


def trap_chain(prefix: str) -> Route:
    """``{prefix}N.css`` imports ``{prefix}N+1.css`` and names an image: a chain without end."""

    def route(handler: Handler) -> None:
        n = int(handler.path.rsplit("/", 1)[1].split(".")[0])
        css = f'@import "{n + 1}.css"; body {{ background: url({n}.png) }}'
        html(css, "text/css")(handler)

    return route


def nested_sitemaps() -> Route:
    """``/maps/N.xml`` is a sitemap index naming ``/maps/N+1.xml`` and one page."""

    def route(handler: Handler) -> None:
        n = int(handler.path.rsplit("/", 1)[1].split(".")[0])
        origin = handler.server.site.origin
        body = (
            '<?xml version="1.0"?><sitemapindex '
            'xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<sitemap><loc>{origin}/maps/{n + 1}.xml</loc></sitemap></sitemapindex>"
        )
        html(body, "application/xml")(handler)

    return route


def many_links(count: int) -> Route:
    """A page with ``count`` distinct links and ``count`` distinct images."""
    parts = ["<title>links</title>"]
    parts += [f'<a href="/l/{i}">{i}</a><img src="/i/{i}.png">' for i in range(count)]
    return html("".join(parts))


def run_bounded(code: str, *, cpu_seconds: int, memory_bytes: int | None = None) -> object:
    """Run ``code`` (which prints one JSON value) in a child under RLIMIT_CPU / RLIMIT_AS.

    Raises AssertionError when the child is killed for using more (SIGXCPU, MemoryError) or
    fails; returns the JSON value it printed.
    """

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 1))
        if memory_bytes is not None:
            resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))

    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        preexec_fn=limits,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=cpu_seconds * 20 + 60,
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"bounded child exited {proc.returncode} (limits: {cpu_seconds} s CPU, "
            f"{memory_bytes} bytes):\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}"
        )
    return json.loads(proc.stdout.strip().splitlines()[-1])


# the child's peak resident memory, reset once its input is built (Linux: clear_refs 5)
#: code a bounded child runs first: start() resets the peak and returns the resident size,
#: peak() the peak since (kB, Linux)
PEAK_RSS = """
def _status(key):
    with open("/proc/self/status") as fh:
        return next(int(x.split()[1]) for x in fh if x.startswith(key))
def start():
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    return _status("VmRSS:")
def peak():
    return _status("VmHWM:")
"""
