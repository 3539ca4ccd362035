"""Metadata sources and their normalisation."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from archiver.extract import extract
from archiver.extract.metadata import bcp47
from tests.extract.warcs import ARTICLE_HTML

URL = "https://news.example.org/news/floods/"
DATED_URL = "https://news.example.org/2024/05/01/floods/"
BODY = "<p>" + "A sentence of article text that is long enough to count. " * 6 + "</p>"


def page(head: str, body: str = BODY, lang: str = "") -> bytes:
    return f"<html{lang}><head>{head}</head><body>{body}</body></html>".encode()


def test_jsonld_graph_article_wins() -> None:
    article = extract(ARTICLE_HTML.encode(), url=DATED_URL)
    assert article.title == "Floods close the river road"
    assert article.authors == ("Naw Paw", "Saw Htoo")
    zone = timezone(timedelta(hours=6, minutes=30))
    assert article.published == datetime(2024, 5, 1, 8, 30, tzinfo=zone)
    assert article.modified == datetime(2024, 5, 2, 9, 0, tzinfo=zone)
    assert article.language == "en-GB"
    assert article.publisher == "Hill Times"


def test_jsonld_author_reference_is_resolved() -> None:
    ld = """<script type="application/ld+json">{"@graph": [
      {"@type": "Person", "@id": "#p1", "name": "Mu Mu"},
      {"@type": "BlogPosting", "headline": "H", "author": {"@id": "#p1"},
       "datePublished": "2022-02-03"}]}</script>"""
    article = extract(page(ld), url=URL)
    assert article.authors == ("Mu Mu",)
    assert article.published == date(2022, 2, 3)


def test_opengraph_twitter_and_meta() -> None:
    head = """<title>Ignored | Site</title>
    <meta property="og:title" content="The OG title">
    <meta property="og:site_name" content="Site">
    <meta name="description" content="  A  summary. ">
    <meta property="article:published_time" content="2021-06-01T12:00:00Z">
    <meta property="article:modified_time" content="2021-06-02T12:00:00Z">
    <meta property="article:author" content="https://facebook.com/someone">
    <meta name="author" content="By Eh Say">
    <meta property="article:section" content="World">
    <meta property="article:tag" content="rain"><meta property="article:tag" content="Rain">
    <meta property="og:image" content="/img/lead.jpg">
    <link rel="canonical" href="/canonical/">"""
    article = extract(page(head), url=URL)
    assert article.title == "The OG title"
    assert article.description == "A summary."
    assert article.authors == ("Eh Say",)
    assert article.published == datetime(2021, 6, 1, 12, tzinfo=timezone.utc)
    assert article.section == "World"
    assert article.tags == ("rain",)
    assert article.canonical_url == "https://news.example.org/canonical/"
    assert article.images[0].url == "https://news.example.org/img/lead.jpg"


def test_h1_matching_the_declared_title_wins_over_site_suffix() -> None:
    head = "<title>Rice prices climb - Karen News</title>"
    article = extract(page(head, "<h1>Rice prices climb</h1>" + BODY), url=URL)
    assert article.title == "Rice prices climb"


def test_single_h1_names_the_article_and_declared_titles_are_unescaped() -> None:
    head = '<meta property="og:title" content="Rice &amp;amp; beans cost more&amp;#8230; | Site">'
    assert extract(page(head), url=URL).title == "Rice & beans cost more…"
    body = "<h1>Rice prices climb again</h1>" + BODY
    assert extract(page(head, body), url=URL).title == "Rice prices climb again"


def test_title_site_suffix_stripped() -> None:
    head = "<title>Rice prices climb in the border markets | Karen News</title>"
    assert extract(page(head), url=URL).title == "Rice prices climb in the border markets"


def test_citation_and_dublin_core() -> None:
    head = """<meta name="citation_title" content="A study">
    <meta name="citation_author" content="Tun, Aung">
    <meta name="citation_author" content="Lwin, Su">
    <meta name="citation_publication_date" content="2019/04/05">
    <meta name="dc.language" content="my">"""
    article = extract(page(head), url="https://journal.example.org/paper")
    assert article.title == "A study"
    assert article.authors == ("Tun, Aung", "Lwin, Su")
    assert article.published == date(2019, 4, 5)
    assert article.language == "my"


def test_microdata_and_time_and_visible_byline() -> None:
    body = (
        """<article itemscope itemtype="https://schema.org/NewsArticle">
      <h1 itemprop="headline">Microdata headline</h1>
      <span itemprop="author" itemscope><span itemprop="name">Paw Say</span></span>
      <time itemprop="datePublished" datetime="2020-01-02T03:04:05+07:00">2 Jan</time>"""
        + BODY
        + "</article>"
    )
    article = extract(page("", body), url="https://x.org/a")
    assert article.title == "Microdata headline"
    assert article.authors == ("Paw Say",)
    assert article.published == datetime(2020, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=7)))

    plain = (
        """<h1>Plain</h1><div class="byline">By Hsa Moo</div>
      <span class="date">Posted March 4, 2018</span>"""
        + BODY
    )
    article = extract(page("", plain), url="https://x.org/b")
    assert article.authors == ("Hsa Moo",)
    assert article.published == date(2018, 3, 4)


def test_url_date_wins_but_keeps_the_declared_time_of_that_day() -> None:
    head = '<meta property="article:published_time" content="2017-08-09T10:00:00+02:00">'
    tz = timezone(timedelta(hours=2))
    assert extract(page(head), url="https://x.org/2017/08/09/a").published == datetime(
        2017, 8, 9, 10, tzinfo=tz
    )
    assert extract(page(head), url="https://x.org/2017/08/10/a").published == date(2017, 8, 10)


def test_date_printed_by_the_headline() -> None:
    body = "<h1>Headline</h1><p class='x'>Last updated: March 4, 2019</p>" + BODY
    ld = '<script type="application/ld+json">{"@type": "Article", "datePublished": "2018-01-01"}'
    ld += "</script>"
    assert extract(page(ld, body), url=URL).published == date(2019, 3, 4)


def test_person_byline_beats_an_organisation_in_jsonld() -> None:
    ld = """<script type="application/ld+json">{"@type": "NewsArticle",
      "author": {"@type": "Organization", "name": "Big Paper"}}</script>"""
    body = "<h1>Headline</h1><div><span>By</span> <a href='/p/x'>Eh Moo</a></div>" + BODY
    assert extract(page(ld, body), url=URL).authors == ("Eh Moo",)
    assert extract(page(ld), url=URL).authors == ("Big Paper",)


def test_day_and_month_read_the_way_the_declared_date_says() -> None:
    ld = '<script type="application/ld+json">{"@type": "Article", "datePublished": "2024-09-10"}'
    ld += "</script>"
    body = "<h1>Headline</h1><p class='x'>10/09/2024</p>" + BODY
    assert extract(page(ld, body), url=URL).published == date(2024, 9, 10)


def test_date_from_url_when_nothing_declared() -> None:
    assert extract(page(""), url="https://x.org/2017/08/09/story").published == date(2017, 8, 9)


def test_language_tags() -> None:
    assert bcp47("en_us") == "en-US"
    assert bcp47("ZH-hant-tw") == "zh-Hant-TW"
    assert bcp47("*") is None
    assert extract(page("", lang=' lang="EN-gb"'), url=URL).language == "en-GB"
    headers = {"Content-Language": "fr-FR"}
    assert extract(page(""), url=URL, headers=headers).language == "fr-FR"
