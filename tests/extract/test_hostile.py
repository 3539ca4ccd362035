"""Hostile input: random and mutated HTML, huge pages, deep nesting, empty pages.

Whatever the input, extract() returns an Article or raises an ArchiverError, and finishes
within a bounded time.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archiver.errors import ArchiverError
from archiver.extract import Article, extract
from tests.extract.warcs import ARTICLE_HTML

CORPUS = Path(__file__).parent / "corpus"
URL = "https://news.example.org/a"
SNIPPETS = [
    "<div>", "</div>", "<p>", "</p>", "<script>", "</script>", "<!--", "-->", "<![CDATA[",
    "<table><tr><td>", "<svg><foreignObject>", "&#0;", "&#x110000;", "&amp", "\x00", "\ufeff",
    '<meta charset="utf-16">', '<script type="application/ld+json">{"@type":"Article",',
    '"author": {"@id": "#a"}', "<time datetime='9999-99-99'>", "<html lang='💥'>", "<br/>" * 5,
    "<a href='javascript:x'>", "<base href='::::'>", "<link rel=canonical href='http://[::1'>",
]  # fmt: skip


def _run(data: bytes | str) -> Article | None:
    try:
        return extract(data, url=URL)
    except ArchiverError:
        return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_random_bytes(data: bytes) -> None:
    _run(data)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=3000))
def test_random_text(text: str) -> None:
    _run(text)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, len(ARTICLE_HTML)),
            st.integers(0, 200),
            st.sampled_from(SNIPPETS) | st.text(max_size=20),
        ),
        max_size=12,
    )
)
def test_mutated_article(edits: list[tuple[int, int, str]]) -> None:
    html = ARTICLE_HTML
    for position, cut, insert in edits:
        html = html[:position] + insert + html[position + cut :]
    result = _run(html.encode("utf-8", "surrogatepass"))
    assert result is None or isinstance(result.text, str)


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.html")), ids=lambda p: p.name)
def test_broken_corpus(path: Path) -> None:
    article = extract(path.read_bytes(), url=URL)
    expected = path.with_suffix(".txt")
    if expected.exists():
        assert expected.read_text(encoding="utf-8").strip() in article.text


def test_twenty_megabyte_page() -> None:
    para = "<p>" + "Some words of a paragraph, with commas, and more words. " * 5 + "</p>\n"
    page = "<html><body><article>" + para * (20_000_000 // len(para)) + "</article></body></html>"
    started = time.monotonic()
    article = extract(page.encode(), url=URL)
    assert time.monotonic() - started < 60
    assert article.text.count("Some words of a paragraph") > 300_000


@pytest.mark.parametrize("tag", ["div", "span", "ul><li", "blockquote"])
def test_hundred_thousand_nested_elements(tag: str) -> None:
    text = "Deep text here that is long enough to be kept as a paragraph."
    page = "<html><body>" + f"<{tag}>" * 100_000
    page += f"<p>{text}</p>" + f"</{tag.split('>')[0]}>" * 100_000 + "</body></html>"
    started = time.monotonic()
    article = extract(page, url=URL)
    assert time.monotonic() - started < 20
    assert article.text == text


def test_page_with_no_text() -> None:
    for page in (b"", b"   ", b"<html></html>", b"<html><body><img src=x></body></html>"):
        assert extract(page, url=URL).text == ""
