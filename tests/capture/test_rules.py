"""Unit rules: URL normalisation, RFC 9309 robots matching, link extraction details."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.capture.links import html_links
from archiver.capture.robots import RobotsPolicy
from archiver.capture.urls import normalize_url, same_site
from archiver.errors import CaptureError


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://Example.ORG:80/a b#frag", "http://example.org/a%20b"),
        ("http://example.org", "http://example.org/"),
        ("https://example.org:443/x?y=1", "https://example.org/x?y=1"),
        ("http://example.org:8080/x", "http://example.org:8080/x"),
        ("http://example.org/a/../b/./c", "http://example.org/b/c"),
        ("http://example.org/100%/off?q=50%", "http://example.org/100%25/off?q=50%25"),
        ("http://example.org/%E1%80%95", "http://example.org/%E1%80%95"),
        ("http://example.org/ပှၤ", "http://example.org/%E1%80%95%E1%80%BE%E1%81%A4"),
        ("http://bücher.example/", "http://xn--bcher-kva.example/"),
    ],
)
def test_normalize_url(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    "bad", ["ftp://example.org/", "mailto:a@b", "http:///nohost", "http://user:pw@example.org/"]
)
def test_unfetchable_urls_are_refused(bad: str) -> None:
    with pytest.raises(CaptureError):
        normalize_url(bad)


def test_same_site() -> None:
    assert same_site("https://www.karennews.org/a", "https://cdn.karennews.org/b.jpg")
    assert same_site("https://news.bbc.co.uk/", "https://static.bbc.co.uk/x")
    assert not same_site("https://karennews.org/", "https://cdn.example.net/x")
    assert not same_site("http://127.0.0.1:1/", "http://localhost:1/")


ROBOTS = b"""
# comment
User-agent: *
Disallow: /
Allow: /news/
Disallow: /*?replytocom=
Disallow: /*.pdf$
Crawl-delay: 0.5

User-agent: archiver
User-agent: other
Disallow: /private/
"""


@pytest.mark.parametrize(
    ("agent", "path", "allowed"),
    [
        ("somebot/1.0", "/news/a", True),  # longest match: Allow /news/ beats Disallow /
        ("somebot/1.0", "/x", False),
        ("somebot/1.0", "/news/a?replytocom=3", False),  # wildcard
        ("somebot/1.0", "/news/f.pdf", False),  # end anchor
        ("somebot/1.0", "/news/f.pdfx", True),
        ("somebot/1.0", "/robots.txt", True),  # always allowed
        ("archiver/0.1 (+https://example.org)", "/x", True),  # its own group, not '*'
        ("archiver/0.1", "/private/a", False),
        ("Archiver/0.1", "/private/a", False),  # case-insensitive token
    ],
)
def test_robots_rfc9309(agent: str, path: str, allowed: bool) -> None:
    policy = RobotsPolicy.from_response(200, ROBOTS)
    assert policy.allows(agent, "http://example.org" + path) is allowed


def test_robots_crawl_delay_may_be_fractional() -> None:
    policy = RobotsPolicy.from_response(200, ROBOTS)
    assert policy.crawl_delay("somebot") == 0.5
    assert policy.crawl_delay("archiver/0.1") == 0.0


@pytest.mark.parametrize(
    ("status", "allowed"), [(404, True), (403, True), (429, False), (500, False), (None, False)]
)
def test_robots_status_rules(status: int | None, allowed: bool) -> None:
    policy = RobotsPolicy.from_response(status, b"")
    assert policy.allows("archiver", "http://example.org/page") is allowed


def test_image_linked_by_anchor_is_still_a_requisite() -> None:
    html = (
        b'<a href="/photo.jpg"><img src="/photo-300.jpg" srcset="/photo.jpg 1200w"></a>'
        b'<a href="/embed"></a><iframe src="/embed"></iframe>'
    )
    links = html_links(html, "http://example.org/post/")
    assert [u for u, _ in links.requisites] == [
        "http://example.org/photo-300.jpg",
        "http://example.org/photo.jpg",
    ]
    assert [u for u, _ in links.frames] == ["http://example.org/embed"]
    assert "http://example.org/photo.jpg" in [u for u, _ in links.outlinks]


@settings(max_examples=2000)
@given(
    ref=st.one_of(
        st.text(alphabet="/abc.?=&%#~ -:ပ\\", max_size=30).map(lambda t: "/" + t),
        st.text(alphabet="/abc.?=&%#~ -:ပ\\", max_size=30),
    ),
    base=st.sampled_from(
        ["http://example.org/a/b.html?x=1", "https://ex.org:8443/", "http://127.0.0.1:8080/p/q/"]
    ),
)
def test_resolve_fast_path_equals_urljoin(ref: str, base: str) -> None:
    from urllib.parse import urljoin

    from archiver.capture.urls import resolve

    try:
        expected: str | None = normalize_url(urljoin(base, ref.strip()))
    except (CaptureError, ValueError):
        expected = None
    stripped = ref.strip()
    if not stripped or stripped.startswith(
        ("#", "data:", "javascript:", "mailto:", "tel:", "about:")
    ):
        expected = None
    assert resolve(base, ref) == expected
