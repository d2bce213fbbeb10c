"""Real-site defaults: polite, identifying, no listeners; `-s` wins."""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

import pytest
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawler.window import BadWindowError, Window


def test_polite_defaults() -> None:
    settings = get_project_settings()
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 2
    assert settings.getfloat("DOWNLOAD_DELAY") >= 1.0
    assert not settings.getbool("TELNETCONSOLE_ENABLED")
    assert not settings.getbool("REMOTE_CONTROL_ENABLED")
    assert settings.get("CONTACT_URL") in settings.get("USER_AGENT")
    assert settings.get("OUTPUT_DIR") == "output"


def test_command_line_settings_win() -> None:
    settings = Settings(get_project_settings().copy_to_dict(), priority="project")
    settings.set("DOWNLOAD_DELAY", 0.25, priority="cmdline")
    assert settings.getfloat("DOWNLOAD_DELAY") == 0.25


def test_window_bounds_are_days_in_the_site_time_zone() -> None:
    seoul = ZoneInfo("Asia/Seoul")
    window = Window.from_args("2025-01-01", "2025-01-31", default_days=2, tz=seoul)
    assert window.since.isoformat() == "2024-12-31T15:00:00+00:00"
    assert window.until is not None and window.until.isoformat().startswith("2025-01-31T14:59:59")


@pytest.mark.parametrize(("since", "until"), [("yesterday", None), ("2025-02-01", "2025-01-01")])
def test_window_rejects_bad_input(since: str, until: str | None) -> None:
    with pytest.raises(BadWindowError):
        Window.from_args(since, until, default_days=2, tz=UTC)
