"""Build WARC records byte for byte, for tests that need layouts no writer library would emit.

Every header, digest encoding and body is exactly what the caller asks for; each record is
returned as its own gzip member (or plain bytes), so records concatenate into a WARC file.

Example::

    body = b"<p>hi</p>"
    block = http_response("200 OK", [("Content-Type", "text/html")], body)
    data = warc_record("response", block, target_uri="http://example.test/", payload=body)
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import uuid
from collections.abc import Sequence
from typing import Literal

__all__ = ["DigestFormat", "chunked", "http_response", "sha256_digest", "warc_record", "warcinfo"]

DigestFormat = Literal["hex", "HEX", "base32", "base32-unpadded", "base32-lower"]

Headers = Sequence[tuple[str, str]]


def sha256_digest(data: bytes, encoding: DigestFormat = "hex") -> str:
    """``sha256:<value>`` in the requested encoding (some deliberately non-conforming)."""
    raw = hashlib.sha256(data).digest()
    b32 = base64.b32encode(raw).decode("ascii")
    values = {
        "hex": raw.hex(),
        "HEX": raw.hex().upper(),
        "base32": b32,
        "base32-unpadded": b32.rstrip("="),
        "base32-lower": b32.lower(),
    }
    return "sha256:" + values[encoding]


def http_response(status: str, headers: Headers, body: bytes) -> bytes:
    """An HTTP/1.1 response head (exactly these headers, in order) followed by ``body``."""
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    return head.encode("latin-1") + body


def chunked(data: bytes, size: int = 64) -> bytes:
    """``data`` framed as an HTTP/1.1 chunked body, ``size`` bytes a chunk, last chunk included."""
    out = bytearray()
    for i in range(0, len(data), size):
        piece = data[i : i + size]
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    return bytes(out + b"0\r\n\r\n")


def warc_record(
    warc_type: str,
    block: bytes,
    *,
    target_uri: str | None = None,
    date: str = "2026-11-25T03:12:00Z",
    record_id: str | None = None,
    content_type: str | None = "application/http; msgtype=response",
    payload: bytes | None = None,
    digest_format: DigestFormat | None = "hex",
    extra: Headers = (),
    version: str = "WARC/1.1",
    compress: bool = True,
) -> bytes:
    """One WARC record.

    ``payload``, when given, is what WARC-Payload-Digest is computed over (for a response: the
    bytes after the HTTP head). ``digest_format=None`` writes no digests at all.
    """
    headers: list[tuple[str, str]] = [
        ("WARC-Type", warc_type),
        ("WARC-Record-ID", record_id or f"<urn:uuid:{uuid.uuid4()}>"),
        ("WARC-Date", date),
    ]
    if target_uri is not None:
        headers.append(("WARC-Target-URI", target_uri))
    if content_type is not None:
        headers.append(("Content-Type", content_type))
    headers.extend(extra)
    if digest_format is not None:
        headers.append(("WARC-Block-Digest", sha256_digest(block, digest_format)))
        if payload is not None:
            headers.append(("WARC-Payload-Digest", sha256_digest(payload, digest_format)))
    headers.append(("Content-Length", str(len(block))))
    head = version + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    data = head.encode("utf-8") + block + b"\r\n\r\n"
    return gzip.compress(data, mtime=0) if compress else data


def warcinfo(
    filename: str,
    *,
    date: str = "2026-11-25T03:12:00Z",
    digest_format: DigestFormat | None = "hex",
    compress: bool = True,
) -> bytes:
    """A warcinfo record naming ``filename``."""
    block = b"software: archiver-tests\r\nformat: WARC File Format 1.1\r\n"
    return warc_record(
        "warcinfo",
        block,
        date=date,
        content_type="application/warc-fields",
        extra=[("WARC-Filename", filename)],
        digest_format=digest_format,
        compress=compress,
    )
