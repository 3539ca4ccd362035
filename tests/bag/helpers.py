"""Builders shared by the bag and fixity tests: small WARCs, collections, tree snapshots."""

from __future__ import annotations

import hashlib
import io
import sqlite3
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver.collection import Collection


def chunked(body: bytes, size: int = 700) -> bytes:
    """``body`` in HTTP chunked transfer coding."""
    out = bytearray()
    for start in range(0, len(body), size):
        piece = body[start : start + size]
        out += b"%x\r\n" % len(piece) + piece + b"\r\n"
    return bytes(out + b"0\r\n\r\n")


def write_warc(path: Path, *, pages: int = 3, transfer_chunked: bool = True) -> list[str]:
    """A WARC/1.1, gzip per record: warcinfo plus ``pages`` responses; returns the URIs."""
    uris = []
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True, warc_version="1.1")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "tests"}))
        for i in range(pages):
            uri = f"http://news.example/article-{i}"
            body = (f"<html><p>article {i}</p>" + "lorem ipsum " * 300 + "</html>").encode()
            headers = [("Content-Type", "text/html; charset=utf-8")]
            if transfer_chunked:
                headers.append(("Transfer-Encoding", "chunked"))
                body = chunked(body)
            else:
                headers.append(("Content-Length", str(len(body))))
            http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
            record = writer.create_warc_record(
                uri, "response", payload=io.BytesIO(body), length=len(body), http_headers=http
            )
            writer.write_record(record)
            uris.append(uri)
    return uris


def make_collection(root: Path, *, name: str = "karen-news", warcs: int = 2) -> Collection:
    """A collection folder like the capture layer makes, with real WARCs."""
    col = Collection.create(root, name=name, description="Articles from an exile newsroom")
    for i in range(warcs):
        write_warc(col.archive_dir / f"{col.file_prefix}-{i:05d}.warc.gz", pages=3 + i)
    col.index_path.write_text("news,example)/article-0 20260101000000 {}\n")
    col.pages_path.write_text('{"format": "json-pages-1.0"}\n{"url": "http://news.example/"}\n')
    col.articles_path.write_text('{"id": "a1", "title": "Première"}\n')
    with sqlite3.connect(col.catalog_path) as conn:
        conn.execute("CREATE TABLE captures (url TEXT)")
        conn.execute("INSERT INTO captures VALUES ('http://news.example/')")
    conn.close()
    return col


def snapshot(root: Path, *, skip: tuple[str, ...] = ()) -> dict[str, tuple[int, int, str]]:
    """Every file below ``root``: size, mtime (ns) and sha256 — to prove nothing changed."""
    result = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and rel not in skip:
            stat = path.stat()
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            result[rel] = (stat.st_size, stat.st_mtime_ns, digest)
    return result
