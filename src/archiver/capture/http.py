"""An HTTP/1.1 client that records the exact bytes that cross the wire.

Python's ``http.client`` (and everything built on it) decodes chunked transfer coding before
the caller sees a byte, so an archive built on it cannot hold what the server really sent
without patching the standard library.  This client speaks HTTP/1.1 on a plain socket (or a TLS
socket) itself: the request bytes are built here and kept, and every response byte read from
the socket is copied, unchanged, to a spool file — status line, headers, chunk framing,
gzip/br content coding and all.  Nothing global is patched, and each :class:`Exchange` belongs
to the thread that made it, so any number of threads can fetch at once.

Framing (where the body ends) is parsed as the bytes stream past, so keep-alive connections are
reused; digests of the whole block and of the payload are computed in the same pass, and memory
stays flat whatever the response size (the spool goes to disk past 1 MiB).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import logging
import os
import re
import select
import socket
import ssl
import tempfile
import threading
import time
from datetime import datetime, timezone
from typing import IO, Any
from urllib.parse import urlsplit

from archiver.capture.exchange import Exchange, Request, Timings, TlsInfo
from archiver.errors import FetchError, ProtocolError
from archiver.httpbody import decode_body

__all__ = ["Exchange", "HttpClient", "Request", "Timings", "TlsInfo", "decode_body"]

log = logging.getLogger(__name__)

_STOPPED = "the capture was stopped"
_MAX_HEADER_BYTES = 256 * 1024
_READ_SIZE = 256 * 1024
_SPOOL_IN_MEMORY = 1024 * 1024
_MAX_IDLE = 64  # idle keep-alive connections kept in all
_IDLE_SECONDS = 30.0  # an idle connection older than this is closed, not reused
_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
_ENCODING_DER = 2  # _ssl.ENCODING_DER, for the certificates of a Python < 3.13 chain


# -- the client ------------------------------------------------------------------------------


class _Connection:
    def __init__(self, sock: socket.socket, ip: str, tls: TlsInfo | None = None) -> None:
        self.sock = sock
        self.ip = ip
        self.tls = tls
        self.leftover = b""
        self.idle_since = 0.0

    def quiet(self) -> bool:
        """Whether the idle connection has nothing to read, as it must to be reused.

        This client never pipelines, so bytes after a response (or an EOF) were not asked for:
        reusing the connection would take them as the response to the next request.
        """
        if self.leftover:
            return False
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return False
        try:
            readable, _, _ = select.select([self.sock], [], [], 0)
        except (OSError, ValueError):
            return False
        return not readable

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class HttpClient:
    """Fetch URLs over HTTP/1.1, recording wire bytes.  Thread-safe; reuses connections.

    >>> with HttpClient(user_agent="archiver-test") as client:      # doctest: +SKIP
    ...     with client.fetch("http://127.0.0.1:8000/") as ex:
    ...         print(ex.status, ex.response_length)
    """

    def __init__(
        self,
        *,
        user_agent: str,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        max_response_size: int = 100 * 1024 * 1024,
        max_response_time: float = 900.0,
        header_timeout: float = 60.0,
        verify_tls: bool = True,
        ca_file: str | None = None,
        digest_algorithm: str = "sha256",
    ) -> None:
        self.user_agent = user_agent
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self.max_response_size = max_response_size
        self.max_response_time = max_response_time
        self.header_timeout = min(header_timeout, max_response_time)
        self.digest_algorithm = digest_algorithm
        self._tls = ssl.create_default_context(cafile=ca_file)
        self._tls.set_alpn_protocols(["http/1.1"])
        if not verify_tls:
            self._tls.check_hostname = False
            self._tls.verify_mode = ssl.CERT_NONE
        self._idle: dict[tuple[str, str, int], list[_Connection]] = {}
        self._busy: set[_Connection] = set()  # connections carrying a request now
        self._aborted = False
        self._lock = threading.Lock()

    # -- connections -------------------------------------------------------------------------

    def _checkout(self, key: tuple[str, str, int]) -> _Connection | None:
        while True:
            with self._lock:
                pool = self._idle.get(key)
                conn = pool.pop() if pool else None
                if pool is not None and not pool:
                    del self._idle[key]
            if conn is None:
                return None
            if time.monotonic() - conn.idle_since < _IDLE_SECONDS and conn.quiet():
                return conn
            conn.close()

    def _checkin(self, key: tuple[str, str, int], conn: _Connection) -> None:
        """Keep ``conn`` for reuse: at most 8 per host and ``_MAX_IDLE`` in all, so a crawl
        over many hosts does not run out of file descriptors; the longest idle goes first."""
        conn.idle_since = time.monotonic()
        evicted: list[_Connection] = []
        with self._lock:
            pool = self._idle.setdefault(key, [])
            if len(pool) >= 8:
                evicted.append(conn)
            else:
                pool.append(conn)
                total = sum(len(p) for p in self._idle.values())
                while total > _MAX_IDLE:
                    oldest_key = min(self._idle, key=lambda k: self._idle[k][0].idle_since)
                    evicted.append(self._idle[oldest_key].pop(0))
                    if not self._idle[oldest_key]:
                        del self._idle[oldest_key]
                    total -= 1
        for old in evicted:
            old.close()

    def _connect(self, url: str, scheme: str, host: str, port: int) -> _Connection:
        try:
            sock = self._open_socket(host, port)
        except TimeoutError as exc:
            raise FetchError(f"connect timeout after {self.connect_timeout:g}s", url=url) from exc
        except OSError as exc:
            raise FetchError(f"cannot connect to {host}:{port}: {exc}", url=url) from exc
        except UnicodeError as exc:  # the resolver's IDNA encoding: a label over 63 characters
            raise ProtocolError(
                f"host name {host[:80]!r} cannot be looked up: {exc}", url=url
            ) from exc
        if self._aborted:
            sock.close()
            raise FetchError(_STOPPED, url=url)
        ip = str(sock.getpeername()[0])
        tls = None
        if scheme == "https":
            try:
                sock = self._tls.wrap_socket(sock, server_hostname=host)
            except (ssl.SSLError, OSError) as exc:
                sock.close()
                raise FetchError(f"TLS handshake failed: {exc}", url=url) from exc
            tls = _tls_info(sock)
        sock.settimeout(self.read_timeout)
        return _Connection(sock, ip, tls)

    def _open_socket(self, host: str, port: int) -> socket.socket:
        """A connected socket, each address tried in turn, the wait cut short by
        :meth:`abort` (a blocking connect would hold a stopping capture for its timeout)."""
        last: OSError = OSError(f"no address for {host}")
        for family, kind, proto, _name, address in socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM
        ):
            sock = socket.socket(family, kind, proto)
            try:
                sock.setblocking(False)
                code = sock.connect_ex(address)
                if code not in (0, errno.EINPROGRESS):
                    raise OSError(code, os.strerror(code))
                deadline = time.monotonic() + self.connect_timeout
                while code != 0:
                    left = deadline - time.monotonic()
                    if self._aborted:
                        raise OSError(errno.ECANCELED, _STOPPED)
                    if left <= 0:
                        raise TimeoutError
                    _r, writable, _x = select.select([], [sock], [], min(left, 0.25))
                    if writable:
                        code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                        if code:
                            raise OSError(code, os.strerror(code))
                        break
                sock.setblocking(True)
                return sock
            except TimeoutError:
                sock.close()
                raise
            except OSError as exc:
                sock.close()
                last = exc
                if self._aborted:
                    break
        raise last

    def abort(self) -> None:
        """Stop: every fetch under way ends now with a :class:`FetchError`, and no new one
        starts (the sockets are shut down, which wakes the threads reading them)."""
        self._aborted = True
        with self._lock:
            busy = list(self._busy)
        for conn in busy:
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Close every idle connection."""
        with self._lock:
            pools, self._idle = self._idle, {}
        for pool in pools.values():
            for conn in pool:
                conn.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- requests ----------------------------------------------------------------------------

    def build_request(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        request: Request | None = None,
    ) -> bytes:
        """The exact request bytes that :meth:`fetch` sends for ``url``.

        Without ``request`` it is this client's own GET; with it, the request line and
        ``Host`` are followed by the request's fields as given.
        """
        parts = urlsplit(url)
        target = parts.path or "/"
        if parts.query:
            target += "?" + parts.query
        if request is None:
            lines = [
                f"GET {target} HTTP/1.1",
                f"Host: {parts.netloc}",
                f"User-Agent: {self.user_agent}",
                f"Accept: {_ACCEPT}",
                "Accept-Encoding: gzip, deflate, br",
                "Connection: keep-alive",
            ]
            lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
            return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")
        lines = [f"{request.method} {target} HTTP/1.1", f"Host: {parts.netloc}"]
        lines += [f"{name}: {value}" for name, value in request.headers]
        if request.body or request.method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(request.body)}")
        try:
            head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        except UnicodeEncodeError as exc:
            raise FetchError("request header not encodable as Latin-1", url=url) from exc
        return head + request.body

    def fetch(
        self,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        request: Request | None = None,
    ) -> Exchange:
        """GET ``url`` (or send ``request``) once, no redirects followed, no retries, and
        return the raw exchange.

        Raises :class:`FetchError` on connection errors, timeouts and malformed responses.
        A body over ``max_response_size`` is cut there and marked truncated (``length``);
        one still arriving after ``max_response_time`` seconds is cut and marked ``time``.
        """
        parts = urlsplit(url)
        scheme = parts.scheme
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        key = (scheme, host, port)
        method = request.method if request is not None else "GET"
        raw_request = self.build_request(url, headers=headers, request=request)
        for attempt in (0, 1):
            if self._aborted:
                raise FetchError(_STOPPED, url=url)
            conn = self._checkout(key) if attempt == 0 else None
            reused = conn is not None
            started = time.monotonic()
            if conn is None:
                conn = self._connect(url, scheme, host, port)
            connected = time.monotonic()
            with self._lock:
                self._busy.add(conn)
            try:
                exchange, reusable = self._exchange(url, conn, raw_request, method)
            except _StaleConnection as exc:
                conn.close()
                if self._aborted:
                    raise FetchError(_STOPPED, url=url) from exc
                if reused:
                    continue  # an idle keep-alive connection the server had closed: retry fresh
                raise FetchError(
                    "server closed the connection without a response", url=url
                ) from exc
            except FetchError as exc:
                conn.close()
                if self._aborted:
                    raise FetchError(_STOPPED, url=url) from exc
                raise
            except BaseException:
                conn.close()
                raise
            finally:
                with self._lock:
                    self._busy.discard(conn)
            if self._aborted:  # a response cut short by abort() is not a response
                exchange.close()
                conn.close()
                raise FetchError(_STOPPED, url=url)
            exchange.timings.connect = connected - started
            exchange.timings.reused_connection = reused
            exchange.timings.first_byte += connected - started
            exchange.timings.total += connected - started
            if reusable and conn.quiet():
                self._checkin(key, conn)
            else:
                conn.close()
            return exchange
        raise FetchError("could not send the request", url=url)  # pragma: no cover

    def _exchange(
        self, url: str, conn: _Connection, request: bytes, method: str
    ) -> tuple[Exchange, bool]:
        date = datetime.now(timezone.utc)
        t0 = time.monotonic()
        try:
            conn.sock.sendall(request)
        except OSError as exc:
            raise _StaleConnection from exc
        spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
        block = hashlib.new(self.digest_algorithm)
        payload = hashlib.new(self.digest_algorithm)
        request_digest = hashlib.new(self.digest_algorithm, request)
        try:
            return self._read_response(
                url, conn, spool, block, payload, request, date, t0, request_digest, method
            )
        except BaseException:
            spool.close()
            raise

    def _read_response(
        self,
        url: str,
        conn: _Connection,
        spool: IO[bytes],
        block: Any,
        payload: Any,
        request: bytes,
        date: datetime,
        t0: float,
        request_digest: Any,
        method: str,
    ) -> tuple[Exchange, bool]:
        sock = conn.sock
        buf = conn.leftover
        conn.leftover = b""
        first_byte = 0.0
        interim = 0  # bytes of 1xx responses skipped
        # -- status line and headers --
        while True:
            end = buf.find(b"\r\n\r\n")
            sep = 4
            if end < 0:
                end = buf.find(b"\n\n")
                sep = 2
            if end >= 0:
                header_length = end + sep
                if not _is_interim(buf[:header_length]):
                    break
                # 100 Continue, 103 Early Hints: not the answer, which follows on the wire
                interim += header_length
                buf = buf[header_length:]
                continue
            if len(buf) + interim > _MAX_HEADER_BYTES:
                raise ProtocolError("response headers larger than 256 KiB", url=url)
            if time.monotonic() - t0 > self.header_timeout:
                raise ProtocolError(
                    f"response headers still incomplete after {self.header_timeout:g}s "
                    f"({len(buf)} bytes)",
                    url=url,
                )
            data = self._recv(url, sock, got=len(buf))
            if not data:
                if not buf:
                    raise _StaleConnection
                raise FetchError(
                    f"connection closed inside the response headers ({len(buf)} bytes)", url=url
                )
            if not first_byte:
                first_byte = time.monotonic() - t0
            buf += data
        head = buf[:header_length]
        status, reason, headers = _parse_head(url, head)
        spool.write(head)
        block.update(head)
        rest = buf[header_length:]
        # -- body framing --
        te = ",".join(v for k, v in headers if k.lower() == "transfer-encoding").lower()
        clen_values = [v for k, v in headers if k.lower() == "content-length"]
        no_body = status in (204, 304) or 100 <= status < 200 or method == "HEAD"
        body = _BodyCopier(spool, block, payload, self.max_response_size)
        reusable = not any(k.lower() == "connection" and "close" in v.lower() for k, v in headers)
        deadline = t0 + self.max_response_time
        truncated: str | None = None
        if no_body:
            conn.leftover = rest
        elif "chunked" in te:
            truncated, leftover = self._copy_chunked(url, sock, rest, body, deadline)
            conn.leftover = leftover
        elif clen_values:
            try:
                length = int(clen_values[0].strip())
                if length < 0:
                    raise ValueError
            except ValueError as exc:
                raise ProtocolError(f"bad Content-Length {clen_values[0]!r}", url=url) from exc
            truncated, leftover = self._copy_length(url, sock, rest, body, length, deadline)
            conn.leftover = leftover
        else:
            truncated = self._copy_until_close(url, sock, rest, body, deadline)
            reusable = False
        if truncated:
            reusable = False
        total = time.monotonic() - t0
        exchange = Exchange(
            url=url,
            method=method,
            request=request,
            response=spool,
            response_length=header_length + body.written,
            header_length=header_length,
            status=status,
            reason=reason,
            headers=headers,
            ip_address=conn.ip,
            date=date,
            block_digest=block,
            payload_digest=payload,
            request_digest=request_digest,
            truncated=truncated,
            timings=Timings(first_byte=first_byte or total, total=total),
            tls=conn.tls,
        )
        return exchange, reusable

    def _recv(self, url: str, sock: socket.socket, *, got: int) -> bytes:
        try:
            return sock.recv(_READ_SIZE)
        except TimeoutError as exc:
            raise FetchError(
                f"read timeout after {self.read_timeout:g}s ({got} bytes received)", url=url
            ) from exc
        except ssl.SSLError as exc:
            raise FetchError(f"TLS error after {got} bytes: {exc}", url=url) from exc
        except OSError as exc:
            raise FetchError(f"connection error after {got} bytes: {exc}", url=url) from exc

    def _copy_length(
        self,
        url: str,
        sock: socket.socket,
        rest: bytes,
        body: _BodyCopier,
        length: int,
        deadline: float,
    ) -> tuple[str | None, bytes]:
        take = rest[:length]
        leftover = rest[length:]
        if body.add(take):
            return "length", b""
        remaining = length - len(take)
        while remaining > 0:
            if time.monotonic() > deadline:
                return "time", b""
            data = self._recv(url, sock, got=body.written)
            if not data:
                raise FetchError(
                    f"connection closed after {body.written} of {length} body bytes", url=url
                )
            piece, extra = data[:remaining], data[remaining:]
            remaining -= len(piece)
            if body.add(piece):
                return "length", b""
            leftover = extra
        return None, leftover

    def _copy_until_close(
        self, url: str, sock: socket.socket, rest: bytes, body: _BodyCopier, deadline: float
    ) -> str | None:
        if body.add(rest):
            return "length"
        while True:
            if time.monotonic() > deadline:
                return "time"
            data = self._recv(url, sock, got=body.written)
            if not data:
                return None
            if body.add(data):
                return "length"

    def _copy_chunked(
        self, url: str, sock: socket.socket, rest: bytes, body: _BodyCopier, deadline: float
    ) -> tuple[str | None, bytes]:
        """Copy a chunked body byte for byte, parsing its framing to find where it ends.

        The bytes are copied in the blocks they arrived in; the parser only moves an index
        through them, so tiny chunks cost no more than large ones.
        """
        buf = rest
        pos = 0  # parse position in buf
        copied = 0  # buf[:copied] is already in the body

        def flush() -> bool:
            nonlocal copied
            cut = body.add(buf[copied:pos])
            copied = pos
            return cut

        def refill() -> None:
            nonlocal buf, pos, copied
            if flush():
                raise _Cut
            if time.monotonic() > deadline:
                raise _Deadline
            data = self._recv(url, sock, got=body.written)
            if not data:
                raise FetchError(
                    f"connection closed inside a chunked body after {body.written} bytes",
                    url=url,
                )
            buf = buf[pos:] + data
            pos = copied = 0

        def line() -> bytes:
            nonlocal pos
            while (idx := buf.find(b"\n", pos)) < 0:
                if len(buf) - pos > 64 * 1024:
                    raise ProtocolError("chunk-size line too long", url=url)
                refill()
            text, pos = buf[pos : idx + 1], idx + 1
            return text

        try:
            while True:
                size_line = line()
                try:
                    size = int(size_line.split(b";", 1)[0].strip(), 16)
                    if size < 0:
                        raise ValueError
                except ValueError as exc:
                    raise ProtocolError(f"bad chunk size line {size_line[:40]!r}", url=url) from exc
                if size == 0:
                    while line() not in (b"\r\n", b"\n"):  # trailer fields, then a blank line
                        pass
                    if flush():
                        return "length", b""
                    return None, buf[pos:]
                remaining = size
                while len(buf) - pos < remaining:
                    remaining -= len(buf) - pos
                    pos = len(buf)
                    refill()
                pos += remaining
                if line() not in (b"\r\n", b"\n"):
                    raise ProtocolError("chunk data not followed by CRLF", url=url)
        except _Cut:
            return "length", b""
        except _Deadline:
            flush()
            return "time", b""


class _Cut(Exception):
    """The body reached ``max_response_size``."""


class _StaleConnection(Exception):
    """The connection was closed before a single response byte arrived."""


class _Deadline(Exception):
    """The response took longer than ``max_response_time``."""


class _BodyCopier:
    """Appends body bytes to the spool and both digests, stopping at the size limit."""

    def __init__(self, spool: IO[bytes], block: Any, payload: Any, limit: int) -> None:
        self.spool = spool
        self.block = block
        self.payload = payload
        self.limit = limit
        self.written = 0

    def add(self, data: bytes) -> bool:
        """Copy ``data``; return True if the limit was reached (the rest is dropped)."""
        if not data:
            return False
        room = self.limit - self.written
        cut = len(data) > room
        if cut:
            data = data[:room]
        self.spool.write(data)
        self.block.update(data)
        self.payload.update(data)
        self.written += len(data)
        return cut


def _tls_info(sock: ssl.SSLSocket) -> TlsInfo:
    """Protocol, cipher and the certificate chain the server sent (leaf first).

    The whole chain is public API from Python 3.13 (``get_unverified_chain``); before that
    the same method exists on the private ``_sslobj``, and only the leaf is certain.
    """
    chain: list[bytes] = []
    getter = getattr(sock, "get_unverified_chain", None)
    if getter is None:
        getter = getattr(getattr(sock, "_sslobj", None), "get_unverified_chain", None)
    try:
        for cert in getter() if getter is not None else ():
            chain.append(cert if isinstance(cert, bytes) else cert.public_bytes(_ENCODING_DER))
    except (AttributeError, ValueError, ssl.SSLError):
        chain = []
    if not chain:
        leaf = sock.getpeercert(binary_form=True)
        if leaf:
            chain = [leaf]
    cipher = sock.cipher()
    return TlsInfo(
        version=sock.version() or "", cipher=cipher[0] if cipher else "", chain=tuple(chain)
    )


def _is_interim(head: bytes) -> bool:
    """Whether ``head`` is an interim 1xx response (101 excepted: no upgrade is ever asked)."""
    parts = head.split(None, 2)
    return (
        len(parts) >= 2
        and parts[0].startswith(b"HTTP/")
        and len(parts[1]) == 3
        and parts[1][:1] == b"1"
        and parts[1] != b"101"
    )


_STATUS_LINE = re.compile(r"HTTP/[0-9]\.[0-9] ([1-5][0-9][0-9])(?: (.*))?")


def _parse_head(url: str, head: bytes) -> tuple[int, str, list[tuple[str, str]]]:
    """Status, reason and header fields; :class:`ProtocolError` unless the status line is
    ``HTTP/d.d`` and a status of three ASCII digits from 100 to 599."""
    text = head.decode("iso-8859-1")
    lines = text.replace("\r\n", "\n").split("\n")
    status_line = lines[0]
    match = _STATUS_LINE.fullmatch(status_line.rstrip(" "))
    if match is None:
        raise ProtocolError(f"not an HTTP response (status line {status_line[:60]!r})", url=url)
    status = int(match.group(1))
    reason = match.group(2) or ""
    headers: list[tuple[str, str]] = []
    for raw in lines[1:]:
        if not raw:
            continue
        if raw[0] in " \t" and headers:  # obsolete line folding
            name, value = headers[-1]
            headers[-1] = (name, value + " " + raw.strip())
            continue
        name, sep, value = raw.partition(":")
        if sep:
            headers.append((name.strip(), value.strip()))
    return status, reason, headers
