"""WARC and ARC files in the forms other tools write, built here byte by byte.

Nothing is copied from another project: each builder writes the form from the WARC 1.1 and
ARC 1.0 specifications (or the variation a known tool makes) around one article page.
"""

from __future__ import annotations

import gzip
import hashlib
from base64 import b32encode
from pathlib import Path

from tests.extract.warcs import ARTICLE_HTML

URL = "https://news.example.org/2024/05/flood"
PAGE = ARTICLE_HTML.encode()


def http_response(body: bytes = PAGE, *, extra: list[tuple[str, str]] | None = None) -> bytes:
    head = [("Content-Type", "text/html; charset=utf-8"), *(extra or [])]
    if not any(k.lower() == "transfer-encoding" for k, _ in head):
        head.append(("Content-Length", str(len(body))))
    lines = "".join(f"{k}: {v}\r\n" for k, v in head)
    return f"HTTP/1.1 200 OK\r\n{lines}\r\n".encode() + body


def sha1_b32(data: bytes) -> str:
    return "sha1:" + b32encode(hashlib.sha1(data).digest()).decode()


def record(
    block: bytes,
    *,
    rec_type: str = "response",
    url: str = URL,
    date: str = "2024-05-01T10:00:00Z",
    record_id: str | None = "<urn:uuid:6c1b7a58-1d0f-4e0e-9a11-000000000001>",
    content_type: str = "application/http; msgtype=response",
    version: str = "WARC/1.1",
    eol: bytes = b"\r\n",
    extra: list[tuple[str, str]] | None = None,
    length: int | None = None,
) -> bytes:
    """One WARC record: the header lines (ended by ``eol``), the block, two line ends."""
    fields = [("WARC-Type", rec_type)]
    if record_id is not None:
        fields.append(("WARC-Record-ID", record_id))
    fields += [("WARC-Date", date), ("WARC-Target-URI", url), ("Content-Type", content_type)]
    fields += extra or []
    fields.append(("Content-Length", str(len(block) if length is None else length)))
    head = version.encode() + eol + b"".join(f"{k}: {v}".encode() + eol for k, v in fields)
    return head + eol + block + b"\r\n\r\n"


def warcinfo(eol: bytes = b"\r\n") -> bytes:
    return record(
        b"software: hand-written test file\r\n",
        rec_type="warcinfo",
        url="",
        content_type="application/warc-fields",
        record_id="<urn:uuid:6c1b7a58-1d0f-4e0e-9a11-000000000000>",
        eol=eol,
    ).replace(b"WARC-Target-URI: " + eol, b"")


def write(path: Path, records: list[bytes], *, gz: str = "record") -> Path:
    """Write ``records``: ``gz`` "record" (one gzip member each), "whole" (one gzip stream for
    the file) or "none" (plain)."""
    if gz == "record":
        path.write_bytes(b"".join(gzip.compress(r) for r in records))
    elif gz == "whole":
        path.write_bytes(gzip.compress(b"".join(records)))
    else:
        path.write_bytes(b"".join(records))
    return path


def arc_file(path: Path, *, gz: bool) -> Path:
    """An ARC 1.0 file (version block, then one HTTP response), each record gzip-compressed
    on its own when ``gz``, as the Internet Archive's crawlers wrote them."""
    name = path.name.removesuffix(".gz")
    info = b"1 0 Hand-written test\nURL IP-address Archive-date Content-type Archive-length\n"
    first = f"filedesc://{name} 0.0.0.0 20240501100000 text/plain {len(info)}\n".encode() + info
    body = http_response()
    second = f"{URL} 192.0.2.1 20240501100000 text/html {len(body)}\n".encode() + body
    parts = [first + b"\n", second + b"\n"]
    data = b"".join(gzip.compress(p) for p in parts) if gz else b"".join(parts)
    path.write_bytes(data)
    return path
