"""A local web server for the example site, the demo, the tests and the benchmarks.

:class:`SiteServer` serves a folder (by default the bundled example news site) on 127.0.0.1
on a free port, in a background thread.  ``/a/b/`` serves ``a/b/index.html`` (or
``a/b/index.xml``); the token ``{{SITE}}`` in text files becomes the server's origin.  It can
add latency, send bodies chunked and/or gzip-encoded, remember the exact bytes it sent, count
requests in flight, and hand chosen paths to custom handlers (for fault injection)::

    with SiteServer() as site:
        archiver.capture([site.url("/")], "collection")
"""

from __future__ import annotations

import gzip as gzip_module
import http.server
import mimetypes
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = ["EXAMPLE_SITE", "Handler", "SentResponse", "SiteServer", "example_site"]

_TEXT_SUFFIXES = {".html", ".xml", ".css", ".js", ".txt", ".json", ".svg"}
_TYPES = {
    ".html": "text/html; charset=UTF-8",
    ".xml": "application/xml; charset=UTF-8",
    ".css": "text/css; charset=UTF-8",
    ".js": "application/javascript; charset=UTF-8",
    ".txt": "text/plain; charset=UTF-8",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".gz": "application/gzip",
}


def example_site() -> Path:
    """The bundled example site: ``$ARCHIVER_EXAMPLE_SITE``, else ``examples/site`` of the repo."""
    env = os.environ.get("ARCHIVER_EXAMPLE_SITE")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2] / "examples" / "site"


EXAMPLE_SITE = example_site()


@dataclass(frozen=True)
class SentResponse:
    """The exact bytes the server wrote for one request."""

    path: str
    raw: bytes


@dataclass
class _Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    inflight: int = 0
    max_inflight: int = 0
    requests: list[tuple[float, str, str]] = field(default_factory=list)  # (time, path, UA)


class Handler(http.server.BaseHTTPRequestHandler):
    """Request handler; custom route functions receive it and write raw bytes to ``wfile``."""

    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: tests read the request log instead

    def send_raw(self, data: bytes) -> None:
        """Write ``data`` as is and remember it (when recording; before sending, so a client
        that has read the response always finds it in ``sent``)."""
        site = self.server.site
        if site.record:
            with site.stats.lock:
                site.sent.append(SentResponse(self.path, data))
        self.wfile.write(data)
        self.wfile.flush()

    def do_POST(self) -> None:
        """Other methods reach custom routes only (the site's files answer GET alone)."""
        route = self.server.site.routes.get(urlsplit(self.path).path)
        with self.server.site.stats.lock:
            self.server.site.stats.requests.append(
                (time.monotonic(), self.path, self.headers.get("User-Agent", ""))
            )
        if route is not None:
            route(self)
        else:
            self.send_raw(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")

    do_OPTIONS = do_POST
    do_PUT = do_POST

    def do_GET(self) -> None:
        site = self.server.site
        with site.stats.lock:
            site.stats.inflight += 1
            site.stats.max_inflight = max(site.stats.max_inflight, site.stats.inflight)
            site.stats.requests.append(
                (time.monotonic(), self.path, self.headers.get("User-Agent", ""))
            )
        try:
            if site.latency:
                time.sleep(site.latency)
            path = urlsplit(self.path).path
            route = site.routes.get(path)
            if route is not None:
                route(self)
            else:
                self._serve_file(path)
        finally:
            with site.stats.lock:
                site.stats.inflight -= 1

    def _serve_file(self, path: str) -> None:
        site = self.server.site
        file = site.resolve(path)
        if file is None:
            not_found = site.root / "404.html"
            body = site.render(not_found) if not_found.is_file() else b"not found\n"
            self._respond(404, "Not Found", "text/html; charset=UTF-8", body)
            return
        ctype = _TYPES.get(file.suffix.lower()) or (
            mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        )
        if file.name == "index.xml":
            if "atom" in path:
                ctype = "application/atom+xml; charset=UTF-8"
            elif "feed" in path:
                ctype = "application/rss+xml; charset=UTF-8"
            else:
                ctype = _TYPES[".xml"]
        self._respond(200, "OK", ctype, site.render(file))

    def _respond(self, status: int, reason: str, ctype: str, body: bytes) -> None:
        site = self.server.site
        head = [f"HTTP/1.1 {status} {reason}", f"Content-Type: {ctype}", "Server: archiver-test"]
        accepts_gzip = "gzip" in (self.headers.get("Accept-Encoding") or "")
        if site.gzip and accepts_gzip and not ctype.startswith("image/"):
            body = gzip_module.compress(body, mtime=0)
            head.append("Content-Encoding: gzip")
            head.append("Vary: Accept-Encoding")
        if site.chunked:
            head.append("Transfer-Encoding: chunked")
            framed = b"".join(
                b"%x\r\n%s\r\n" % (len(body[i : i + 4000]), body[i : i + 4000])
                for i in range(0, len(body), 4000)
            )
            payload = framed + b"0\r\n\r\n"
        else:
            head.append(f"Content-Length: {len(body)}")
            payload = body
        self.send_raw(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + payload)


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    site: SiteServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that hang up (killed captures, fault tests) are expected here: stay quiet.
        return


class SiteServer:
    """Serve ``root`` on 127.0.0.1 (port 0: the OS picks a free one) in a background thread."""

    def __init__(
        self,
        root: str | os.PathLike[str] | None = None,
        *,
        latency: float = 0.0,
        chunked: bool = False,
        gzip: bool = False,
        record: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.root = Path(root) if root is not None else example_site()
        if not self.root.is_dir():
            raise FileNotFoundError(f"site folder not found: {self.root}")
        self.latency = latency
        self.chunked = chunked
        self.gzip = gzip
        self.record = record
        self.host = host
        self.requested_port = port
        self.routes: dict[str, Callable[[Handler], None]] = {}
        self.sent: list[SentResponse] = []
        self.stats = _Stats()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._cache: dict[Path, bytes] = {}
        self._origin: str | None = None

    @property
    def origin(self) -> str:
        """``http://127.0.0.1:PORT`` (still known after the server stopped)."""
        if self._origin is None:
            raise RuntimeError("server not started")
        return self._origin

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("server not started")
        return int(self._server.server_address[1])

    def url(self, path: str = "/") -> str:
        """Absolute URL of ``path`` on this server."""
        return self.origin + (path if path.startswith("/") else "/" + path)

    def resolve(self, path: str) -> Path | None:
        """The file that serves URL path ``path``, or None."""
        rel = unquote(path).lstrip("/")
        candidate = (self.root / rel).resolve()
        root = self.root.resolve()
        if root != candidate and root not in candidate.parents:
            return None
        if candidate.is_dir():
            for index in ("index.html", "index.xml"):
                if (candidate / index).is_file():
                    return candidate / index
            return None
        return candidate if candidate.is_file() else None

    def render(self, file: Path) -> bytes:
        """The bytes served for ``file`` (``{{SITE}}`` replaced in text files)."""
        data = self._cache.get(file)
        if data is None:
            data = file.read_bytes()
            if file.suffix.lower() in _TEXT_SUFFIXES:
                data = data.replace(b"{{SITE}}", self.origin.encode("ascii"))
            self._cache[file] = data
        return data

    @property
    def max_inflight(self) -> int:
        return self.stats.max_inflight

    def requests(self) -> list[tuple[float, str, str]]:
        """(monotonic time, path, User-Agent) of every request received so far."""
        with self.stats.lock:
            return list(self.stats.requests)

    def start(self) -> SiteServer:
        server = _Server((self.host, self.requested_port), Handler)
        server.site = self
        server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._server = server
        self._origin = f"http://{self.host}:{server.server_address[1]}"
        self._cache.clear()
        self._thread = threading.Thread(
            target=server.serve_forever, daemon=True, kwargs={"poll_interval": 0.05}
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> SiteServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    """``python -m archiver.testing [--port N] [FOLDER]``: serve a site until interrupted."""
    import argparse

    parser = argparse.ArgumentParser(description="Serve the example news site on 127.0.0.1.")
    parser.add_argument("folder", nargs="?", default=None, help="site folder (default: example)")
    parser.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    args = parser.parse_args(argv)
    site = SiteServer(args.folder, port=args.port).start()
    print(f"Serving {site.root} at {site.url('/')} — Ctrl-C to stop", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
