"""The run id: one per crawl process, shared by WARC, text store, Parquet and the report."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from crawler.errors import ConfigError

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

_ATTRIBUTE = "_newscrawl_run_id"


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, collision-safe id: UTC start time plus a random suffix."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return f"{moment:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def run_id(crawler: Crawler) -> str:
    """The `RUN_ID` setting, or an id made once per crawler and kept on it."""
    configured = crawler.settings.get("RUN_ID")
    if configured:
        return str(configured)
    existing = getattr(crawler, _ATTRIBUTE, None)
    if existing is None:
        existing = new_run_id()
        setattr(crawler, _ATTRIBUTE, existing)
    return existing


def crawl_now(settings: Any) -> datetime:
    """The crawl's clock: the `CRAWL_NOW` setting (ISO 8601), or the wall clock.

    Windows and re-check ages are computed from it, so tests and replays can pin it.
    """
    value = settings.get("CRAWL_NOW")
    if not value:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"CRAWL_NOW={value!r}: expected an ISO 8601 datetime") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
