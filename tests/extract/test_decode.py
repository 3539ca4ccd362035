"""Encoding choice: BOM, HTTP charset, <meta charset>, then detection."""

from __future__ import annotations

import pytest

from archiver.extract.decode import decode_html

CAFE = "Café déjà vu — “quoted”"


def test_bom_wins_over_everything() -> None:
    data = "\ufeff<meta charset=latin1><p>" + CAFE
    decoded = decode_html(
        data.encode("utf-8"), headers={"Content-Type": "text/html; charset=cp1251"}
    )
    assert decoded.source == "bom" and decoded.text.endswith(CAFE)


def test_utf16_bom() -> None:
    decoded = decode_html("\ufeff<p>".encode("utf-16-le") + CAFE.encode("utf-16-le"))
    assert decoded.text.endswith(CAFE)


def test_http_charset_before_meta() -> None:
    data = ("<meta charset='utf-8'><p>" + CAFE).encode("cp1252")
    decoded = decode_html(data, headers={"content-type": 'text/html; charset="windows-1252"'})
    assert decoded.source == "http" and decoded.text.endswith(CAFE)


@pytest.mark.parametrize(
    "meta",
    [
        '<meta charset="iso-8859-1">',
        "<META HTTP-EQUIV='Content-Type' CONTENT='text/html; charset=ISO-8859-1'>",
    ],
)
def test_meta_charset_and_latin1_means_windows_1252(meta: str) -> None:
    decoded = decode_html((meta + "<p>" + CAFE).encode("cp1252"))
    assert decoded.source == "meta" and decoded.encoding == "cp1252"
    assert decoded.text.endswith(CAFE)


def test_detection_utf8_then_fallback() -> None:
    assert decode_html(("<p>" + CAFE).encode()).source == "utf-8"
    fallback = decode_html(("<p>" + CAFE).encode("cp1252"))
    assert fallback.source == "fallback" and fallback.text.endswith(CAFE)


def test_unknown_labels_are_ignored() -> None:
    data = ("<meta charset=klingon><p>" + CAFE).encode()
    assert decode_html(data, headers={"Content-Type": "text/html; charset=nope"}).text.endswith(
        CAFE
    )


def test_mislabelled_utf8_with_a_stray_byte_stays_utf8() -> None:
    data = ("<p>" + CAFE * 50).encode() + b"\xff"
    decoded = decode_html(data, headers={"Content-Type": "text/html; charset=utf-8"})
    assert CAFE in decoded.text and decoded.text.endswith("\ufffd")
