"""The recording proxy between Chromium and the web, on 127.0.0.1.

Chromium sends every request here: plain HTTP in absolute form (``GET http://host/path``),
HTTPS through ``CONNECT``, after which the proxy speaks TLS to the browser with a certificate
made with the run's key (:mod:`.mitm`).  Each request is parsed and handed to a handler that
returns a :class:`Reply`: the bytes to send back, usually the exact response archiver's own
client received and stored.  The proxy itself neither fetches nor stores anything.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from archiver.capture.browser.mitm import RunKey

__all__ = ["ProxyRequest", "RecordingProxy", "Reply", "reply_reusable", "synthetic"]

log = logging.getLogger(__name__)

_MAX_HEAD = 64 * 1024
_MAX_BODY = 32 * 1024 * 1024
_IDLE_SECONDS = 120.0
_RECV = 64 * 1024


@dataclass(frozen=True)
class ProxyRequest:
    """One request the browser made: method, absolute URL, header fields in order, body."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes = b""

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return None


class Reply:
    """What goes back to the browser: raw response bytes, and whether the connection may then
    carry another request.  ``close`` releases what the bytes were read from."""

    def __init__(
        self,
        chunks: Iterable[bytes],
        *,
        reusable: bool,
        close: Callable[[], None] | None = None,
    ) -> None:
        self.chunks = chunks
        self.reusable = reusable
        self._close = close

    def close(self) -> None:
        if self._close is not None:
            self._close()
            self._close = None


def synthetic(status: int, reason: str, message: str, method: str = "GET") -> Reply:
    """A response archiver makes up (never stored): ``X-Archiver-Reason`` says why.  The
    answer to a HEAD has no body."""
    body = b"" if method == "HEAD" else (message + "\n").encode("utf-8", "replace")
    safe = message.encode("ascii", "replace").decode("ascii").replace("\r", " ").replace("\n", " ")
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Archiver-Reason: {safe[:200]}\r\n"
        "Cache-Control: no-store\r\n\r\n"
    ).encode("ascii")
    return Reply([head + body], reusable=True)


def reply_reusable(head: bytes, *, method: str, complete: bool) -> bool:
    """Whether the browser's connection can carry another request after relaying a response
    with status line and headers ``head``: its body must end by its own framing."""
    if not complete:
        return False
    lines = head.decode("iso-8859-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    fields = [line.partition(":") for line in lines[1:] if ":" in line]
    names = {k.strip().lower(): v.strip().lower() for k, _, v in fields}
    if "close" in names.get("connection", ""):
        return False
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return True
    return "chunked" in names.get("transfer-encoding", "") or "content-length" in names


class _BadRequest(Exception):
    pass


class _Reader:
    """Buffered reads from a socket: a head up to its blank line, then exact lengths."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = b""

    def _more(self) -> bool:
        data = self.sock.recv(_RECV)
        if not data:
            return False
        self.buf += data
        return True

    def head(self) -> bytes | None:
        """The next request head, or None at a clean end of the connection."""
        while (end := self.buf.find(b"\r\n\r\n")) < 0:
            if len(self.buf) > _MAX_HEAD:
                raise _BadRequest("request head larger than 64 KiB")
            if not self._more():
                if self.buf.strip():
                    raise _BadRequest("connection closed inside a request head")
                return None
        head, self.buf = self.buf[: end + 4], self.buf[end + 4 :]
        return head

    def exact(self, size: int) -> bytes:
        while len(self.buf) < size:
            if not self._more():
                raise _BadRequest("connection closed inside a request body")
        data, self.buf = self.buf[:size], self.buf[size:]
        return data

    def line(self) -> bytes:
        while (end := self.buf.find(b"\r\n")) < 0:
            if len(self.buf) > _MAX_HEAD or not self._more():
                raise _BadRequest("bad chunked request body")
        data, self.buf = self.buf[:end], self.buf[end + 2 :]
        return data

    def chunked(self) -> bytes:
        body = bytearray()
        while True:
            try:
                size = int(self.line().split(b";", 1)[0].strip(), 16)
            except ValueError as exc:
                raise _BadRequest("bad chunk size in request body") from exc
            if size == 0:
                while self.line():  # trailer fields
                    pass
                return bytes(body)
            if len(body) + size > _MAX_BODY:
                raise _BadRequest("request body larger than 32 MiB")
            body += self.exact(size)
            self.line()


def _starts_tls(sock: socket.socket) -> bool:
    """Whether what the client sends into a fresh tunnel is a TLS handshake (0x16)."""
    first = sock.recv(1, socket.MSG_PEEK)
    return first == b"\x16"


def _parse_head(head: bytes) -> tuple[str, str, list[tuple[str, str]]]:
    lines = head.decode("iso-8859-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _BadRequest(f"bad request line {lines[0][:80]!r}")
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise _BadRequest(f"bad header line {line[:80]!r}")
        headers.append((name.strip(), value.strip()))
    return parts[0].upper(), parts[1], headers


class RecordingProxy:
    """An HTTP(S) proxy on 127.0.0.1 (a free port) that answers through ``handler``."""

    def __init__(self, handler: Callable[[ProxyRequest], Reply], key: RunKey) -> None:
        self._handler = handler
        self._key = key
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._closing = False
        self.port = 0

    def start(self) -> RecordingProxy:
        listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self._listener = listener
        self.port = int(listener.getsockname()[1])
        self._thread = threading.Thread(target=self._accept, name="archiver-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting, and cut every connection still open."""
        self._closing = True
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._closing:
            try:
                conn, _addr = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self._conns.add(conn)
            threading.Thread(
                target=self._serve, args=(conn,), name="archiver-proxy-conn", daemon=True
            ).start()

    def _serve(self, conn: socket.socket) -> None:
        sock: socket.socket = conn
        try:
            sock.settimeout(_IDLE_SECONDS)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            reader = _Reader(sock)
            origin: str | None = None  # https://host[:port] inside a CONNECT tunnel
            while not self._closing:
                head = reader.head()
                if head is None:
                    return
                method, target, headers = _parse_head(head)
                if method == "CONNECT":
                    if origin is not None:
                        raise _BadRequest("CONNECT inside a tunnel")
                    host, _, port = target.rpartition(":")
                    host = host.strip("[]")
                    if not host or not port.isdigit():
                        raise _BadRequest(f"bad CONNECT target {target[:80]!r}")
                    sock.sendall(b"HTTP/1.1 200 Connection Established\r\n\r\n")
                    netloc = f"[{host}]" if ":" in host else host
                    if _starts_tls(sock):
                        tls = self._key.context(host).wrap_socket(sock, server_side=True)
                        with self._lock:  # wrapping detached the plain socket: cut this one
                            self._conns.discard(sock)
                            self._conns.add(tls)
                        sock = tls
                        origin = f"https://{netloc}" + ("" if port == "443" else f":{port}")
                    else:  # a plain tunnel: Chromium sends ws:// WebSockets this way
                        origin = f"http://{netloc}" + ("" if port == "80" else f":{port}")
                    reader = _Reader(sock)
                    continue
                if origin is not None and target.startswith("/"):
                    url = origin + target
                elif target.startswith(("http://", "https://")) and origin is None:
                    url = target
                else:
                    raise _BadRequest(f"unexpected request target {target[:80]!r}")
                body = self._body(reader, headers)
                request = ProxyRequest(method, url, tuple(headers), body)
                if not self._answer(sock, request):
                    return
        except _BadRequest as exc:
            log.debug("proxy: %s", exc)
            with contextlib.suppress(OSError):
                sock.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        except (OSError, ssl.SSLError, ValueError) as exc:
            log.debug("proxy connection ended: %s", exc)
        except Exception as exc:  # a bug reading back a record: this connection only
            log.error("proxy connection failed: %r", exc)
        finally:
            with self._lock:
                self._conns.discard(conn)
                self._conns.discard(sock)
            with contextlib.suppress(OSError):
                sock.close()
            with contextlib.suppress(OSError):
                conn.close()

    def _body(self, reader: _Reader, headers: list[tuple[str, str]]) -> bytes:
        fields = {k.lower(): v for k, v in headers}
        if "chunked" in fields.get("transfer-encoding", "").lower():
            return reader.chunked()
        length = fields.get("content-length")
        if not length:
            return b""
        if not length.isdigit():
            raise _BadRequest(f"bad Content-Length {length[:20]!r}")
        if int(length) > _MAX_BODY:
            raise _BadRequest("request body larger than 32 MiB")
        return reader.exact(int(length))

    def _answer(self, sock: socket.socket, request: ProxyRequest) -> bool:
        """Answer one request; whether the connection may carry another."""
        try:
            reply = self._handler(request)
        except Exception as exc:  # a bug must not hang the page: answer, log, go on
            log.error("proxy: answering %s %s failed: %r", request.method, request.url, exc)
            reply = synthetic(
                502, "Bad Gateway", f"archiver could not answer: {exc!r}", request.method
            )
        try:
            for chunk in reply.chunks:
                sock.sendall(chunk)
        finally:
            reply.close()
        keep = reply.reusable and (request.header("Connection") or "").lower() != "close"
        return keep
