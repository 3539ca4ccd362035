"""Pin what warcio, cdxj-indexer and pywb actually accept, so the project's WARC writer can rely
on it and a tool upgrade that changes it is noticed.

The measured answers, with the record layouts, are written up for the team in the interop
findings note; each test here is one of those measurements, on records built byte for byte.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.interop.rawwarc import (
    DigestFormat,
    chunked,
    http_response,
    warc_record,
    warcinfo,
)
from tests.interop.tools import (
    IncompleteReplay,
    PywbReplay,
    cdxj_index,
    warcio_check,
)

ORIG_DATE = "2026-11-25T03:12:00Z"
ORIG_TS = "20261125031200"
REVISIT_DATE = "2026-11-26T04:00:00Z"
REVISIT_TS = "20261126040000"
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"


def _page(tag: str) -> bytes:
    return f"<html><body><p>original body {tag}</p></body></html>".encode()


def _response(
    url: str,
    body: bytes,
    *,
    fmt: DigestFormat = "hex",
    date: str = ORIG_DATE,
    record_id: str | None = None,
) -> bytes:
    block = http_response(
        "200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(body)))], body
    )
    return warc_record(
        "response",
        block,
        target_uri=url,
        payload=body,
        digest_format=fmt,
        date=date,
        record_id=record_id,
    )


def _revisit(url: str, original_url: str, body: bytes, *, fmt: DigestFormat = "hex") -> bytes:
    # The block is the HTTP head only; the payload digest is the original body's.
    head = http_response(
        "200 OK",
        [("Content-Type", "text/html"), ("Content-Length", str(len(body))), ("X-Revisit", "yes")],
        b"",
    )
    return warc_record(
        "revisit",
        head,
        target_uri=url,
        payload=body,
        digest_format=fmt,
        date=REVISIT_DATE,
        extra=[
            ("WARC-Profile", REVISIT_PROFILE),
            ("WARC-Refers-To-Target-URI", original_url),
            ("WARC-Refers-To-Date", ORIG_DATE),
        ],
    )


def _write(root: Path, name: str, *records: bytes) -> Path:
    path = root / name
    path.write_bytes(warcinfo(name) + b"".join(records))
    return path


# --------------------------------------------------------------------------- warcio check


@pytest.mark.parametrize(
    ("fmt", "passes"),
    [
        ("hex", True),
        ("HEX", True),
        ("base32", True),
        # warcio takes a value shorter than its own base32 for base64:
        pytest.param("base32-unpadded", False, marks=pytest.mark.broken_warcs),
        # and compares base32 case-sensitively:
        pytest.param("base32-lower", False, marks=pytest.mark.broken_warcs),
    ],
)
def test_warcio_digest_encodings(tmp_path: Path, fmt: DigestFormat, passes: bool) -> None:
    body = _page(fmt)
    path = tmp_path / "a.warc.gz"
    path.write_bytes(_response("http://ex.test/a", body, fmt=fmt))
    result = warcio_check(path)
    assert result.ok is passes, result.output


@pytest.mark.parametrize(
    ("over", "passes"),
    [
        ("raw", True),
        pytest.param("dechunked", False, marks=pytest.mark.broken_warcs),
        pytest.param("decoded", False, marks=pytest.mark.broken_warcs),
    ],
)
def test_warcio_payload_digest_of_chunked_body_is_over_raw_bytes(
    tmp_path: Path, over: str, passes: bool
) -> None:
    html = b"<html><body>" + b"<p>chunked</p>" * 100 + b"</body></html>"
    gz = gzip.compress(html, mtime=0)
    raw = chunked(gz, 64)
    block = http_response(
        "200 OK",
        [
            ("Content-Type", "text/html"),
            ("Content-Encoding", "gzip"),
            ("Transfer-Encoding", "chunked"),
        ],
        raw,
    )
    payload = {"raw": raw, "dechunked": gz, "decoded": html}[over]
    path = tmp_path / "b.warc.gz"
    path.write_bytes(warc_record("response", block, target_uri="http://ex.test/b", payload=payload))
    result = warcio_check(path)
    assert result.ok is passes, result.output


def test_warcio_never_checks_revisit_digests(tmp_path: Path) -> None:
    path = tmp_path / "r.warc.gz"
    record = _revisit("http://ex.test/r", "http://ex.test/r", _page("r"))
    # Even a wrong block digest goes unnoticed: warcio skips revisits entirely.
    broken = gzip.compress(gzip.decompress(record).replace(b"X-Revisit: yes", b"X-Revisit: no!"))
    path.write_bytes(broken)
    result = warcio_check(path)
    assert result.ok
    assert result.records[0].messages == ("digest present but not checked (revisit)",)


def test_cdxj_timestamp_drops_microseconds(tmp_path: Path) -> None:
    path = tmp_path / "c.warc.gz"
    path.write_bytes(_response("http://ex.test/c", _page("c"), date="2026-11-25T03:12:00.123456Z"))
    assert warcio_check(path).ok
    (line,) = cdxj_index(path)
    assert line.timestamp == ORIG_TS


def test_cdxj_default_skips_request_and_metadata(tmp_path: Path) -> None:
    rid = "<urn:uuid:00000000-0000-4000-8000-0000000000e1>"
    path = _write(
        tmp_path,
        "e.warc.gz",
        _response("http://ex.test/e", _page("e"), record_id=rid),
        warc_record(
            "request",
            b"GET /e HTTP/1.1\r\nHost: ex.test\r\n\r\n",
            target_uri="http://ex.test/e",
            content_type="application/http; msgtype=request",
            extra=[("WARC-Concurrent-To", rid)],
        ),
        warc_record(
            "metadata",
            b"outlinks: http://ex.test/x.css E link/@href\r\n",
            target_uri="http://ex.test/e",
            content_type="application/warc-fields",
            extra=[("WARC-Concurrent-To", rid)],
        ),
    )
    assert [x.fields.get("mime") for x in cdxj_index(path)] == ["text/html"]
    all_mimes = sorted(str(x.fields.get("mime")) for x in cdxj_index(path, records="all"))
    assert all_mimes == ["None", "application/warc-fields", "application/warc-fields", "text/html"]


# --------------------------------------------------------------------------- pywb


@pytest.fixture(scope="module")
def replay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PywbReplay]:
    root = tmp_path_factory.mktemp("findings")
    files = [
        # revisit in another file, same digest string: replays as the revisit
        _write(root, "d1-orig.warc.gz", _response("http://ex.test/d1-a", _page("d1"))),
        _write(
            root,
            "d1-rev.warc.gz",
            _revisit("http://ex.test/d1-b", "http://ex.test/d1-a", _page("d1")),
        ),
        # same hash, different encodings: the original cannot be found
        _write(
            root, "d9-orig.warc.gz", _response("http://ex.test/d9-a", _page("d9"), fmt="base32")
        ),
        _write(
            root,
            "d9-rev.warc.gz",
            _revisit("http://ex.test/d9-b", "http://ex.test/d9-a", _page("d9")),
        ),
        # same URL, different encodings: pywb silently serves the original capture instead
        _write(root, "d2-orig.warc.gz", _response("http://ex.test/d2", _page("d2"), fmt="base32")),
        _write(
            root, "d2-rev.warc.gz", _revisit("http://ex.test/d2", "http://ex.test/d2", _page("d2"))
        ),
        # metadata record first in its file, same URL and date as the response
        _write(
            root,
            "e2.warc.gz",
            warc_record(
                "metadata",
                b"via: http://ex.test/\r\n",
                target_uri="http://ex.test/e2",
                content_type="application/warc-fields",
            ),
            _response("http://ex.test/e2", _page("e2")),
        ),
        # truncated body that kept the wire Content-Length
        _write(root, "f1.warc.gz", _truncated_response("http://ex.test/f1")),
        # two captures within one second
        _write(
            root,
            "c1.warc.gz",
            _response("http://ex.test/c", _page("first"), date="2026-11-25T03:12:00.100000Z"),
            _response("http://ex.test/c", _page("second"), date="2026-11-25T03:12:00.900000Z"),
        ),
    ]
    with PywbReplay(files) as server:
        yield server


def _truncated_response(url: str) -> bytes:
    full = b"<html><body>" + b"<p>long text</p>" * 200 + b"</body></html>"
    stored = full[:1000]
    block = http_response(
        "200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(full)))], stored
    )
    return warc_record(
        "response",
        block,
        target_uri=url,
        payload=stored,
        extra=[("WARC-Truncated", "length")],
    )


def test_pywb_replays_revisit_from_another_file(replay: PywbReplay) -> None:
    status, headers, body = replay.get("http://ex.test/d1-b", "id_", REVISIT_TS)
    assert status == 200
    assert body == _page("d1")
    assert headers["X-Revisit"] == "yes"  # the revisit's own HTTP head
    assert headers["Memento-Datetime"] == "Thu, 26 Nov 2026 04:00:00 GMT"
    assert b"original body d1" in replay.get("http://ex.test/d1-b", "mp_", REVISIT_TS).body


def test_pywb_revisit_needs_identical_digest_string(replay: PywbReplay) -> None:
    status, _headers, body = replay.get("http://ex.test/d9-b", "id_", REVISIT_TS)
    assert status == 503
    assert b"Original for revisit record could not be loaded" in body


def test_pywb_falls_back_silently_when_revisit_fails(replay: PywbReplay) -> None:
    status, headers, body = replay.get("http://ex.test/d2", "id_", REVISIT_TS)
    assert status == 200
    assert body == _page("d2")
    # ...but it is the original capture that answered, not the revisit:
    assert headers["X-Revisit"] is None
    assert headers["Memento-Datetime"] == "Wed, 25 Nov 2026 03:12:00 GMT"


def test_pywb_ignores_metadata_records(replay: PywbReplay) -> None:
    assert [c["mime"] for c in replay.cdx("http://ex.test/e2")] == ["text/html"]
    assert replay.get("http://ex.test/e2", "id_", ORIG_TS).body == _page("e2")


def test_pywb_truncated_record_is_short_in_id_mode(replay: PywbReplay) -> None:
    with pytest.raises(IncompleteReplay) as info:
        replay.get("http://ex.test/f1", "id_", ORIG_TS)
    assert len(info.value.partial) == 1000
    status, headers, body = replay.get("http://ex.test/f1", "mp_", ORIG_TS)
    assert status == 200
    assert headers["X-Archive-Orig-Content-Length"] == "3226"
    assert body.count(b"<p>long text</p>") == (1000 - 12) // 16


def test_pywb_same_second_captures_collide(replay: PywbReplay) -> None:
    captures = replay.cdx("http://ex.test/c")
    assert [c["timestamp"] for c in captures] == [ORIG_TS, ORIG_TS]
    bodies = {replay.get("http://ex.test/c", "id_", ts).body for ts in (ORIG_TS, None)}
    assert len(bodies) == 1  # only one of the two captures can be reached
