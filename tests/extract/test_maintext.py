"""Main text: article paragraphs kept, page furniture removed."""

from __future__ import annotations

from archiver.extract import extract, strip_feed_footer
from tests.extract.warcs import ARTICLE_HTML, ARTICLE_PARAGRAPHS

URL = "https://news.example.org/a"


def test_paragraphs_headings_kept_furniture_removed() -> None:
    article = extract(ARTICLE_HTML.encode(), url=URL)
    assert article.text.split("\n\n") == ARTICLE_PARAGRAPHS
    for furniture in ("Home", "Share on", "Related", "Great reporting", "Newsletter",
                      "Sign up", "All rights reserved", "By Naw Paw"):  # fmt: skip
        assert furniture not in article.text


def test_lists_quotes_and_line_breaks_are_text() -> None:
    body = """<article><div class="post-body">
      <p>The committee listed three demands in its statement on Monday, which follow.</p>
      <ul><li>Safe return for everyone who leaves</li><li>Help with resettlement</li></ul>
      <blockquote><p>We want the fighting to end before the rains come again.</p></blockquote>
      <p>The first line of an address<br>and its second line, kept as written here.</p>
    </div></article>"""
    text = extract(f"<html><body>{body}</body></html>", url=URL).text
    assert text.split("\n\n") == [
        "The committee listed three demands in its statement on Monday, which follow.",
        "Safe return for everyone who leaves",
        "Help with resettlement",
        "We want the fighting to end before the rains come again.",
        "The first line of an address\nand its second line, kept as written here.",
    ]


def test_text_split_across_sibling_containers_is_joined() -> None:
    para = "<p>" + "Words of the article, with commas, in a long sentence. " * 4 + "</p>"
    body = f"""<div id="wrap"><div class="story-body">{para * 3}</div>
      <div class="ad-slot"><a href="#">Buy now</a></div>
      <div class="story-body">{para.replace("Words", "More") * 3}</div>
      <div class="more-stories"><ul><li><a href="/x">Another headline here</a></li></ul></div>
    </div>"""
    text = extract(f"<html><body>{body}</body></html>", url=URL).text
    assert text.count("Words of the article") == 12 and text.count("More of the article") == 12
    assert "Buy now" not in text and "Another headline" not in text


def test_feed_footer_removed() -> None:
    text = "First paragraph.\n\nThe post Something happened appeared first on Karen News."
    assert strip_feed_footer(text) == "First paragraph."
    html = "<html><body><article>" + "<p>Real words of the story, more than enough of them.</p>" * 3
    html += "<p>The post Story title appeared first on Karen News.</p></article></body></html>"
    assert "appeared first" not in extract(html, url=URL).text


def test_page_without_text_gives_empty_text() -> None:
    article = extract(
        b"<html><head><title>Only a title</title></head><body></body></html>", url=URL
    )
    assert article.text == "" and article.title == "Only a title"


def test_jsonld_article_body_used_when_page_has_no_text() -> None:
    html = """<html><head><script type="application/ld+json">{"@type": "NewsArticle",
      "headline": "T", "articleBody": "First paragraph of the story, from the data.\\nSecond
      one, also long enough to keep around. And more words here to pass the bar of two
      hundred characters in total, which is how short text is defined by the extractor
      in this project."}
    </script></head><body><div id="app"></div></body></html>"""
    text = extract(html, url=URL).text
    assert text.startswith("First paragraph of the story, from the data.\n\nSecond")
    assert text.endswith("in this project.")


def test_code_comments_are_not_page_comments() -> None:
    para = "<p>" + "Run these commands in order, and read each comment before you do. " * 3 + "</p>"
    code = (
        '<pre><code><span class="hljs-comment"># stage every change</span>\ngit add -A</code></pre>'
    )
    html = f"<html><body><article>{para}{code}{para}</article></body></html>"
    assert "# stage every change" in extract(html, url=URL).text


def test_jsonld_article_body_with_markup_is_rendered() -> None:
    body = "<p>First declared paragraph, long enough to be a real one in this test page.</p>"
    body += "<p>Second declared paragraph, with more words so the body passes the bar.</p>" * 3
    html = (
        '<html><head><script type="application/ld+json">'
        + '{"@type": "NewsArticle", "articleBody": "'
        + body.replace('"', '\\"')
        + '"}'
        + '</script></head><body><div id="app"></div></body></html>'
    )
    text = extract(html, url=URL).text
    assert text.startswith("First declared paragraph") and "<p>" not in text
    assert text.count("\n\n") == 3
