"""`archiver extract`: collections and WARC files in, validated JSON Lines out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from archiver.cli import main
from archiver.collection import Collection
from archiver.extract import Article
from tests.extract.warcs import ARTICLE_HTML, WarcBuilder

URL = "https://news.example.org/2024/05/01/floods/"


@pytest.fixture
def collection(tmp_path: Path) -> Collection:
    col = Collection.create(tmp_path / "col", name="col")
    builder = WarcBuilder(col.archive_dir / "col-00000.warc.gz")
    builder.response(URL, ARTICLE_HTML.encode())
    builder.response(URL + "two", ARTICLE_HTML.encode())
    builder.close()
    return col


def test_collection_to_its_articles_file(
    collection: Collection, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["extract", str(collection.path)]) == 0
    lines = collection.articles_path.read_text().splitlines()
    assert [json.loads(line)["url"] for line in lines] == [URL, URL + "two"]
    assert "Wrote 2 article record(s)" in capsys.readouterr().out


def test_warc_to_stdout_with_json_summary_on_stderr(
    collection: Collection, capsys: pytest.CaptureFixture[str]
) -> None:
    warc = collection.warc_files()[0]
    assert main(["extract", str(warc), "--json"]) == 0
    captured = capsys.readouterr()
    assert len(captured.out.splitlines()) == 2
    summary = json.loads(captured.err)
    assert summary["written"] == 2 and summary["ok"] is True and summary["output"] == "-"


def test_output_option_and_jobs(collection: Collection, tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    warc = collection.warc_files()[0]
    assert main(["extract", str(warc), str(warc), "-o", str(out), "-j", "2"]) == 0
    assert len(out.read_text().splitlines()) == 4


def test_invalid_record_exit_code_1(
    collection: Collection, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Article.to_record

    def broken(self: Article) -> dict[str, object]:
        record = original(self)
        if self.url.endswith("two"):
            record["title"] = 42
        return record

    monkeypatch.setattr(Article, "to_record", broken)
    assert main(["extract", str(collection.path)]) == 1
    out = capsys.readouterr().out
    assert f"invalid record left out: {URL}two" in out
    assert "$.title: 42 is not of type 'string'" in out
    assert len(collection.articles_path.read_text().splitlines()) == 1


def test_missing_input_is_usage_error(tmp_path: Path) -> None:
    assert main(["extract", str(tmp_path / "nope.warc.gz")]) == 2


def test_rules_option(collection: Collection, tmp_path: Path) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"version": 1, "rules": [
        {"host": "news.example.org", "title": {"css": "h2"}}]}))  # fmt: skip
    out = tmp_path / "o.jsonl"
    assert main(["extract", str(collection.path), "--rules", str(rules), "-o", str(out)]) == 0
    assert json.loads(out.read_text().splitlines()[0])["title"] == "Help on the way"
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    assert main(["extract", str(collection.path), "--rules", str(bad)]) == 2
