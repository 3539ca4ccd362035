"""Date parsing keeps the page's precision and zone; RFC 3339 output."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from archiver.extract.dates import date_from_text, date_from_url, parse_date, rfc3339

PLUS_0630 = timezone(timedelta(hours=6, minutes=30))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-11-21T10:15:00+06:30", datetime(2023, 11, 21, 10, 15, tzinfo=PLUS_0630)),
        ("2023-11-21T10:15:00.123Z", datetime(2023, 11, 21, 10, 15, tzinfo=timezone.utc)),
        ("2023-11-21T10:15:00+0630", datetime(2023, 11, 21, 10, 15, tzinfo=PLUS_0630)),
        ("2023-11-21 10:15", datetime(2023, 11, 21, 10, 15)),
        ("2023-11-21", date(2023, 11, 21)),
        ("20231121", date(2023, 11, 21)),
        ("Tue, 21 Nov 2023 04:45:00 GMT", datetime(2023, 11, 21, 4, 45, tzinfo=timezone.utc)),
        ("November 21, 2023", date(2023, 11, 21)),
        ("21 Nov 2023", date(2023, 11, 21)),
        ("2023/11/21", date(2023, 11, 21)),
        ("1700541900", datetime(2023, 11, 21, 4, 45, tzinfo=timezone.utc)),
    ],
)
def test_parse_date(value: str, expected: object) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["", "soon", "2023-13-45", "0000-01-01", "x" * 500, None])
def test_not_dates(value: str | None) -> None:
    assert parse_date(value) is None


def test_rfc3339_forms() -> None:
    assert rfc3339(date(2023, 11, 21)) == "2023-11-21"
    assert rfc3339(datetime(2023, 11, 21, 10, 15, tzinfo=PLUS_0630)) == "2023-11-21T10:15:00+06:30"
    assert rfc3339(datetime(2023, 11, 21, 4, 45, tzinfo=timezone.utc)) == "2023-11-21T04:45:00Z"
    # no zone on the page: RFC 3339's "unknown local offset"
    assert rfc3339(datetime(2023, 11, 21, 10, 15)) == "2023-11-21T10:15:00-00:00"


def test_dates_in_urls_and_text() -> None:
    assert date_from_url("https://x.org/2023/11/21/story/") == date(2023, 11, 21)
    assert date_from_url("https://x.org/news/20231121-story") == date(2023, 11, 21)
    assert date_from_url("https://x.org/2023/11/story/") is None
    assert date_from_text("Posted on March 3rd, 2021 by admin") == date(2021, 3, 3)
    assert date_from_text("nothing here") is None
