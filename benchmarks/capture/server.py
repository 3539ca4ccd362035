"""A lean HTTP/1.1 server for the capture benchmark, run in its own process.

It serves a generated site from memory (every response built once, at start), keeps
connections alive, and adds ``--latency`` seconds before each response with ``asyncio.sleep``
so that waiting requests cost no thread and no CPU: the added latency is a property of the
"network", not a limit on how many requests the server can have in flight.  Bodies are always
sent as they are (no gzip), with ``Content-Length``, so both tools receive identical bytes.

Special paths:

* ``/big/<N>.bin`` streams ``N`` bytes (a 1 MiB pseudo-random block repeated), generated on the
  fly; nothing that size exists on disk or in memory.
* ``/__stats__`` returns the request and byte counters as JSON (``?reset=1`` zeroes them); it
  is not counted and gets no added latency.

    python benchmarks/capture/server.py SITE_DIR --latency 0.05    # prints the port, then serves
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import sys
from pathlib import Path

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "application/javascript; charset=utf-8",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
}
BLOCK = 1024 * 1024
LAST_MODIFIED = "Tue, 24 Nov 2026 12:00:00 GMT"


def big_block() -> bytes:
    """The 1 MiB block that ``/big/N.bin`` repeats (the benchmark recomputes its digest)."""
    return random.Random(20261125).randbytes(BLOCK)


def head(status: str, ctype: str, length: int) -> bytes:
    lines = [
        f"HTTP/1.1 {status}",
        "Server: bench-site",
        f"Content-Type: {ctype}",
        f"Content-Length: {length}",
        f"Last-Modified: {LAST_MODIFIED}",
        "Connection: keep-alive",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")


class Site:
    def __init__(self, root: Path, latency: float) -> None:
        self.latency = latency
        self.responses: dict[str, bytes] = {}
        for file in sorted(root.rglob("*")):
            if file.is_file():
                body = file.read_bytes()
                ctype = TYPES.get(file.suffix, "application/octet-stream")
                path = "/" + file.relative_to(root).as_posix()
                self.responses[path] = head("200 OK", ctype, len(body)) + body
        body = b"not found\n"
        self.not_found = head("404 Not Found", "text/plain; charset=utf-8", len(body)) + body
        self.block = big_block()
        self.requests = 0
        self.bytes = 0
        self.inflight = 0
        self.max_inflight = 0

    def stats(self, reset: bool) -> bytes:
        data = {
            "requests": self.requests,
            "bytes": self.bytes,
            "max_inflight": self.max_inflight,
        }
        if reset:
            self.requests = self.bytes = self.max_inflight = 0
        body = json.dumps(data).encode()
        return head("200 OK", "application/json", len(body)) + body

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    request = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    return
                parts = request.split(b" ", 2)
                target = parts[1].decode("latin-1") if len(parts) > 2 else "/"
                path, _, query = target.partition("?")
                if path == "/__stats__":
                    writer.write(self.stats("reset=1" in query))
                    await writer.drain()
                    continue
                self.requests += 1
                self.inflight += 1
                self.max_inflight = max(self.max_inflight, self.inflight)
                try:
                    if self.latency:
                        await asyncio.sleep(self.latency)
                    if path.startswith("/big/") and path.endswith(".bin"):
                        await self.stream_big(writer, int(path[5:-4]))
                    else:
                        response = self.responses.get(path, self.not_found)
                        writer.write(response)
                        self.bytes += len(response)
                        await writer.drain()
                finally:
                    self.inflight -= 1
        except (ConnectionError, ValueError):
            return
        finally:
            writer.close()

    async def stream_big(self, writer: asyncio.StreamWriter, size: int) -> None:
        writer.write(head("200 OK", "application/octet-stream", size))
        view = memoryview(self.block)
        left = size
        while left > 0:
            piece = view[: min(left, BLOCK)]
            writer.write(piece)
            left -= len(piece)
            self.bytes += len(piece)
            await writer.drain()


async def serve(site: Site, port: int) -> None:
    server = await asyncio.start_server(site.handle, "127.0.0.1", port, backlog=512)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added per response")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    site = Site(args.root, args.latency)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(site, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
