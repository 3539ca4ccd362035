"""Acceptance: capture the example site, extract the collection, check the seed article."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from archiver.capture import CaptureOptions, Seed, capture
from archiver.pipeline import extract_collection
from archiver.schema import validate
from archiver.testing import SiteServer

SEED_TEXT = Path(__file__).resolve().parents[3] / "shared" / "data" / "seed"
SEED_PATH = "/2023/11/nug-and-resistance-forces-urge-junta-troops-to-defect-before-time-runs-out/"
SEED_PAGE = Path(__file__).resolve().parents[2] / "examples" / "site" / SEED_PATH.strip("/")


def _normalise(text: str) -> str:
    return " ".join(text.split())


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, dict], object]:
    root = tmp_path_factory.mktemp("seed")
    with SiteServer() as site:
        options = CaptureOptions(requisites=False, obey_robots=False, host_delay=0.0)
        summary = capture([Seed.feed(site.url("/feed/"))], root / "col", options=options)
        assert summary.pages > 0
        result = extract_collection(root / "col")
        records = {
            json.loads(line)["url"].split("127.0.0.1", 1)[1].split("/", 1)[1]: json.loads(line)
            for line in (root / "col" / "articles" / "articles.jsonl").read_text().splitlines()
        }
    return records, result


@pytest.mark.skipif(not SEED_TEXT.is_dir(), reason="../shared/data/seed is not present")
def test_seed_article_text_and_metadata(extracted: tuple[dict[str, dict], object]) -> None:
    records, summary = extracted
    assert summary.ok  # type: ignore[attr-defined]
    record = records[SEED_PATH.lstrip("/")]
    assert validate(record, "article") == []

    lines = (SEED_TEXT / "karen-news-article.txt").read_text(encoding="utf-8").splitlines()
    title, body = lines[0], "\n".join(lines[1:])
    body = re.sub(r"\n*The post .* appeared first on Karen News\.\s*$", "", body)
    assert _normalise(record["text"]) == _normalise(body)

    # title, authors and date as the page declares them
    page = (SEED_PAGE / "index.html").read_text(encoding="utf-8")
    declared_title = re.search(r'<h1 class="entry-title">([^<]+)</h1>', page)
    assert declared_title and record["title"] == declared_title.group(1).strip()
    assert title.endswith(record["title"])
    published = re.search(r'"datePublished": "([^"]+)"', page)
    assert published and record["published"] == published.group(1)
    author = re.search(r'"author": \{"@type": "Person", "name": "([^"]+)"', page)
    assert author and record["authors"] == [author.group(1)]


def test_no_furniture_in_any_article(extracted: tuple[dict[str, dict], object]) -> None:
    records, _ = extracted
    record = records[SEED_PATH.lstrip("/")]
    for furniture in ("Leave a Reply", "Related", "Share this", "Subscribe", "©", "Comments"):
        assert furniture not in record["text"]
    for record in records.values():
        assert validate(record, "article") == []
