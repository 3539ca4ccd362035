"""One HTTP exchange as recorded: the request bytes, the raw response spooled, digests.

:class:`Exchange` is what every producer hands the store (the crawl's workers and the
browser's proxy alike); :class:`Request` is a request shaped by someone else (a browser).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from archiver.httpbody import decode_body

__all__ = ["Exchange", "Request", "Timings", "TlsInfo"]

_READ_SIZE = 256 * 1024


@dataclass
class Timings:
    """Seconds spent in each phase of one exchange."""

    connect: float = 0.0
    first_byte: float = 0.0
    total: float = 0.0
    reused_connection: bool = False


@dataclass(frozen=True)
class Request:
    """A request shaped by someone else (a browser): method, header fields in order, body.

    :meth:`HttpClient.fetch` writes the request line and ``Host`` itself, then these fields
    as given, then ``Content-Length`` when there is a body.  Hop-by-hop fields are the
    caller's to leave out.
    """

    method: str = "GET"
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass(frozen=True)
class TlsInfo:
    """What a TLS handshake with a server showed: protocol, cipher, certificate chain (DER)."""

    version: str
    cipher: str
    chain: tuple[bytes, ...]


@dataclass
class Exchange:
    """One request and its response, as bytes on the wire.

    ``response`` holds the raw response (``header_length`` bytes of status line and headers,
    then the body as transmitted).  Close it (or use the exchange as a context manager) when done.
    """

    url: str
    method: str
    request: bytes
    response: IO[bytes]
    response_length: int
    header_length: int
    status: int
    reason: str
    headers: list[tuple[str, str]]
    ip_address: str
    date: datetime
    block_digest: Any
    payload_digest: Any
    request_digest: Any
    truncated: str | None = None
    timings: Timings = field(default_factory=Timings)
    #: the TLS session of the connection that carried it (None over plain HTTP)
    tls: TlsInfo | None = None

    def header(self, name: str, default: str | None = None) -> str | None:
        """First value of header ``name`` (case-insensitive)."""
        lname = name.lower()
        for key, value in self.headers:
            if key.lower() == lname:
                return value
        return default

    @property
    def content_type(self) -> str:
        """The media type without parameters, lower-cased (``text/html``)."""
        value = self.header("Content-Type") or ""
        return value.split(";", 1)[0].strip().lower()

    @property
    def payload_length(self) -> int:
        return self.response_length - self.header_length

    def iter_block(self, *, start: int = 0, size: int = _READ_SIZE) -> Iterator[bytes]:
        """Stream the raw response bytes from ``start``."""
        self.response.seek(start)
        remaining = self.response_length - start
        while remaining > 0:
            chunk = self.response.read(min(size, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk

    def head_bytes(self) -> bytes:
        """The status line and headers as received."""
        self.response.seek(0)
        return self.response.read(self.header_length)

    @property
    def content_encoding(self) -> str:
        """The outermost content coding, lower-cased (``gzip, br`` is ``br``; ``""`` if none)."""
        codings = [c.strip().lower() for c in (self.header("Content-Encoding") or "").split(",")]
        return next((c for c in reversed(codings) if c), "")

    def decoded_body(self, *, limit: int) -> bytes:
        """The body with transfer and content codings removed, at most ``limit`` bytes."""
        return decode_body(
            self.iter_block(start=self.header_length),
            chunked="chunked" in (self.header("Transfer-Encoding") or "").lower(),
            content_encoding=self.content_encoding,
            limit=limit,
        )

    def close(self) -> None:
        self.response.close()

    def __enter__(self) -> Exchange:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
