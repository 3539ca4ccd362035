"""The streaming WARC record checker: digest forms, payload bases, damage, odd block sizes."""

from __future__ import annotations

import base64
import gzip
import hashlib
from pathlib import Path

import pytest

from archiver.warc.check import WarcChecker, check_warc
from tests.bag.helpers import chunked, write_warc

pytestmark = pytest.mark.broken_warcs


def _digest(data: bytes, form: str = "base32", algo: str = "sha1") -> str:
    raw = hashlib.new(algo, data).digest()
    if form == "base16":
        return f"{algo}:{raw.hex()}"
    if form == "base64":
        return f"{algo}:{base64.b64encode(raw).decode()}"
    return f"{algo}:{base64.b32encode(raw).decode()}"


def record(
    warc_type: str,
    block: bytes,
    *,
    uri: str = "http://news.example/",
    rid: str = "<urn:uuid:00000000-0000-0000-0000-000000000001>",
    block_digest: str | None = "auto",
    payload_digest: str | None = None,
    http: bool = True,
    extra: str = "",
) -> bytes:
    """One WARC/1.1 record, byte for byte."""
    headers = [
        "WARC/1.1",
        f"WARC-Type: {warc_type}",
        f"WARC-Record-ID: {rid}",
        "WARC-Date: 2026-01-01T00:00:00Z",
        f"WARC-Target-URI: {uri}",
        f"Content-Type: {'application/http; msgtype=response' if http else 'text/plain'}",
    ]
    if block_digest == "auto":
        block_digest = _digest(block)
    if block_digest:
        headers.append(f"WARC-Block-Digest: {block_digest}")
    if payload_digest:
        headers.append(f"WARC-Payload-Digest: {payload_digest}")
    if extra:
        headers.append(extra)
    headers.append(f"Content-Length: {len(block)}")
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + block + b"\r\n\r\n"


BODY = b"<html>" + b"chunked article text " * 200 + b"</html>"
HTTP_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nTransfer-Encoding: chunked\r\n\r\n"


def write(path: Path, records: list[bytes], *, compress: bool = True) -> Path:
    with open(path, "wb") as fh:
        for rec in records:
            fh.write(gzip.compress(rec) if compress else rec)
    return path


def test_warcio_records_verify_against_transmitted_body(tmp_path: Path) -> None:
    write_warc(tmp_path / "a.warc.gz", pages=3)
    result = check_warc(tmp_path / "a.warc.gz")
    assert result.ok and len(result.records) == 4
    responses = [r for r in result.records if r.warc_type == "response"]
    assert {(r.block.outcome, r.payload.outcome, r.payload.basis) for r in responses} == {
        ("ok", "ok", "transmitted")
    }


@pytest.mark.parametrize("form", ["base16", "base32", "base64"])
@pytest.mark.parametrize("algo", ["sha1", "sha256", "sha512"])
def test_digest_forms(tmp_path: Path, form: str, algo: str) -> None:
    body = chunked(BODY)
    block = HTTP_HEAD + body
    rec = record(
        "response",
        block,
        block_digest=_digest(block, form, algo),
        payload_digest=_digest(body, form, algo),
    )
    result = check_warc(write(tmp_path / "f.warc.gz", [rec]))
    assert result.ok
    assert result.records[0].block.algorithm == algo
    assert result.records[0].payload.basis == "transmitted"


def test_payload_digest_of_decoded_body_is_accepted_and_labelled(tmp_path: Path) -> None:
    block = HTTP_HEAD + chunked(BODY)
    rec = record("response", block, payload_digest=_digest(BODY))
    check = check_warc(write(tmp_path / "d.warc.gz", [rec])).records[0]
    assert check.ok
    assert (check.payload.outcome, check.payload.basis) == ("ok", "decoded")
    assert check.payload.actual_decoded == hashlib.sha1(BODY).hexdigest()


def test_payload_mismatch_names_both_candidates(tmp_path: Path) -> None:
    block = HTTP_HEAD + chunked(BODY)
    rec = record("response", block, payload_digest=_digest(b"something else"))
    check = check_warc(write(tmp_path / "m.warc.gz", [rec])).records[0]
    assert check.payload.outcome == "mismatch"
    assert check.payload.actual == hashlib.sha1(chunked(BODY)).hexdigest()
    assert check.payload.actual_decoded == hashlib.sha1(BODY).hexdigest()


def test_revisit_checks_block_only(tmp_path: Path) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n"
    rec = record("revisit", head, payload_digest=_digest(b"the original payload"))
    check = check_warc(write(tmp_path / "r.warc.gz", [rec])).records[0]
    assert check.ok
    assert (check.block.outcome, check.payload.outcome) == ("ok", "skipped")


def test_truncated_record_digest_covers_what_was_stored(tmp_path: Path) -> None:
    stored = BODY[:100]
    head = b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n"
    rec = record(
        "response", head + stored, payload_digest=_digest(stored), extra="WARC-Truncated: length"
    )
    check = check_warc(write(tmp_path / "t.warc.gz", [rec])).records[0]
    assert check.ok and check.payload.outcome == "ok"


def test_resource_record_payload_is_block(tmp_path: Path) -> None:
    rec = record("resource", b"plain text", payload_digest=_digest(b"plain text"), http=False)
    check = check_warc(write(tmp_path / "p.warc.gz", [rec])).records[0]
    assert check.ok and check.payload.basis == "block"


def test_unknown_algorithm_and_absent_digests(tmp_path: Path) -> None:
    recs = [
        record("resource", b"x", block_digest="md99:abcdef", http=False),
        record("resource", b"y", block_digest=None, http=False),
    ]
    checks = check_warc(write(tmp_path / "u.warc.gz", recs)).records
    assert [c.block.outcome for c in checks] == ["unsupported", "absent"]
    # a digest nobody can check fails its record, as warcio check fails it
    assert [c.ok for c in checks] == [False, True]


def _three(tmp_path: Path, *, compress: bool = True) -> Path:
    recs = [
        record(
            "response",
            HTTP_HEAD + chunked(BODY + bytes([i])),
            uri=f"http://news.example/{i}",
            rid=f"<urn:uuid:00000000-0000-0000-0000-00000000000{i}>",
        )
        for i in range(3)
    ]
    name = "three.warc.gz" if compress else "three.warc"
    return write(tmp_path / name, recs, compress=compress)


def _members(path: Path) -> list[int]:
    data = path.read_bytes()
    offsets, pos = [], 0
    while pos < len(data):
        offsets.append(pos)
        d = __import__("zlib").decompressobj(31)
        d.decompress(data[pos:])
        pos = len(data) - len(d.unused_data)
    return offsets


def test_offsets_are_gzip_member_offsets(tmp_path: Path) -> None:
    path = _three(tmp_path)
    assert [r.offset for r in check_warc(path).records] == _members(path)


def test_plain_warc_offsets(tmp_path: Path) -> None:
    path = _three(tmp_path, compress=False)
    result = check_warc(path)
    assert result.ok
    data = path.read_bytes()
    assert [r.offset for r in result.records] == [
        data.index(f"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-00000000000{i}>".encode())
        - len(b"WARC/1.1\r\nWARC-Type: response\r\n")
        for i in range(3)
    ]


@pytest.mark.parametrize("block_size", [1, 3, 7, 64, 4096])
def test_block_boundaries_do_not_matter(tmp_path: Path, block_size: int) -> None:
    path = _three(tmp_path)
    reference = check_warc(path)
    assert check_warc(path, block_size=block_size) == reference


def test_every_flipped_byte_is_caught_and_later_records_survive(tmp_path: Path) -> None:
    path = _three(tmp_path)
    data = path.read_bytes()
    starts = _members(path)
    # bytes 4-9 of a gzip header (mtime, flags, OS) are covered by no checksum inside the WARC;
    # only the bag manifest's file digest sees a change there, so the flips start after them
    second = range(starts[1] + 10, starts[2])
    for position in list(second)[:: max(1, len(second) // 40)]:
        damaged = bytearray(data)
        damaged[position] ^= 0x10
        try:
            if gzip.decompress(bytes(damaged)) == gzip.decompress(data):
                continue  # a padding bit after the last deflate code: the content is unchanged
        except (OSError, EOFError, __import__("zlib").error):
            pass
        checker = WarcChecker("x.warc.gz")
        checker.feed(bytes(damaged))
        result = checker.result()
        assert not result.ok, f"flip at {position} went unnoticed"
        bad = [r for r in result.records if not r.ok]
        assert (bad and all(r.offset == starts[1] for r in bad)) or result.errors
        # the third record is still read and found intact
        assert any(r.ok and r.target_uri == "http://news.example/2" for r in result.records)


def test_payload_flip_reports_block_digest_mismatch(tmp_path: Path) -> None:
    recs = [record("response", HTTP_HEAD + chunked(BODY), payload_digest=_digest(chunked(BODY)))]
    raw = bytearray(recs[0])
    raw[-200] ^= 0x01  # inside the body
    path = write(tmp_path / "b.warc.gz", [bytes(raw)])
    check = check_warc(path).records[0]
    assert check.block.outcome == "mismatch" and check.payload.outcome == "mismatch"
    assert check.target_uri == "http://news.example/"
    assert check.block.expected != check.block.actual


def test_truncated_file_and_garbage(tmp_path: Path) -> None:
    path = _three(tmp_path)
    data = path.read_bytes()
    cut = write(tmp_path / "cut.warc.gz", [])
    cut.write_bytes(data[: len(data) - 30])
    result = check_warc(cut)
    assert not result.ok and any("ends inside" in e for e in result.errors)
    garbage = tmp_path / "garbage.warc.gz"
    starts = _members(path)
    garbage.write_bytes(data[: starts[1]] + b"JUNK" * 10 + data[starts[1] :])
    result = check_warc(garbage)
    assert any("no gzip member" in e for e in result.errors)
    assert [r.ok for r in result.records] == [True, True, True]


def test_not_a_warc(tmp_path: Path) -> None:
    path = tmp_path / "n.warc.gz"
    path.write_bytes(gzip.compress(b"hello, this is not a WARC\r\n\r\n"))
    result = check_warc(path)
    assert not result.ok and "no WARC record" in result.errors[0]
