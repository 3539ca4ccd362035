"""Prove the interop harness on WARC files written here with warcio itself.

One WARC holds a warcinfo record, an HTML response with its request record, a PNG response and
a response sent with ``Transfer-Encoding: chunked`` and ``Content-Encoding: gzip``, stored
exactly as it came over the wire. warcio check, cdxj-indexer and pywb must all accept it, and
the harness must notice a WARC that was damaged.
"""

from __future__ import annotations

import gzip
import io
import socket
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from tests.interop import tools
from tests.interop.rawwarc import chunked, http_response
from tests.interop.tools import (
    CdxjLine,
    PywbReplay,
    ToolError,
    assert_cdxj_indexes,
    assert_warcio_check,
    cdxj_index,
    warcio_check,
)

HTML_URL = "http://example.test/article"
IMAGE_URL = "http://example.test/pixel.png"
CHUNKED_URL = "http://example.test/chunked"
TIMESTAMP = "20261125031200"
WARC_DATE = "2026-11-25T03:12:00.123456Z"

HTML = (
    b"<!doctype html><html><head><title>Interop</title></head><body>"
    b"<h1>Harness</h1><p>Paragraph one.</p><img src='/pixel.png'></body></html>"
)
CHUNKED_HTML = (
    b"<!doctype html><html><head><title>Chunked</title></head><body>"
    + b"<p>chunked and gzipped text</p>" * 40
    + b"</body></html>"
)


def _png() -> bytes:
    """A valid 1x1 red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00\xff\x00\x00")
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


PNG = _png()
GZIPPED = gzip.compress(CHUNKED_HTML, mtime=0)


CHUNKED_BODY = chunked(GZIPPED, 40)  # the bytes after the HTTP head, framing included
CHUNKED_WIRE = http_response(
    "200 OK",
    [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Encoding", "gzip"),
        ("Transfer-Encoding", "chunked"),
    ],
    CHUNKED_BODY,
)
HTML_WIRE = http_response(
    "200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(HTML)))], HTML
)
PNG_WIRE = http_response(
    "200 OK", [("Content-Type", "image/png"), ("Content-Length", str(len(PNG)))], PNG
)
REQUEST_WIRE = b"GET /article HTTP/1.1\r\nHost: example.test\r\nUser-Agent: interop-test\r\n\r\n"


def _write_site(path: Path, *, gzip_records: bool = True) -> None:
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=gzip_records, warc_version="1.1")
        writer.write_record(
            writer.create_warcinfo_record(
                path.name, {"software": "interop-test", "format": "WARC 1.1"}
            )
        )
        date = {"WARC-Date": WARC_DATE}
        for url, wire in (
            (HTML_URL, HTML_WIRE),
            (IMAGE_URL, PNG_WIRE),
            (CHUNKED_URL, CHUNKED_WIRE),
        ):
            # No http_headers given: warcio parses the head out of the wire bytes and keeps the
            # body as is, so chunk framing and gzip bytes land in the record untouched.
            response = writer.create_warc_record(
                url, "response", payload=io.BytesIO(wire), length=len(wire), warc_headers_dict=date
            )
            writer.write_record(response)
            if url == HTML_URL:
                request = writer.create_warc_record(
                    url,
                    "request",
                    payload=io.BytesIO(REQUEST_WIRE),
                    length=len(REQUEST_WIRE),
                    warc_headers_dict={
                        **date,
                        "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
                    },
                )
                writer.write_record(request)


@dataclass(frozen=True)
class Warcs:
    site: Path  # gzip per record
    plain: Path  # same records, uncompressed
    flipped_plain: Path  # plain with one body byte changed
    flipped_gzip: Path  # site with one compressed byte changed


@pytest.fixture(scope="module")
def warcs(tmp_path_factory: pytest.TempPathFactory) -> Warcs:
    root = tmp_path_factory.mktemp("warcs")
    site, plain = root / "site.warc.gz", root / "plain.warc"
    _write_site(site)
    _write_site(plain, gzip_records=False)

    data = bytearray(plain.read_bytes())
    at = data.index(b"Paragraph one.")
    data[at] ^= 0x20  # "P" -> "p": same length, so only the digests can tell
    flipped_plain = root / "flipped.warc"
    flipped_plain.write_bytes(bytes(data))

    gz = bytearray(site.read_bytes())
    gz[len(gz) // 2] ^= 0xFF
    flipped_gzip = root / "flipped.warc.gz"
    flipped_gzip.write_bytes(bytes(gz))
    return Warcs(site, plain, flipped_plain, flipped_gzip)


@pytest.fixture(scope="module")
def pywb(warcs: Warcs) -> Iterator[PywbReplay]:
    with PywbReplay([warcs.site]) as server:
        yield server


# --------------------------------------------------------------------------- the test data


def test_chunked_record_holds_the_wire_bytes(warcs: Warcs) -> None:
    """The fixture is what it claims: the chunked response is stored byte for byte."""
    assert CHUNKED_WIRE in warcs.plain.read_bytes()
    with warcs.site.open("rb") as fh:
        types = [r.rec_type for r in ArchiveIterator(fh)]
    assert types == ["warcinfo", "response", "request", "response", "response"]


# --------------------------------------------------------------------------- warcio check


@pytest.mark.parametrize("name", ["site", "plain"])
def test_warcio_check_passes(warcs: Warcs, name: str) -> None:
    result = assert_warcio_check(getattr(warcs, name), require_digests=True)
    assert [r.record_type for r in result.records] == [
        "warcinfo",
        "response",
        "request",
        "response",
        "response",
    ]
    assert all(r.passed for r in result.records)
    assert result.errors == ()


def test_warcio_check_reports_flipped_body_byte(warcs: Warcs) -> None:
    result = warcio_check(warcs.flipped_plain)
    assert not result.ok
    failed = [r for r in result.records if r.failed]
    assert len(failed) == 1
    assert failed[0].record_type == "response"
    assert any(m.startswith("payload digest failed") for m in failed[0].messages)
    assert any(m.startswith("block digest failed") for m in failed[0].messages)
    assert "digest failed" in result.output


def test_warcio_check_reports_damaged_gzip(warcs: Warcs) -> None:
    result = warcio_check(warcs.flipped_gzip)
    assert not result.ok
    assert result.errors or any(r.failed for r in result.records), result.output


def test_assert_warcio_check_fails_with_output(warcs: Warcs) -> None:
    with pytest.raises(pytest.fail.Exception, match="digest failed"):
        assert_warcio_check(warcs.flipped_plain)


def test_warcio_check_judges_each_file(warcs: Warcs) -> None:
    result = warcio_check([warcs.site, warcs.flipped_plain])
    assert not result.ok
    assert {r.path for r in result.records if r.failed} == {str(warcs.flipped_plain)}


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        warcio_check(tmp_path / "absent.warc.gz")


# --------------------------------------------------------------------------- cdxj-indexer


def test_cdxj_indexer_indexes_every_response(warcs: Warcs) -> None:
    lines = assert_cdxj_indexes(warcs.site, expect_urls=[HTML_URL, IMAGE_URL, CHUNKED_URL])
    by_url = {x.url: x for x in lines}
    assert by_url[HTML_URL].surt == "test,example)/article"
    assert by_url[IMAGE_URL].fields["mime"] == "image/png"
    assert by_url[CHUNKED_URL].fields["status"] == "200"
    # Microseconds in WARC-Date are dropped from the 14-digit CDXJ timestamp.
    assert {x.timestamp for x in lines} == {TIMESTAMP}
    assert {x.filename for x in lines} == {"site.warc.gz"}


def test_cdxj_offsets_point_at_records(warcs: Warcs) -> None:
    data = warcs.site.read_bytes()
    for line in cdxj_index(warcs.site):
        member = data[line.offset : line.offset + line.length]
        record = next(iter(ArchiveIterator(io.BytesIO(member))))
        assert record.rec_headers.get_header("WARC-Target-URI") == line.url


def test_cdxj_all_records(warcs: Warcs) -> None:
    lines = cdxj_index(warcs.site, records="all")
    assert len(lines) == 5  # warcinfo and request too


def test_assert_cdxj_indexes_names_missing_url(warcs: Warcs) -> None:
    with pytest.raises(pytest.fail.Exception, match="did not index"):
        assert_cdxj_indexes(warcs.site, expect_urls=["http://example.test/absent"])


@pytest.mark.parametrize(
    "bad", ["", "com,example)/ 2026", "com,example)/ 20261125031200 [1]", "a b {not json"]
)
def test_cdxj_line_rejects_garbage(bad: str) -> None:
    with pytest.raises(ValueError):
        CdxjLine.parse(bad)


def test_cdxj_indexer_failure_is_a_tool_error(tmp_path: Path) -> None:
    # (Plain junk is not enough: cdxj-indexer reads a text line as an ARC header and indexes it.)
    junk = tmp_path / "junk.warc"
    junk.write_bytes(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 99\r\n\r\nshort")
    with pytest.raises(ToolError, match="cdxj-indexer"):
        cdxj_index(junk)


# --------------------------------------------------------------------------- pywb


def test_pywb_lists_captures(pywb: PywbReplay) -> None:
    captures = pywb.cdx(HTML_URL)
    assert [(c["timestamp"], c["status"], c["filename"]) for c in captures] == [
        (TIMESTAMP, "200", "site.warc.gz")
    ]
    assert pywb.cdx("http://example.test/absent") == []


def test_pywb_id_mode_gives_archived_html(pywb: PywbReplay) -> None:
    status, headers, body = pywb.get(HTML_URL, mode="id_", timestamp=TIMESTAMP)
    assert status == 200
    assert body == HTML
    assert headers["Content-Type"] == "text/html"
    assert headers["Memento-Datetime"] == "Wed, 25 Nov 2026 03:12:00 GMT"


def test_pywb_id_mode_gives_image_bytes(pywb: PywbReplay) -> None:
    status, headers, body = pywb.get(IMAGE_URL, mode="id_")
    assert (status, headers["Content-Type"], body) == (200, "image/png", PNG)


def test_pywb_id_mode_gives_archived_gzip_bytes(pywb: PywbReplay) -> None:
    # Asked to accept gzip, pywb hands back the archived gzip stream untouched (it strips only
    # the chunk framing, which no HTTP client could see anyway).
    status, headers, body = pywb.get(CHUNKED_URL, mode="id_", accept_encoding="gzip")
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert headers["X-Archive-Orig-Transfer-Encoding"] == "chunked"
    assert body == GZIPPED


def test_pywb_id_mode_decodes_for_identity_clients(pywb: PywbReplay) -> None:
    status, headers, body = pywb.get(CHUNKED_URL, mode="id_")
    assert status == 200
    assert headers["Content-Encoding"] is None
    assert headers["X-Archive-Orig-Content-Encoding"] == "gzip"
    assert body == CHUNKED_HTML


def test_pywb_mp_mode_gives_decoded_rewritten_html(pywb: PywbReplay) -> None:
    status, headers, body = pywb.get(CHUNKED_URL, mode="mp_", timestamp=TIMESTAMP)
    assert status == 200
    assert headers["Content-Type"].startswith("text/html")
    text = body.decode("utf-8")
    assert text.count("<p>chunked and gzipped text</p>") == 40
    assert "wbinfo" in text  # pywb's rewriting insert: this is replay, not a pass-through


def test_pywb_mp_mode_rewrites_links(pywb: PywbReplay) -> None:
    status, _headers, body = pywb.get(HTML_URL, mode="mp_", timestamp=TIMESTAMP)
    assert status == 200
    assert f"/{pywb.coll}/{TIMESTAMP}im_/http://example.test/pixel.png".encode() in body


def test_pywb_unknown_url_is_404(pywb: PywbReplay) -> None:
    status, _headers, _body = pywb.get("http://example.test/absent", mode="id_")
    assert status == 404


def test_pywb_add_to_running_server(pywb: PywbReplay, tmp_path: Path) -> None:
    extra = tmp_path / "extra.warc.gz"
    with extra.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True, warc_version="1.1")
        wire = http_response(
            "200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")], b"extra"
        )
        writer.write_record(
            writer.create_warc_record(
                "http://example.test/extra", "response", payload=io.BytesIO(wire), length=len(wire)
            )
        )
    pywb.add([extra])
    assert pywb.get("http://example.test/extra").body == b"extra"
    with pytest.raises(ToolError, match="already in collection"):
        pywb.add([extra])


def test_pywb_refuses_foreign_urls(pywb: PywbReplay) -> None:
    with pytest.raises(ValueError, match="refusing"):
        pywb.fetch("http://example.test/")


def test_pywb_server_stops_on_exit() -> None:
    with PywbReplay(coll="other") as server:  # an empty collection starts quicker
        port, root = server.port, server.root
        assert server.get(IMAGE_URL).status == 404
        proc = server._proc
        assert proc is not None
    assert proc.poll() is not None
    assert root is not None and not root.exists()
    assert port is not None
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()


def test_pywb_start_timeout_is_an_error() -> None:
    # A zero start timeout makes the wait give up at once; the server must still be stopped.
    replay = PywbReplay(start_timeout=0.0)
    with pytest.raises(ToolError, match="did not answer"), replay:
        pass
    assert replay._proc is None
    assert replay.root is not None and not replay.root.exists()


def test_pywb_early_exit_shows_server_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "wayback"
    fake.write_text("#!/bin/sh\necho 'boom: cannot start' >&2\nexit 3\n")
    fake.chmod(0o755)
    real = tools.console_script
    monkeypatch.setattr(
        tools, "console_script", lambda name: fake if name == "wayback" else real(name)
    )
    expected = r"(?s)exited with status 3.*boom: cannot start"
    with pytest.raises(ToolError, match=expected), PywbReplay():
        pass
