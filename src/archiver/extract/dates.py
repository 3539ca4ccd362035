"""Dates as pages write them → ``datetime`` / ``date``, and back out as RFC 3339.

A value keeps exactly the precision and zone the page gives:

- a day only (``2024-05-01``, ``May 1, 2024``) becomes a :class:`datetime.date`;
- a time with a zone (``…T10:00:00+07:00``, ``… GMT``) becomes an aware ``datetime``;
- a time without a zone becomes a naive ``datetime``, written out with RFC 3339's
  "unknown local offset" ``-00:00`` (section 4.3) rather than a guessed zone.

    >>> parse_date("Wed, 01 May 2024 10:00:00 GMT")
    datetime.datetime(2024, 5, 1, 10, 0, tzinfo=datetime.timezone.utc)
    >>> rfc3339(parse_date("2024-05-01T10:00"))
    '2024-05-01T10:00:00-00:00'
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

__all__ = ["DateValue", "date_from_text", "date_from_url", "parse_date", "rfc3339"]

DateValue = date | datetime

_MIN_YEAR = 1900
_MAX_YEAR = 2100

_ISO = re.compile(
    r"""^\s*(?P<y>\d{4})-?(?P<m>\d{1,2})-?(?P<d>\d{1,2})
    (?:[T\s]+(?P<H>\d{1,2}):?(?P<M>\d{2})(?::?(?P<S>\d{2})(?:[.,]\d+)?)?
      \s*(?P<z>Z|UTC|GMT|[+-]\d{2}(?::?\d{2})?)?)?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)
_SLASHED = re.compile(r"^\s*(\d{4})[/.](\d{1,2})[/.](\d{1,2})\b")
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january", "janvier", "januar", "enero", "gennaio"),
            ("feb", "february", "février", "fevrier", "februar", "febrero", "febbraio"),
            ("mar", "march", "mars", "märz", "marzo"),
            ("apr", "april", "avril", "abril", "aprile"),
            ("may", "mai", "mayo", "maggio"),
            ("jun", "june", "juin", "juni", "junio", "giugno"),
            ("jul", "july", "juillet", "juli", "julio", "luglio"),
            ("aug", "august", "août", "aout", "agosto"),
            ("sep", "sept", "september", "septembre", "septiembre", "settembre"),
            ("oct", "october", "octobre", "oktober", "octubre", "ottobre"),
            ("nov", "november", "novembre", "noviembre"),
            ("dec", "december", "décembre", "decembre", "dezember", "diciembre", "dicembre"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_RE = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
# "May 1, 2024", "May 1st 2024", "1 May 2024", "1. Mai 2024", "01 May, 2024"
_MDY = re.compile(
    rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.IGNORECASE
)
_DMY = re.compile(
    rf"\b(\d{{1,2}})(?:st|nd|rd|th|\.)?\s+(?:de\s+)?({_MONTH_RE})\.?,?\s+(?:de\s+)?(\d{{4}})\b",
    re.IGNORECASE,
)
_URL_DATE = re.compile(
    r"/((?:19|20)\d{2})[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?:[/_+.-]|$)"
)
_URL_DATE_LOOSE = re.compile(r"/((?:19|20)\d{2})/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])/")
_NUMERIC_TEXT = re.compile(r"\b((?:19|20)\d{2})[-/.](\d{1,2})[-/.](\d{1,2})\b")
# 17.05.2021 (day first, as written with dots) and 10/31/2024 (month first unless impossible)
_DOTTED_DMY = re.compile(r"\b(\d{1,2})\.(\d{1,2})\.((?:19|20)\d{2})\b")
_SLASHED_MDY = re.compile(r"\b(\d{1,2})/(\d{1,2})/((?:19|20)\d{2})\b")


def _day(year: int, month: int, day: int) -> date | None:
    if not _MIN_YEAR <= year <= _MAX_YEAR:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _zone(text: str | None) -> timezone | None:
    if text is None:
        return None
    upper = text.upper()
    if upper in ("Z", "UTC", "GMT"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours = int(digits[:2])
    minutes = int(digits[2:4] or 0)
    if hours > 23 or minutes > 59:
        return None
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_date(value: str | None) -> DateValue | None:
    """Parse a machine-readable or common human-readable date; None if it is not one."""
    if not value:
        return None
    value = value.strip()
    if not value or len(value) > 100:
        return None
    match = _ISO.match(value)
    if match:
        day = _day(int(match["y"]), int(match["m"]), int(match["d"]))
        if day is None:
            return None
        if match["H"] is None:
            return day
        hour, minute, second = int(match["H"]), int(match["M"]), int(match["S"] or 0)
        if hour > 23 or minute > 59 or second > 59:
            return day
        zone = _zone(match["z"])
        return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=zone)
    if value.isdigit() and len(value) in (10, 13):  # a Unix time stamp (s or ms)
        seconds = int(value) / (1000 if len(value) == 13 else 1)
        try:
            stamp = datetime.fromtimestamp(seconds, tz=timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
        return stamp if _MIN_YEAR <= stamp.year <= _MAX_YEAR else None
    if "," in value[:5] or value[-3:].upper() in ("GMT", "UTC") or value[-5:-4] in "+-":
        try:
            mail = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            mail = None
        if mail is not None and _MIN_YEAR <= mail.year <= _MAX_YEAR:
            return mail
    match2 = _SLASHED.match(value)
    if match2:
        return _day(int(match2[1]), int(match2[2]), int(match2[3]))
    return date_from_text(value)


def date_from_text(text: str) -> date | None:
    """The first written-out date (``May 1, 2024``, ``1 May 2024``, ``2024-05-01``) in ``text``."""
    best: tuple[int, date] | None = None
    patterns = (
        (_MDY, "mdy"), (_DMY, "dmy"), (_NUMERIC_TEXT, "ymd"), (_DOTTED_DMY, "ndmy"),
        (_SLASHED_MDY, "nmdy"),
    )  # fmt: skip
    for pattern, order in patterns:
        match = pattern.search(text)
        if match is None:
            continue
        if order == "mdy":
            day = _day(int(match[3]), _MONTHS[match[1].lower()], int(match[2]))
        elif order == "dmy":
            day = _day(int(match[3]), _MONTHS[match[2].lower()], int(match[1]))
        elif order == "ndmy":
            day = _day(int(match[3]), int(match[2]), int(match[1]))
        elif order == "nmdy":
            first, second = int(match[1]), int(match[2])
            if first > 12:  # cannot be a month: day first
                first, second = second, first
            day = _day(int(match[3]), first, second)
        else:
            day = _day(int(match[1]), int(match[2]), int(match[3]))
        if day is not None and (best is None or match.start() < best[0]):
            best = (match.start(), day)
    return best[1] if best else None


def date_from_url(url: str) -> date | None:
    """A date written in a URL path (``/2024/05/01/slug``, ``/20240501-slug``)."""
    match = _URL_DATE.search(url) or _URL_DATE_LOOSE.search(url)
    if match is None:
        return None
    return _day(int(match[1]), int(match[2]), int(match[3]))


def rfc3339(value: DateValue) -> str:
    """RFC 3339 text: ``full-date`` for a day, ``date-time`` (``-00:00`` if no zone) for a time."""
    if not isinstance(value, datetime):
        return value.isoformat()
    text = value.replace(microsecond=0).isoformat()
    if value.tzinfo is None:
        return text + "-00:00"
    return text.replace("+00:00", "Z") if value.utcoffset() == timedelta(0) else text
