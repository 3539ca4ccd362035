"""Turning one HTTP exchange into WARC record specifications.

A response becomes a ``request`` + ``response`` pair linked both ways by WARC-Concurrent-To,
or a ``request`` + ``revisit`` pair when the payload was stored before; a page also gets a
``metadata`` record (its outlinks and fetch timings) concurrent to its response.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from archiver.capture.exchange import Exchange
from archiver.catalog import StoredRecord
from archiver.indexes import url_key
from archiver.model import RecordLocation
from archiver.postkey import append_query, post_query
from archiver.warc.writer import (
    RecordSpec,
    format_digest,
    new_record_id,
    warc_date,
    warc_fields,
)

__all__ = [
    "REVISIT_PROFILE",
    "exchange_records",
    "fields_record",
    "metadata_record",
    "payload_compress_level",
    "stored",
]

REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"

# Payloads already compressed by their format: deflate cannot shrink them (measured: JPEG to
# 0.991 of its size, WOFF2 to 0.9996), so their gzip members store them (level 0), which costs
# a quarter of the CPU.  PNG and GIF are left out: deflate still takes ~10-20% off many of them.
_COMPRESSED_TYPES = frozenset(
    {
        "image/jpeg",
        "image/pjpeg",
        "image/webp",
        "image/avif",
        "image/heic",
        "image/heif",
        "image/jxl",
        "font/woff",
        "font/woff2",
        "application/font-woff",
        "application/font-woff2",
        "application/zip",
        "application/gzip",
        "application/x-gzip",
        "application/x-7z-compressed",
        "application/x-xz",
        "application/zstd",
        "application/x-bzip2",
        "application/vnd.rar",
        "application/epub+zip",
    }
)
_COMPRESSED_PREFIXES = ("video/", "audio/")
_STORED_ENCODINGS = frozenset({"gzip", "x-gzip", "br", "deflate", "zstd", "compress"})


def payload_compress_level(ex: Exchange) -> int:
    """The zlib level for ``ex``'s response record: 0 for payloads compressed already."""
    if ex.content_encoding in _STORED_ENCODINGS:
        return 0
    ctype = ex.content_type
    if ctype in _COMPRESSED_TYPES or ctype.startswith(_COMPRESSED_PREFIXES):
        return 0
    return 6


def exchange_records(
    ex: Exchange, *, algorithm: str, original: StoredRecord | None = None
) -> tuple[RecordSpec, RecordSpec]:
    """The request record and the response (or, with ``original``, revisit) record."""
    date = warc_date(ex.date)
    request_id, response_id = new_record_id(), new_record_id()
    payload_digest = format_digest(algorithm, ex.payload_digest.digest())
    common = [("WARC-Target-URI", ex.url), ("WARC-Date", date)]
    request = RecordSpec(
        rec_type="request",
        headers=[*common, ("WARC-Concurrent-To", response_id)],
        block=ex.request,
        length=len(ex.request),
        content_type="application/http;msgtype=request",
        block_digest=format_digest(algorithm, ex.request_digest.digest()),
        record_id=request_id,
    )
    headers = [*common, ("WARC-IP-Address", ex.ip_address), ("WARC-Concurrent-To", request_id)]
    if original is None:
        headers.append(("WARC-Payload-Digest", payload_digest))
        if ex.truncated:
            headers.append(("WARC-Truncated", ex.truncated))
        response = RecordSpec(
            rec_type="response",
            headers=headers,
            block=ex.iter_block(),
            length=ex.response_length,
            content_type="application/http;msgtype=response",
            block_digest=format_digest(algorithm, ex.block_digest.digest()),
            record_id=response_id,
            compress_level=payload_compress_level(ex),
        )
    else:
        head = ex.head_bytes()
        headers += [
            ("WARC-Profile", REVISIT_PROFILE),
            ("WARC-Refers-To", original.record_id),
            ("WARC-Refers-To-Target-URI", original.url),
            ("WARC-Refers-To-Date", original.date),
            ("WARC-Payload-Digest", payload_digest),
        ]
        response = RecordSpec(
            rec_type="revisit",
            headers=headers,
            block=head,
            length=len(head),
            content_type="application/http;msgtype=response",
            block_digest=format_digest(algorithm, hashlib.new(algorithm, head).digest()),
            record_id=response_id,
        )
    return request, response


def metadata_record(
    ex: Exchange,
    response: RecordSpec,
    *,
    outlinks: Sequence[tuple[str, str]],
    requisites: Sequence[tuple[str, str]],
    via: str | None,
    extra_fields: Sequence[tuple[str, str]] = (),
    kind: str | None = None,
    title: str | None = None,
) -> RecordSpec:
    """A ``metadata`` record (application/warc-fields) describing a captured page;
    ``extra_fields`` (what the browser did) follow its links.

    ``captureKind`` (``page``, ``frame``, ``redirect``) and ``title`` say what the collection
    lists, so that its catalog and pages list can be rebuilt from the WARC files alone.
    """
    t = ex.timings
    fields: list[tuple[str, str]] = []
    if kind:
        fields.append(("captureKind", kind))
    if title:
        fields.append(("title", title))
    if via:
        fields.append(("via", via))
    fields += [
        ("fetchTimeMs", f"{t.total * 1000:.0f}"),
        ("connectTimeMs", f"{t.connect * 1000:.0f}"),
        ("firstByteTimeMs", f"{t.first_byte * 1000:.0f}"),
        ("connectionReused", "true" if t.reused_connection else "false"),
    ]
    fields += [("outlink", f"{u} {how}") for u, how in outlinks]
    fields += [("requisite", f"{u} {how}") for u, how in requisites]
    fields += extra_fields
    return fields_record(ex, response, fields)


def fields_record(
    ex: Exchange, response: RecordSpec, fields: Sequence[tuple[str, str]]
) -> RecordSpec:
    """A ``metadata`` record of ``fields`` (application/warc-fields) about ``ex``'s response."""
    body = warc_fields(fields)
    return RecordSpec(
        rec_type="metadata",
        headers=[
            ("WARC-Target-URI", ex.url),
            ("WARC-Date", warc_date(ex.date)),
            ("WARC-Concurrent-To", response.record_id),
        ],
        block=body,
        length=len(body),
        content_type="application/warc-fields",
    )


def _request_body_key(ex: Exchange) -> tuple[str | None, str | None]:
    """(method, body as the index key carries it) of a request other than GET."""
    if ex.method == "GET":
        return None, None
    head, _, body = ex.request.partition(b"\r\n\r\n")
    ctype = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-type":
            ctype = value.strip().decode("latin-1")
    return ex.method, post_query(ex.method, ctype, body)


def stored(
    spec: RecordSpec,
    loc: RecordLocation,
    ex: Exchange,
    *,
    algorithm: str,
    refers_to: str | None = None,
) -> StoredRecord:
    """The catalog row describing a written record.

    Records about the exchange carry its URL; a ``resource`` record of the browser's
    evidence (screenshot, rendered DOM) carries its own ``urn:`` URI, media type and digest.
    """
    if spec.rec_type == "resource":
        uri = next((v for k, v in spec.headers if k == "WARC-Target-URI"), ex.url)
        date = next((v for k, v in spec.headers if k == "WARC-Date"), warc_date(ex.date))
        return StoredRecord(
            record_id=spec.record_id,
            filename=loc.filename,
            offset=loc.offset,
            length=loc.length,
            type="resource",
            url=uri,
            urlkey=url_key(uri),
            date=date,
            status=None,
            mime=(spec.content_type or "").split(";", 1)[0].strip() or None,
            payload_digest=spec.block_digest,
            payload_length=spec.length,
        )
    is_response = spec.rec_type in ("response", "revisit")
    method, body_key = _request_body_key(ex) if is_response else (None, None)
    key_url = append_query(ex.url, method, body_key or "") if method else ex.url
    return StoredRecord(
        record_id=spec.record_id,
        filename=loc.filename,
        offset=loc.offset,
        length=loc.length,
        type=spec.rec_type,
        url=ex.url,
        urlkey=url_key(key_url),
        date=warc_date(ex.date),
        status=ex.status if is_response else None,
        mime=ex.content_type or None if is_response else None,
        payload_digest=format_digest(algorithm, ex.payload_digest.digest())
        if is_response
        else None,
        payload_length=ex.payload_length if is_response else None,
        refers_to=refers_to,
        method=method,
        request_body=body_key,
    )
