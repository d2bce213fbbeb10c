"""The Korea Herald: `profile.toml` (data) and its template parsers (code)."""

from zoneinfo import ZoneInfo

#: Dates on the site's pages without an offset are Korea time.
KST = ZoneInfo("Asia/Seoul")
