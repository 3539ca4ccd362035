"""extract_warc / extract_warcs / extract_collection on WARCs written by warcio."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archiver.collection import Collection
from archiver.errors import WARCFormatError
from archiver.extract import Article
from archiver.pipeline import PayloadIndex, extract_collection, extract_warc, extract_warcs
from archiver.schema import validate
from tests.extract.warcs import ARTICLE_HTML, ARTICLE_PARAGRAPHS, WarcBuilder

URL = "https://news.example.org/2024/05/01/floods/"


def test_extract_warc_yields_html_200_responses_with_source(warc_builder: WarcBuilder) -> None:
    warc_builder.request(URL)
    digest = warc_builder.response(URL, ARTICLE_HTML.encode())
    warc_builder.response(
        "https://news.example.org/missing", b"<p>gone</p>", status="404 Not Found"
    )
    warc_builder.response("https://news.example.org/style.css", b"p{}", content_type="text/css")
    path = warc_builder.close()

    articles = list(extract_warc(path))

    assert len(articles) == 1
    article = articles[0]
    assert article.text.split("\n\n") == ARTICLE_PARAGRAPHS
    assert article.source is not None
    assert article.source.warc_filename == path.name
    assert article.source.target_uri == URL
    assert article.source.payload_digest == digest
    assert article.source.record_id.startswith("<urn:uuid:")
    # offset/length locate exactly one gzip member holding that record
    with open(path, "rb") as fh:
        fh.seek(article.source.offset)
        member = fh.read(article.source.length)
    import gzip

    assert str(article.source.record_id).encode() in gzip.decompress(member)
    assert validate(article.to_record(), "article") == []


def test_revisit_resolves_to_the_payload_in_another_warc(tmp_path: Path) -> None:
    first = WarcBuilder(tmp_path / "col-00000.warc.gz")
    digest = first.response(URL, ARTICLE_HTML.encode(), date="2024-05-01T10:00:00Z")
    first.close()
    second = WarcBuilder(tmp_path / "col-00001.warc.gz")
    second.revisit(URL, digest=digest, refers_uri=URL, refers_date="2024-05-01T10:00:00Z")
    second.close()
    paths = (first.path, second.path)

    revisited = list(extract_warc(second.path, index=PayloadIndex(paths)))

    assert len(revisited) == 1
    source = revisited[0].source
    assert source is not None and source.refers_to is not None
    assert source.warc_filename == "col-00001.warc.gz"
    assert source.refers_to.warc_filename == "col-00000.warc.gz"
    assert revisited[0].text.split("\n\n") == ARTICLE_PARAGRAPHS
    assert validate(revisited[0].to_record(), "article") == []


def test_revisit_found_by_digest_when_uri_and_date_do_not_match(tmp_path: Path) -> None:
    builder = WarcBuilder(tmp_path / "one.warc.gz")
    digest = builder.response(URL, ARTICLE_HTML.encode())
    builder.revisit(URL + "?amp", digest=digest, refers_uri=URL, refers_date="1999-01-01T00:00:00Z")
    builder.close()
    articles = list(extract_warc(builder.path))
    assert [a.url for a in articles] == [URL, URL + "?amp"]
    assert articles[0].text == articles[1].text


def test_unresolvable_revisit_is_skipped(tmp_path: Path) -> None:
    builder = WarcBuilder(tmp_path / "one.warc.gz")
    builder.revisit(URL, digest="sha1:AAAA", refers_uri=URL, refers_date="2024-01-01T00:00:00Z")
    builder.close()
    assert list(extract_warc(builder.path)) == []


@pytest.mark.broken_warcs
def test_not_a_warc_raises_warc_format_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.warc.gz"
    bad.write_bytes(b"this is not a WARC file at all\n" * 10)
    with pytest.raises(WARCFormatError) as info:
        list(extract_warc(bad))
    assert "bad.warc.gz" in str(info.value)


@pytest.mark.broken_warcs
def test_damaged_record_raises_warc_format_error_with_offset(warc_builder: WarcBuilder) -> None:
    warc_builder.response(URL, ARTICLE_HTML.encode())
    first_end = len(warc_builder._buffer.getvalue())
    warc_builder.response(URL + "2", ARTICLE_HTML.encode())
    path = warc_builder.close()
    data = bytearray(path.read_bytes())
    data[first_end + 40] ^= 0xFF  # inside the second record's gzip member
    data[first_end + 41] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(WARCFormatError) as info:
        list(extract_warc(path))
    assert info.value.offset == first_end and path.name in str(info.value)


@pytest.mark.broken_warcs
def test_damaged_file_is_a_failure_and_the_other_files_go_on(tmp_path: Path) -> None:
    good = WarcBuilder(tmp_path / "a-00000.warc.gz")
    good.response(URL, ARTICLE_HTML.encode())
    good.close()
    bad = tmp_path / "a-00001.warc.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage" * 20)
    summary = extract_warcs([bad, good.path], output=tmp_path / "o.jsonl")
    assert summary.written == 1 and not summary.ok
    (failure,) = summary.failures
    assert failure.warc_filename == "a-00001.warc.gz"


def test_extract_collection_writes_valid_jsonl_atomically(tmp_path: Path) -> None:
    col = Collection.create(tmp_path / "col", name="col")
    builder = WarcBuilder(col.archive_dir / "col-00000.warc.gz")
    builder.response(URL, ARTICLE_HTML.encode())
    builder.response("https://news.example.org/empty", b"<html><body></body></html>")
    builder.close()

    summary = extract_collection(col)

    assert summary.ok and summary.written == 1 and summary.empty == 1
    assert summary.output == col.articles_path
    lines = col.articles_path.read_text(encoding="utf-8").splitlines()
    record = json.loads(lines[0])
    assert validate(record, "article") == []
    assert record["authors"] == ["Naw Paw", "Saw Htoo"]
    assert record["published"] == "2024-05-01T08:30:00+06:30"
    assert not list(col.articles_path.parent.glob(".*.tmp"))


def test_invalid_record_is_reported_and_the_rest_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    builder = WarcBuilder(tmp_path / "x.warc.gz")
    builder.response(URL, ARTICLE_HTML.encode())
    builder.response(
        "https://news.example.org/two", ARTICLE_HTML.replace("Floods", "Rain").encode()
    )
    builder.close()
    original = Article.to_record

    def broken(self: Article) -> dict[str, object]:
        record = original(self)
        if "two" in self.url:
            record["language"] = "not a language tag"
            record["unexpected"] = True
        return record

    monkeypatch.setattr(Article, "to_record", broken)
    out = tmp_path / "articles.jsonl"

    summary = extract_warcs([builder.path], output=out)

    assert not summary.ok and summary.written == 1
    (bad,) = summary.invalid
    assert bad.url == "https://news.example.org/two"
    assert any("language" in e for e in bad.errors)
    assert any("unexpected" in e for e in bad.errors)  # every error, not just the first
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["url"] for r in records] == [URL]


def test_executor_gives_the_same_records(tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    paths = []
    for n in range(3):
        builder = WarcBuilder(tmp_path / f"c-{n:05d}.warc.gz")
        builder.response(f"{URL}{n}", ARTICLE_HTML.encode())
        paths.append(builder.close())
    serial, parallel = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    extract_warcs(paths, output=serial)
    with ThreadPoolExecutor(2) as pool:
        summary = extract_warcs(paths, output=parallel, executor=pool)
    assert summary.written == 3
    assert serial.read_text() == parallel.read_text()


def test_progress_is_reported_per_file(tmp_path: Path) -> None:
    from archiver.pipeline import ExtractProgress

    paths = []
    for n in range(2):
        builder = WarcBuilder(tmp_path / f"p-{n:05d}.warc.gz")
        builder.response(f"{URL}{n}", ARTICLE_HTML.encode())
        paths.append(builder.close())
    seen: list[ExtractProgress] = []
    extract_warcs(paths, output=tmp_path / "o.jsonl", progress=seen.append)
    assert seen == [ExtractProgress(1, 2, 1), ExtractProgress(2, 2, 2)]
