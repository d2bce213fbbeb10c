"""The publication window of a crawl: `since`/`until` arguments as aware datetimes.

A bare date means a calendar day in the site's time zone (the profile's `timezone`), so
`since=2025-01-01` starts at local midnight there and `until=2025-01-31` includes that whole day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from crawler.errors import ConfigError


class BadWindowError(ConfigError):
    """A `since`/`until` value that is not a date or an ISO datetime, or an empty window."""


def parse_bound(value: str, *, end_of_day: bool, tz: tzinfo, name: str = "since") -> datetime:
    """Parse `YYYY-MM-DD` or an ISO datetime (naive ones are in `tz`) into UTC.

    `name` is the argument the value came from, for the error message.
    """
    text = value.strip()
    try:
        if len(text) == 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day, time.max if end_of_day else time.min, tzinfo=tz)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=tz)
    except ValueError as exc:
        raise BadWindowError(f"{name}={value!r}: expected YYYY-MM-DD or an ISO datetime") from exc
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Window:
    """Articles published in [since, until]; `until=None` means open-ended."""

    since: datetime
    until: datetime | None

    @classmethod
    def from_args(
        cls,
        since: str | None,
        until: str | None,
        *,
        default_days: float,
        tz: tzinfo,
        now: datetime | None = None,
    ) -> Window:
        current = now or datetime.now(UTC)
        start = (
            parse_bound(since, end_of_day=False, tz=tz)
            if since
            else current - timedelta(days=default_days)
        )
        end = parse_bound(until, end_of_day=True, tz=tz, name="until") if until else None
        if end is not None and end < start:
            raise BadWindowError(
                f"until={until!r}: expected a moment after since ({since or start.isoformat()})"
            )
        return cls(start, end)

    def contains(self, moment: datetime | None) -> bool:
        """Unknown dates are inside: the page is fetched and judged after parsing."""
        if moment is None:
            return True
        if moment < self.since:
            return False
        return self.until is None or moment <= self.until

    def older_than_window(self, moment: datetime | None) -> bool:
        return moment is not None and moment < self.since
