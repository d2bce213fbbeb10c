"""Fill rates and the drift alarm, from crawl stats."""

from __future__ import annotations

from crawler.extensions.report import DriftConfig, drift_alarms, fill_rates, site_sections

STATS = {
    "extract/pages/koreaherald/current": 40,
    "extract/filled/koreaherald/current/title": 40,
    "extract/filled/koreaherald/current/authors": 40,
    "extract/filled/koreaherald/current/published_at": 40,
    "extract/filled/koreaherald/current/body": 12,
    "extract/pages/koreaherald/legacy": 3,
    "extract/filled/koreaherald/legacy/title": 0,
    "extract/pages/othernews/selectors": 12,
    "extract/filled/othernews/selectors/title": 12,
    "extract/filled/othernews/selectors/authors": 12,
    "extract/filled/othernews/selectors/published_at": 12,
    "extract/filled/othernews/selectors/body": 11,
    "site/othernews/response_count": 30,
}


DRIFT = DriftConfig(min_fill_rate=0.9, min_pages=10)


def test_fill_rates_per_site_and_template() -> None:
    rates = fill_rates(STATS)["koreaherald"]
    assert rates["current"] == {
        "pages": 40,
        "title": 1.0,
        "authors": 1.0,
        "published_at": 1.0,
        "body": 0.3,
    }
    assert rates["legacy"]["title"] == 0.0
    assert fill_rates(STATS)["othernews"]["selectors"]["title"] == 1.0


def test_drift_alarm_below_the_floor_only_with_enough_pages() -> None:
    rates = fill_rates(STATS)["koreaherald"]
    alarms = drift_alarms(rates, DriftConfig(min_fill_rate=0.9, min_pages=10))
    assert alarms == ["current.body filled on 30.0% of 40 pages (floor 90%)"]
    assert drift_alarms(rates, DriftConfig(min_fill_rate=0.2, min_pages=10)) == []


def test_each_site_is_judged_alone() -> None:
    sites = site_sections(STATS, {"koreaherald": {}, "othernews": {}, "quiet": {}}, DRIFT)
    assert sites["koreaherald"]["drift_alarm"] is True
    assert sites["othernews"]["drift_alarm"] is False
    assert sites["othernews"]["stats"] == {"response_count": 30}
    assert sites["quiet"]["fill_rates"] == {}


def test_a_site_floor_replaces_the_global_one_for_its_field() -> None:
    rates = fill_rates(STATS)["koreaherald"]
    assert drift_alarms(rates, DRIFT, {"body": 0.25}) == []
    assert drift_alarms(rates, DRIFT, {"title": 1.0}) == [
        "current.body filled on 30.0% of 40 pages (floor 90%)"
    ]
