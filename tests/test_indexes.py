"""CDXJ keys: the fast SURT path must agree with the surt package wherever it answers."""

from __future__ import annotations

import string

import pytest
import surt
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.indexes import _simple_key, url_key

_LABEL = st.text(alphabet=string.ascii_lowercase + string.digits + "-", min_size=1, max_size=8)
_HOST = st.one_of(
    st.lists(_LABEL, min_size=1, max_size=4).map(".".join),
    st.builds(
        lambda www, rest: www + "." + rest,
        st.sampled_from(["www", "www2", "www10", "wwwx"]),
        st.lists(_LABEL, min_size=0, max_size=3).map(".".join),
    ),
    st.lists(st.integers(0, 300).map(str), min_size=4, max_size=4).map(".".join),
    st.lists(st.sampled_from(["0", "01", "255", "256", "00"]), min_size=4, max_size=4).map(
        ".".join
    ),
)
_SEGMENT = st.text(alphabet=string.ascii_letters + string.digits + "._~-", max_size=8)
_PATH = st.lists(_SEGMENT, max_size=4).map(lambda segs: "/" + "/".join(segs))
_PORT = st.sampled_from(
    ["", ":80", ":443", ":8080", ":65535", ":0", ":080", ":08080", ":65536", ":99999"]
)


@settings(max_examples=1500, deadline=None)
@given(st.sampled_from(["http", "https"]), _HOST, _PORT, _PATH)
def test_fast_key_agrees_with_surt(scheme: str, host: str, port: str, path: str) -> None:
    url = f"{scheme}://{host}{port}{path}"
    fast = _simple_key(url)
    if fast is not None:
        assert fast == surt.surt(url), url


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/news/Article-1.html",
        "https://www.karennews.org/2023/11/a-story/",
        "http://www2.example.com/",
        "https://example.org:443/x",
        "http://1.2.3.4/x",
    ],
)
def test_fast_key_covers_the_common_shapes(url: str) -> None:
    assert _simple_key(url) == surt.surt(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/search?q=B&a=1",  # query: surt sorts and filters it
        "http://example.com/a%20b",  # escapes: surt unescapes
        "http://example.com/a//b",  # surt collapses the empty segment
        "http://0127.0.0.1/",  # octal-looking octet: surt's IP parsing
        "http://2130706433/",  # a number as a host
        "http://Example.com/",  # normalize_url lower-cases hosts; others go to surt
        "http://example.com/x;jsessionid=ABC",
        "http://example.com:0/",  # surt drops port 0
        "http://example.com:080/a",  # a leading zero: surt reads it as 80
        "http://example.com:99999/",  # no such port: surt refuses, url_key keeps the URL
    ],
)
def test_anything_else_goes_to_surt(url: str) -> None:
    assert _simple_key(url) is None
    try:
        expected = surt.surt(url)
    except Exception:
        expected = url
    assert url_key(url) == expected
