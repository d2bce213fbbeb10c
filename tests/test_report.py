"""Fill rates and the drift alarm, from crawl stats."""

from __future__ import annotations

from crawler.extensions.report import DriftConfig, drift_alarms, fill_rates

STATS = {
    "extract/pages/current": 40,
    "extract/filled/current/title": 40,
    "extract/filled/current/authors": 40,
    "extract/filled/current/published_at": 40,
    "extract/filled/current/body": 12,
    "extract/pages/legacy": 3,
    "extract/filled/legacy/title": 0,
}


def test_fill_rates_per_template() -> None:
    rates = fill_rates(STATS)
    assert rates["current"] == {
        "pages": 40,
        "title": 1.0,
        "authors": 1.0,
        "published_at": 1.0,
        "body": 0.3,
    }
    assert rates["legacy"]["title"] == 0.0


def test_drift_alarm_below_the_floor_only_with_enough_pages() -> None:
    alarms = drift_alarms(fill_rates(STATS), DriftConfig(min_fill_rate=0.9, min_pages=10))
    assert alarms == ["current.body filled on 30.0% of 40 pages (floor 90%)"]
    assert drift_alarms(fill_rates(STATS), DriftConfig(min_fill_rate=0.2, min_pages=10)) == []
