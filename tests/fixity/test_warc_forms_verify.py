"""verify's WARC record checks on WARCs in the forms other tools write (issue 13, finding 8).

Each WARC is written byte by byte here (builders in tests/extract/warc_forms.py).  Where warcio
can decide, its verdict (``warcio check``) and archiver's per-file verdict are compared: both
say valid, or both say invalid.  A property test mutates and truncates small valid WARCs: the
checker always returns, and never calls a file warcio rejects ok.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from archiver.fixity.report import report_to_json
from archiver.fixity.verify import verify
from archiver.warc.check import WarcCheck, check_warc
from tests.conftest import warcio_check_in_process
from tests.extract.warc_forms import PAGE, URL, arc_file, http_response, record, sha1_b32

pytestmark = pytest.mark.broken_warcs


# -- builders --------------------------------------------------------------------------------


def digested(block: bytes, payload: bytes | None = None, **kw: object) -> bytes:
    """A record with its WARC-Block-Digest and WARC-Payload-Digest (payload: the block)."""
    extra = [("WARC-Block-Digest", sha1_b32(block))]
    extra.append(("WARC-Payload-Digest", sha1_b32(block if payload is None else payload)))
    extra += kw.pop("extra", [])  # type: ignore[arg-type]
    return record(block, extra=extra, **kw)  # type: ignore[arg-type]


def response(n: int = 0, **kw: object) -> bytes:
    body = PAGE + str(n).encode()
    return digested(
        http_response(body),
        body,
        url=f"{URL}?n={n}",
        record_id=f"<urn:uuid:6c1b7a58-1d0f-4e0e-9a11-{n:012d}>",
        **kw,
    )


def info(eol: bytes = b"\r\n") -> bytes:
    block = b"software: hand-written test file\r\n"
    return digested(
        block,
        rec_type="warcinfo",
        url="",
        content_type="application/warc-fields",
        record_id="<urn:uuid:6c1b7a58-1d0f-4e0e-9a11-ffffffffffff>",
        eol=eol,
    ).replace(b"WARC-Target-URI: " + eol, b"")


def store(path: Path, records: list[bytes], gz: str) -> Path:
    if gz == "record":
        path.write_bytes(b"".join(gzip.compress(r) for r in records))
    elif gz == "whole":
        path.write_bytes(gzip.compress(b"".join(records)))
    else:
        path.write_bytes(b"".join(records))
    return path


def warcio_ok(path: Path) -> bool:
    """warcio check's verdict; an exception inside warcio means it could not read the file."""
    try:
        code, _ = warcio_check_in_process([path])
    except Exception:
        return False
    return code == 0


def agree(path: Path) -> WarcCheck:
    """Check ``path`` with archiver and warcio; assert the two verdicts are the same."""
    result = check_warc(path)
    assert result.ok == warcio_ok(path), (result.errors, [r.errors for r in result.records])
    return result


def bag_of(root: Path, files: dict[str, bytes]) -> Path:
    """A BagIt 1.0 bag written by hand, holding ``files`` under data/."""
    (root / "data").mkdir(parents=True)
    lines = []
    for name, data in files.items():
        (root / "data" / name).write_bytes(data)
        lines.append(f"{hashlib.sha256(data).hexdigest()}  data/{name}\n")
    (root / "bagit.txt").write_text("BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
    size = sum(map(len, files.values()))
    (root / "bag-info.txt").write_text(f"Payload-Oxum: {size}.{len(files)}\n")
    (root / "manifest-sha256.txt").write_text("".join(lines))
    return root


def consistent(report_json: dict[str, object]) -> None:
    """A report never says ok while it lists a damaged record; counts match the list."""
    problems = report_json["problems"]
    assert isinstance(problems, list)
    errors = [p for p in problems if p["severity"] == "error"]
    assert report_json["errors"] == len(errors)
    assert report_json["ok"] == (not errors)
    warc = report_json["warc"]
    assert isinstance(warc, dict)
    for damaged in warc["damaged_records"]:
        assert not report_json["ok"]
        assert any(
            p.get("record", {}).get("offset") == damaged["offset"] and p["path"] == damaged["file"]
            for p in errors
        ), damaged


# -- the forms -------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", ["record", "none"])
@pytest.mark.parametrize("eol", [b"\n", b"\r\r\n"], ids=["lf", "cr-cr-lf"])
def test_header_line_ends_other_than_crlf(tmp_path: Path, eol: bytes, gz: str) -> None:
    path = store(tmp_path / "e.warc", [info(eol), response(1, eol=eol), response(2, eol=eol)], gz)
    result = agree(path)
    assert result.ok and len(result.records) == 3
    assert [r.payload.basis for r in result.records] == ["block", "transmitted", "transmitted"]


@pytest.mark.parametrize(
    ("rec_type", "url", "content_type"),
    [
        ("response", "chrome-extension://abcdef/page.html", "application/http; msgtype=response"),
        ("response", "urn:x-test:page", "application/http; msgtype=response"),
        ("response", "dns:news.example.org", "text/dns"),
        ("resource", "urn:pageinfo:https://news.example.org/", "application/json"),
        ("metadata", "https://news.example.org/", "application/warc-fields"),
        ("resource", "https://news.example.org/", "text/html"),
    ],
)
def test_non_http_payload_is_the_block(
    tmp_path: Path, rec_type: str, url: str, content_type: str
) -> None:
    block = http_response() if content_type.startswith("application/http") else PAGE
    rec = digested(block, rec_type=rec_type, url=url, content_type=content_type)
    result = agree(store(tmp_path / "n.warc.gz", [info(), rec], "record"))
    assert result.ok
    assert result.records[1].payload.basis == "block"


@pytest.mark.parametrize("delta", [-10, 10])
def test_wrong_content_length_in_a_plain_warc_resynchronises(tmp_path: Path, delta: int) -> None:
    first = response(1)
    bad = first.replace(
        f"Content-Length: {len(http_response(PAGE + b'1'))}".encode(),
        f"Content-Length: {len(http_response(PAGE + b'1')) + delta}".encode(),
    )
    assert bad != first
    later = [response(n) for n in (2, 3, 4)]
    result = agree(store(tmp_path / "c.warc", [info(), bad, *later], "none"))
    assert not result.ok
    assert [r.ok for r in result.records][:2] == [True, False]
    good = [r for r in result.records[2:] if r.ok]
    # a block too long swallows the start of the next record; every record after it is checked
    expected = {f"<urn:uuid:6c1b7a58-1d0f-4e0e-9a11-{n:012d}>" for n in (2, 3, 4)}
    if delta > 0:
        expected.discard("<urn:uuid:6c1b7a58-1d0f-4e0e-9a11-000000000002>")
    assert {r.record_id for r in good} == expected
    assert all(r.block.outcome == "ok" and r.payload.outcome == "ok" for r in good)
    assert any("checking resumed at the record" in e for e in result.errors)


@pytest.mark.parametrize(
    "value",
    ["sha1:NOT-BASE32!!!!!!!!!!!!!!!!!!!!!!!", "sha1:ABCD", "nodigest", "sha1:"],
)
@pytest.mark.parametrize("which", ["WARC-Block-Digest", "WARC-Payload-Digest"])
def test_malformed_digest_value_fails_the_record(tmp_path: Path, value: str, which: str) -> None:
    rec = response(1)
    start = rec.index(which.encode())
    stop = rec.index(b"\r\n", start)
    rec = rec[:start] + f"{which}: {value}".encode() + rec[stop:]
    result = agree(store(tmp_path / "d.warc.gz", [info(), rec, response(2)], "record"))
    assert [r.ok for r in result.records] == [True, False, True]
    digest = result.records[1].block if "Block" in which else result.records[1].payload
    assert digest.outcome == "invalid"


def test_lower_case_base32_digest_is_invalid(tmp_path: Path) -> None:
    block = http_response()
    rec = record(block, extra=[("WARC-Block-Digest", "sha1:" + sha1_b32(block)[5:].lower())])
    result = agree(store(tmp_path / "l.warc.gz", [rec], "record"))
    assert result.records[0].block.outcome == "invalid"


def test_missing_record_separator_fails_the_record_and_reading_goes_on(tmp_path: Path) -> None:
    cut = response(1)[:-4]  # no CRLF CRLF after the block
    result = agree(store(tmp_path / "s.warc", [info(), cut, response(2)], "none"))
    assert [r.ok for r in result.records] == [True, False, True]
    assert "separator" in result.records[1].errors[0]
    assert result.records[1].block.outcome == "ok"


def test_report_listing_a_damaged_record_is_not_ok(tmp_path: Path) -> None:
    # the block ends inside its HTTP headers: block digest fine, payload digest uncheckable
    block = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
    rec = digested(block, PAGE)
    warc = store(tmp_path / "h.warc.gz", [info(), rec], "record")
    bag = bag_of(tmp_path / "bag", {"h.warc.gz": warc.read_bytes()})
    document = report_to_json(verify(bag))
    json.dumps(document)
    assert document["warc"]["damaged_records"]  # type: ignore[index]
    assert document["ok"] is False
    consistent(document)
    assert check_warc(warc).ok is warcio_ok(warc) is False


@pytest.mark.parametrize("name", ["old.arc", "old.arc.gz"])
def test_arc_file_in_a_bag_gets_a_warning(tmp_path: Path, name: str) -> None:
    arc = arc_file(tmp_path / name, gz=name.endswith(".gz"))
    bag = bag_of(tmp_path / "bag", {name: arc.read_bytes()})
    report = verify(bag)
    assert report.ok
    assert [(p.code, p.path) for p in report.warnings] == [
        ("arc-not-record-checked", f"data/{name}")
    ]
    assert "its 2 records were read whole" in report.warnings[0].message
    assert report.warc_files == 0


@pytest.mark.parametrize("name", ["old.arc", "old.arc.gz"])
def test_a_damaged_arc_file_in_a_bag_is_an_error(tmp_path: Path, name: str) -> None:
    # ARC has no digests, but its framing can be read: a record cut short is damage
    arc = arc_file(tmp_path / name, gz=name.endswith(".gz"))
    data = arc.read_bytes()
    bag = bag_of(tmp_path / "bag", {name: data[: len(data) - 300]})
    report = verify(bag)
    assert not report.ok
    [problem] = [p for p in report.errors if p.code == "arc-record-damaged"]
    assert problem.path == f"data/{name}" and "cannot be read" in problem.message


# -- mutations: never raise, never hang, never call ok what warcio rejects ------------------


def _bases() -> list[tuple[str, bytes]]:
    recs = [info(), response(1), digested(PAGE, rec_type="resource", content_type="text/html")]
    return [
        ("record.warc.gz", b"".join(gzip.compress(r) for r in recs)),
        ("plain.warc", b"".join(recs)),
        ("lf.warc", b"".join([info(b"\n"), response(2, eol=b"\n")])),
    ]


BASES = _bases()


@st.composite
def damaged(draw: st.DrawFn) -> tuple[str, bytes]:
    name, data = draw(st.sampled_from(BASES))
    changed = bytearray(data)
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(changed) - 1))
        changed[at] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        changed = changed[: draw(st.integers(0, len(changed)))]
    return name, bytes(changed)


@settings(
    max_examples=120,
    deadline=timedelta(seconds=5),
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(damaged())
def test_damaged_warcs_never_pass_where_warcio_fails(case: tuple[str, bytes]) -> None:
    name, data = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        result = check_warc(path)
        theirs = warcio_ok(path)
        if not theirs:
            assert not result.ok, "warcio check rejects the file, archiver passed it"
        elif not result.ok:
            # warcio does not check this; which kind of problem, for --hypothesis-show-statistics
            event("warcio valid, archiver not: " + _kind(result))
        bag = bag_of(Path(tmp) / "bag", {name: data})
        document = report_to_json(verify(bag))
        consistent(document)
        assert document["ok"] == result.ok


def _kind(result: WarcCheck) -> str:
    messages = list(result.errors) + [e for r in result.records for e in r.errors]
    outcomes = [o for r in result.records for o in (r.block.outcome, r.payload.outcome)]
    for word in ("separator", "gzip", "past the end", "ends inside", "no record", "version"):
        if any(word in m for m in messages):
            return word
    return ",".join(sorted(set(outcomes) - {"ok", "absent", "skipped"})) or "other"
