"""The news spider's settings, read once into a typed config object."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from crawler.checks import bool_setting, float_setting, int_setting
from crawler.run import crawl_now

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings


@dataclass(frozen=True, slots=True)
class NewsConfig:
    """What the news spider needs from the settings (see crawler/settings.py for defaults)."""

    now: datetime  # CRAWL_NOW, else the wall clock: windows are measured on it
    default_window_days: float  # NEWS_DEFAULT_WINDOW_DAYS; 0 = each profile's own
    max_listing_pages: int  # NEWS_MAX_LISTING_PAGES, a cap over every profile's
    render_js: bool  # NEWS_RENDER_JS
    incremental: bool  # INCREMENTAL_ENABLED: discovery also covers the re-check horizon
    recheck_days: float  # RECHECK_DAYS

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> NewsConfig:
        return cls(
            now=crawl_now(settings),
            default_window_days=float_setting(settings, "NEWS_DEFAULT_WINDOW_DAYS", 0.0, minimum=0),
            max_listing_pages=int_setting(settings, "NEWS_MAX_LISTING_PAGES", 1000, minimum=1),
            render_js=bool_setting(settings, "NEWS_RENDER_JS", True),
            incremental=bool_setting(settings, "INCREMENTAL_ENABLED", True),
            recheck_days=float_setting(settings, "RECHECK_DAYS", 3.0, minimum=0),
        )
