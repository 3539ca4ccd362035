"""Other people's WARC and ARC files (issue 13, findings 3 to 7): each form is read, and what
cannot be kept whole is said, never passed off as a clean article."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import brotli
import pytest

from archiver import Collection
from archiver.pipeline import extract_collection, extract_warcs
from archiver.schema import validate
from tests.capture.hostile import PEAK_RSS, run_bounded
from tests.extract import warc_forms as forms
from tests.extract.warcs import ARTICLE_PARAGRAPHS

# files from elsewhere, some damaged on purpose: warcio check is not expected to pass on them
pytestmark = pytest.mark.broken_warcs


def _records(path: Path, tmp_path: Path) -> tuple[list[dict[str, object]], object]:
    out = tmp_path / f"{path.name}.jsonl"
    summary = extract_warcs([path], output=out)
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    for line in lines:
        assert validate(line, "article") == []
    return lines, summary


def test_a_whole_file_gzip_warc_is_read_with_offsets_marked_decompressed(tmp_path: Path) -> None:
    # finding 3: read past its first record only with negative offsets and lengths
    records = [forms.warcinfo(), forms.record(forms.http_response())]
    whole = forms.write(tmp_path / "whole.warc.gz", records, gz="whole")
    plain = forms.write(tmp_path / "plain.warc", records, gz="none")
    [got], summary = _records(whole, tmp_path)
    [expected], _ = _records(plain, tmp_path)
    assert summary.ok  # type: ignore[attr-defined]
    source = got["source"]
    assert isinstance(source, dict) and source["offsets"] == "decompressed"
    assert source["offset"] == expected["source"]["offset"] > 0  # type: ignore[index]
    assert source["length"] == expected["source"]["length"]  # type: ignore[index]
    assert got["text"] == expected["text"]
    # the offsets hold: the record is there in the decompressed stream
    data = gzip.decompress(whole.read_bytes())
    assert data[source["offset"] :].startswith(b"WARC/1.1\r\nWARC-Type: response")


@pytest.mark.parametrize("eol", [b"\n", b"\r\r\n"], ids=["LF", "CR-CR-LF"])
def test_odd_header_line_ends_are_read(tmp_path: Path, eol: bytes) -> None:
    path = forms.write(tmp_path / "odd.warc.gz", [forms.warcinfo(eol), forms.record(
        forms.http_response(), eol=eol)])  # fmt: skip
    [article], _ = _records(path, tmp_path)
    assert ARTICLE_PARAGRAPHS[0] in str(article["text"])


@pytest.mark.parametrize(
    ("date", "utc"),
    [
        ("2008-10-294T05:21:46-0700", None),  # ClueWeb09: an impossible day of the month
        ("2019-08-15T01:02", "2019-08-15T01:02:00Z"),  # cut short
        ("2024-05-01T10:00:00.250Z", "2024-05-01T10:00:00.25Z"),
    ],
)
def test_odd_dates_keep_the_article_and_the_files_own_value(
    tmp_path: Path, date: str, utc: str | None
) -> None:
    # finding 4: the record failed the schema and the article was dropped
    path = forms.write(tmp_path / "dates.warc.gz", [forms.record(forms.http_response(),
                                                                 date=date)])  # fmt: skip
    [article], summary = _records(path, tmp_path)
    assert summary.ok  # type: ignore[attr-defined]
    source = article["source"]
    assert isinstance(source, dict) and source["date"] == date
    assert source.get("date_utc") == utc


def test_a_record_without_an_id_gets_a_stable_derived_one(tmp_path: Path) -> None:
    path = forms.write(tmp_path / "noid.warc.gz", [forms.warcinfo(), forms.record(
        forms.http_response(), record_id=None, version="WARC/0.18")])  # fmt: skip
    [first], _ = _records(path, tmp_path)
    [again], _ = _records(path, tmp_path)
    source = first["source"]
    assert isinstance(source, dict)
    assert str(source["record_id"]).startswith("urn:archiver:derived:")
    assert source["record_id_derived"] is True
    assert first["id"] == again["id"]


@pytest.mark.parametrize("gz", [False, True], ids=["arc", "arc.gz"])
def test_arc_files_are_extracted_in_a_collection(tmp_path: Path, gz: bool) -> None:
    # finding 5: ARC was refused, and a collection listed only *.warc.gz
    col = Collection.create(tmp_path / "col", name="col")
    forms.arc_file(col.archive_dir / ("old.arc.gz" if gz else "old.arc"), gz=gz)
    forms.write(col.archive_dir / "plain.warc", [forms.record(forms.http_response(),
                                                              url=forms.URL + "?b")])  # fmt: skip
    summary = extract_collection(col)
    assert summary.ok and summary.written == 2
    lines = [json.loads(x) for x in col.articles_path.read_text().splitlines()]
    arc = next(x for x in lines if x["source"]["warc_filename"].startswith("old.arc"))
    assert arc["source"]["format"] == "arc" and arc["source"]["record_id_derived"] is True
    assert arc["source"]["date_utc"] == "2024-05-01T10:00:00Z"


def test_html_resource_records_are_extracted(tmp_path: Path) -> None:
    # finding 6
    page = forms.PAGE
    path = forms.write(tmp_path / "res.warc.gz", [forms.record(
        page, rec_type="resource", content_type="text/html; charset=utf-8")])  # fmt: skip
    [article], _ = _records(path, tmp_path)
    assert ARTICLE_PARAGRAPHS[0] in str(article["text"])


def test_a_record_cut_short_is_marked_truncated_and_the_file_reported(tmp_path: Path) -> None:
    # finding 7: a record missing 13 KB of its block was extracted with exit code 0
    whole = forms.record(forms.http_response())
    cut = whole[: len(whole) - 300]
    path = forms.write(tmp_path / "cut.warc", [forms.warcinfo(), cut], gz="none")
    lines, summary = _records(path, tmp_path)
    assert [f.warc_filename for f in summary.failures] == ["cut.warc"]  # type: ignore[attr-defined]
    assert "cut short" in summary.failures[0].reason  # type: ignore[attr-defined]
    assert [x.get("truncated") for x in lines] == ["short-block"]


def test_a_record_the_crawler_truncated_says_so(tmp_path: Path) -> None:
    record = forms.record(forms.http_response(), extra=[("WARC-Truncated", "length")])
    path = forms.write(tmp_path / "trunc.warc.gz", [record])
    [article], summary = _records(path, tmp_path)
    assert article["truncated"] == "length" and summary.ok  # type: ignore[attr-defined]


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
def test_a_body_whose_content_coding_does_not_decode_is_reported_not_extracted(
    tmp_path: Path, coding: str
) -> None:
    # finding 7: binary garbage became article text
    damaged = gzip.compress(forms.PAGE)[:-40] if coding == "gzip" else b"\x8f\x12garbage" * 50
    body = forms.http_response(damaged, extra=[("Content-Encoding", coding)])
    path = forms.write(tmp_path / "coded.warc.gz", [forms.record(body)])
    lines, summary = _records(path, tmp_path)
    assert lines == []
    [failure] = summary.failures  # type: ignore[attr-defined]
    assert failure.reason.startswith("the body cannot be read") and failure.offset == 0


def test_a_brotli_bomb_is_cut_at_the_limit_and_reported(tmp_path: Path) -> None:
    # 2 GiB of zeros in a few kilobytes: inflating stops at the 50 MB limit (today's figure
    # was 2.6 GB of memory, then garbage bytes as article text)
    bomb = _bomb()
    body = forms.http_response(bomb, extra=[("Content-Encoding", "br")])
    path = forms.write(tmp_path / "bomb.warc.gz", [forms.record(body)])
    assert path.stat().st_size < 100_000
    code = (
        PEAK_RSS
        + f"""
import json
from pathlib import Path
from archiver.pipeline import extract_warc
base = start()
failures = []
articles = list(extract_warc(Path({str(path)!r}), failures=failures))
print(json.dumps({{"growth_kb": peak() - base, "articles": len(articles),
                  "reasons": [f.reason for f in failures]}}))
"""
    )
    result = run_bounded(code, cpu_seconds=120)
    assert isinstance(result, dict)
    assert result["articles"] == 0
    [reason] = result["reasons"]
    assert "larger than" in reason
    # the limit, held once, and a little more: not the 2 GiB the body inflates to
    assert int(result["growth_kb"]) < 200 * 1024


def _bomb() -> bytes:
    """About 2 GiB of zeros, brotli-compressed, built a block at a time."""
    compressor = brotli.Compressor(quality=1)
    feed = getattr(compressor, "process", None) or compressor.compress
    block = bytes(1 << 24)
    return b"".join(feed(block) for _ in range(128)) + compressor.finish()
