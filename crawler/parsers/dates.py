"""Date parsing for every format news sites show; naive times are in the site's time zone,
results are UTC."""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo
from email.utils import parsedate_to_datetime

_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# "Jan 16, 2020 - 21:21", "Aug. 13, 2013 - 18:47", "Sept. 30, 2023", "April 26, 2022"
_WORDY = re.compile(
    r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})(?:\s*[-\u2013,]?\s*(?:at\s+)?(\d{1,2}):(\d{2}))?",
    re.ASCII,
)
# "2025.01.02 10:20", "2025-01-02 10:20:33", "2025/01/02"
_NUMERIC = re.compile(
    r"\b(\d{4})[.\-/](\d{1,2})[.\-/](\d{1,2})\.?(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?",
    re.ASCII,
)
# Dates are ASCII digits only: re.ASCII keeps full-width or Arabic-Indic digits out.
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}", re.ASCII)
# The year of an RFC 822 date as written: email.utils reads "0001" as 2001.
_RFC_YEAR = re.compile(r"\b\d{4}\b", re.ASCII)
_LABELLED = re.compile(r"(Published|Updated)\s*:?\s*(.+?)(?=(?:Published|Updated)\s*:|$)", re.I)


#: Dates outside these years are absurd for a news page (a year-0001 `lastmod`, a 9999
#: placeholder): they read as no date, so the next source of the field is used.
PLAUSIBLE_YEARS = range(1900, 2200)
#: A date is a short string; a longer one is not searched (regexes stay linear and cheap).
_MAX_DATE_CHARS = 200


def _to_utc(value: datetime, tz: tzinfo) -> datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    if value.year not in PLAUSIBLE_YEARS:
        raise ValueError(f"implausible year {value.year}")
    return value.astimezone(UTC)


def parse_date(text: str | None, tz: tzinfo = UTC) -> datetime | None:
    """Parse one date string into tz-aware UTC; a string without offset is read in `tz`.

    Never raises: a malformed or absurd date is None, so it costs only its own field.
    """
    if not text or not isinstance(text, str):
        return None
    text = " ".join(text[:_MAX_DATE_CHARS].split())
    if _ISO.match(text):
        try:
            return _to_utc(datetime.fromisoformat(text.replace("z", "Z")), tz)
        except (ValueError, OverflowError):
            pass
    if re.match(r"^[A-Za-z]{3},\s", text) or re.search(r"[+-]\d{4}$|\bGMT$", text):
        year = _RFC_YEAR.search(text)
        if year and int(year.group()) not in PLAUSIBLE_YEARS:
            return None
        try:
            return _to_utc(parsedate_to_datetime(text), tz)
        except (TypeError, ValueError, IndexError, OverflowError):
            pass
    return _parse_loose(text, tz)


def _parse_loose(text: str, tz: tzinfo) -> datetime | None:
    match = _WORDY.search(text)
    try:
        if match:
            month = _MONTHS.get(match.group(1)[:3].lower())
            if month:
                hour, minute = match.group(4) or 0, match.group(5) or 0
                return _to_utc(
                    datetime(
                        int(match.group(3)), month, int(match.group(2)), int(hour), int(minute)
                    ),
                    tz,
                )
        match = _NUMERIC.search(text)
        if match:
            parts = [int(g) if g else 0 for g in match.groups()]
            return _to_utc(datetime(*parts), tz)
    except (ValueError, OverflowError):
        return None
    return None


def parse_published_updated(
    text: str | None, tz: tzinfo = UTC
) -> tuple[datetime | None, datetime | None]:
    """Read "Published : … Updated : …" bylines; an unlabelled date counts as published."""
    if not text:
        return None, None
    text = " ".join(text.split())
    found: dict[str, datetime | None] = {}
    for label, value in _LABELLED.findall(text):
        found.setdefault(label.lower(), parse_date(value, tz))
    if not found:
        return parse_date(text, tz), None
    return found.get("published"), found.get("updated")
