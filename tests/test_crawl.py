"""End-to-end: the real spider crawls the replica over loopback (issue: Foundation)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from crawler.replica import ReplicaServer, ReplicaSite
from crawler.state import CrawlState
from tests.crawling import SHARED, CrawlResult, koreaherald_id, run_crawl


def _instant(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _normalise(text: str) -> list[str]:
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return [" ".join(paragraph.split()) for paragraph in paragraphs if paragraph.strip()]


@pytest.fixture(scope="module")
def full_crawl(replica, tmp_path_factory) -> tuple[CrawlResult, list[Any]]:
    first_request = len(replica.requests)
    result = run_crawl(replica.base_url, tmp_path_factory.mktemp("full"), "since=2011-01-01")
    assert result.returncode == 0, result.log[-3000:]
    return result, replica.requests[first_request:]


def test_every_article_found_once(full_crawl, replica_site) -> None:
    result, requests = full_crawl
    truth_ids = {row["article_id"] for row in replica_site.ground_truth()}
    found = Counter(item["article_id"] for item in result.items)
    assert set(found) == truth_ids, f"missing {sorted(truth_ids - set(found))[:10]}"
    assert max(found.values()) == 1
    fetched = Counter(koreaherald_id(request.path) for request in requests if request.status == 200)
    fetched.pop(None, None)
    assert {ident: count for ident, count in fetched.items() if count > 1} == {}


def test_no_traffic_beyond_the_replica(full_crawl) -> None:
    result, requests = full_crawl
    # Every request the crawler sent, and the ones Chromium sent while rendering, arrived at
    # the replica: none went anywhere else. (A rendered page's navigation counts in both.)
    stats = result.stats
    browser = stats.get("playwright/request_count", 0) - stats.get(
        "playwright/request_count/navigation", 0
    )
    aborted = stats.get("playwright/request_count/aborted", 0)
    assert stats["downloader/request_count"] + browser - aborted == len(requests)


def test_fields_match_ground_truth(full_crawl, replica_site) -> None:
    result, _ = full_crawl
    items = {item["article_id"]: item for item in result.items}
    matches: dict[str, Counter[str]] = defaultdict(Counter)
    totals: Counter[str] = Counter()
    for truth in replica_site.ground_truth():
        item = items[truth["article_id"]]
        template = truth["template"]
        totals[template] += 1
        checks = {
            "title": item["title"] == truth["title"],
            "authors": item["authors"] == truth["authors"],
            "section": item["section"] == truth["section"],
            "published_at": _instant(item["published_at"]) == _instant(truth["published_at"]),
            "text": _normalise(item["text"]) == _normalise(truth["text"]),
        }
        for name, ok in checks.items():
            matches[template][name] += ok
    assert set(totals) >= {"current", "legacy"}
    for template, total in totals.items():
        for name, count in matches[template].items():
            assert count / total >= 0.99, f"{template}.{name}: {count}/{total}"


SEED_GOLD = SHARED / "seeds" / "001_cd471310c6203116.txt"


@pytest.mark.skipif(not SEED_GOLD.exists(), reason="shared/ folder (seed gold text) is absent")
def test_seed_article_text_equals_gold(full_crawl) -> None:
    result, _ = full_crawl
    seed = next(item for item in result.items if item["article_id"] == "20200116000798")
    gold = SEED_GOLD.read_text(encoding="utf-8")
    assert _normalise(seed["text"]) == _normalise(gold)
    assert seed["title"] == "S. Korea, China hold working-level defense talks over peninsula"
    assert seed["authors"] == ["Yonhap"]


def test_pages_without_body_are_counted(full_crawl, replica_site) -> None:
    result, _ = full_crawl
    dropped = sum(
        value for key, value in result.stats.items() if key.startswith("extract/no_body/")
    )
    assert dropped == len(replica_site.no_body_ids())
    assert "no article body at" in result.log


def test_report_has_fill_rates(full_crawl) -> None:
    result, _ = full_crawl
    site = result.report["sites"]["koreaherald"]
    assert site["fill_rates"]["current"]["title"] == 1.0
    assert site["drift_alarm"] is False
    assert result.report["drift_alarm"] is False


def test_max_articles_caps_the_crawl(replica, replica_site, tmp_path: Path) -> None:
    """The cap is on scheduling: five articles are fetched, and each is stored unless the
    replica has it gone or bodiless. Which five come first depends on the listings' order."""
    first_request = len(replica.requests)
    result = run_crawl(replica.base_url, tmp_path, "max_articles=5", "since=2011-01-01")
    assert result.returncode == 0, result.log[-3000:]
    assert result.stats["discovery/articles_scheduled"] == 5
    assert result.stats["discovery/articles_over_max"] > 0
    fetched = {koreaherald_id(r.path) for r in replica.requests[first_request:]} - {None}
    assert len(fetched) == 5
    not_stored = set(replica_site.gone_ids()) | set(replica_site.no_body_ids())
    assert {item["article_id"] for item in result.items} == fetched - not_stored


def test_a_legacy_alias_seen_redirecting_to_a_stored_article_is_not_fetched_again(
    tmp_path: Path,
) -> None:
    site = ReplicaSite(n_articles=80, seed=9)
    aliases = {a.alias_ud: a.article_id for a in site.articles if a.alias_ud}
    with ReplicaServer(site) as server:
        first = run_crawl(server.base_url, tmp_path, "since=2011-01-01", now=site.now)
        first_requests = list(server.requests)
        site.advance(days=10, new_articles=2)
        start = len(server.requests)
        second = run_crawl(server.base_url, tmp_path, "since=2011-01-01", now=site.now)
        second_requests = server.requests[start:]
    assert first.returncode == 0 and second.returncode == 0, second.log[-3000:]
    alias_paths = {f"/view.php?ud={ud}" for ud in aliases}
    assert len(alias_paths) == 3
    assert alias_paths <= {r.path for r in first_requests if r.status == 301}
    assert not alias_paths & {r.path for r in second_requests}
    assert second.stats["incremental/skipped_stored_alias"] == len(alias_paths)
    state = CrawlState.in_output(tmp_path)
    try:
        assert {ud: state.alias_target("koreaherald", ud) for ud in aliases} == aliases
    finally:
        state.close()


def test_default_window_takes_the_last_two_days(tmp_path: Path) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    site = ReplicaSite(n_articles=80, seed=7, now=now)
    recent = {
        row["article_id"]
        for row in site.ground_truth()
        if (now - _instant(row["published_at"])).total_seconds() <= 2 * 86400 - 600
    }
    with ReplicaServer(site) as server:
        result = run_crawl(server.base_url, tmp_path)
        legacy_listings = [r for r in server.requests if r.path.startswith("/list.php")]
    assert result.returncode == 0, result.log[-3000:]
    found = {item["article_id"] for item in result.items}
    assert recent, "the replica should have articles in the last two days"
    assert recent <= found
    assert all((now - _instant(item["published_at"])).days < 3 for item in result.items)
    assert legacy_listings == []


@pytest.mark.parametrize(
    ("argument", "message"),
    [
        ("since=yesterday", "expected YYYY-MM-DD"),
        ("sections=Nowhere", "unknown section"),
        ("max_articles=0", "max_articles must be a positive integer"),
    ],
)
def test_bad_arguments_fail_clearly(replica, tmp_path: Path, argument: str, message: str) -> None:
    result = run_crawl(replica.base_url, tmp_path, argument, timeout=60)
    assert result.returncode != 0
    assert message in result.log


def _token_f1(predicted: str, gold: str) -> float:
    predicted_tokens = Counter(re.findall(r"\w+", predicted.lower()))
    gold_tokens = Counter(re.findall(r"\w+", gold.lower()))
    overlap = sum((predicted_tokens & gold_tokens).values())
    if not overlap:
        return 0.0
    precision = overlap / sum(predicted_tokens.values())
    recall = overlap / sum(gold_tokens.values())
    return 2 * precision * recall / (precision + recall)


def test_text_token_f1_per_template(full_crawl, replica_site) -> None:
    result, _ = full_crawl
    items = {item["article_id"]: item for item in result.items}
    scores: dict[str, list[float]] = defaultdict(list)
    for truth in replica_site.ground_truth():
        scores[truth["template"]].append(
            _token_f1(items[truth["article_id"]]["text"], truth["text"])
        )
    for template, values in scores.items():
        values.sort()
        mean = sum(values) / len(values)
        fifth = values[int(0.05 * (len(values) - 1))]
        assert mean >= 0.99, f"{template}: mean token F1 {mean:.4f}"
        assert fifth >= 0.97, f"{template}: 5th percentile token F1 {fifth:.4f}"
