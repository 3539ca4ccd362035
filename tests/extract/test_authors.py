"""Author names: no "By", no duplicates, lists split, credentials kept."""

from __future__ import annotations

import pytest

from archiver.extract.authors import clean_authors


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["By Naw Paw"], ["Naw Paw"]),
        (["by: Naw Paw | Staff"], ["Naw Paw", "Staff"]),
        (["Written by Saw Htoo and Naw Paw"], ["Saw Htoo", "Naw Paw"]),
        (["Naw Paw", "NAW PAW", "naw paw"], ["Naw Paw"]),
        (["SAW HTOO"], ["Saw Htoo"]),
        (["Jillian Kubala, MS, RD"], ["Jillian Kubala, MS, RD"]),
        (["Ann Lee, Bo Tun; Cho Cho"], ["Ann Lee", "Bo Tun", "Cho Cho"]),
        (["https://example.org/author/naw-paw/"], []),
        (["@nawpaw"], []),
        (["Updated 3 hours ago"], []),
        (["naw@example.org"], []),
        ([""], []),
        (["Maria &amp; Katerina"], ["Maria & Katerina"]),
        (["Center for Drug Evaluation and Research"], ["Center for Drug Evaluation and Research"]),
        (["Written byDan Pantelo"], ["Dan Pantelo"]),
        (["Oleg Parashchak Jul 18"], ["Oleg Parashchak"]),
        (["Rachel MacDonald Writer"], ["Rachel MacDonald"]),
        (["Recipe by PJ Hamel"], ["PJ Hamel"]),
        (["Read more about The Upwork Team"], ["The Upwork Team"]),
        (["Dec. 19"], []),
        (['"David Kim"'], ["David Kim"]),
        (["page.head.extra.author"], []),
    ],
)
def test_clean_authors(values: list[str], expected: list[str]) -> None:
    assert clean_authors(values) == expected
