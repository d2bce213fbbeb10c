"""URL identity: every variant of an article maps to one id and one canonical URL."""

from __future__ import annotations

import pytest

from crawler.urls import article_id, canonical_url, is_current_id, rebase

VARIANTS = [
    "https://www.koreaherald.com/article/10493730",
    "https://www.koreaherald.com/article/10493730/",
    "https://www.koreaherald.com/article/10493730?ref=rss",
    "https://WWW.KoreaHerald.com/article/10493730?utm_source=x&utm_medium=y#top",
    "https://m.koreaherald.com/article/10493730?fbclid=abc",
]
LEGACY = [
    "http://www.koreaherald.com/view.php?ud=20200116000798",
    "http://www.koreaherald.com/view.php?ud=20200116000798&np=3&mp=1",
    "http://news.koreaherald.com/view.php?ud=20200116000798&md=20220325003058_BL",
    "https://www.koreaherald.com/view.php?ud=/view.php?ud=20200116000798",
]


@pytest.mark.parametrize("url", VARIANTS)
def test_current_variants_share_id_and_canonical(url: str) -> None:
    assert article_id(url) == "10493730"
    assert canonical_url(url) == "https://www.koreaherald.com/article/10493730"


@pytest.mark.parametrize("url", LEGACY)
def test_legacy_variants_share_id_and_canonical(url: str) -> None:
    assert article_id(url) == "20200116000798"
    assert canonical_url(url) == "https://www.koreaherald.com/view.php?ud=20200116000798"


@pytest.mark.parametrize(
    "url", ["https://www.koreaherald.com/National", "https://www.koreaherald.com/list.php?ct=1"]
)
def test_non_articles_have_no_id(url: str) -> None:
    assert article_id(url) is None


def test_other_hosts_keep_their_query_but_lose_tracking() -> None:
    url = "HTTP://Example.COM:80/a?b=2&utm_campaign=x&a=1#frag"
    assert canonical_url(url) == "http://example.com/a?a=1&b=2"


def test_rebase_moves_site_hosts_only() -> None:
    base = "http://127.0.0.1:8000"
    assert rebase("https://m.koreaherald.com/article/1?x=1", base) == base + "/article/1?x=1"
    assert rebase("https://example.com/a", base) == "https://example.com/a"


def test_current_ids_are_told_from_legacy_ones() -> None:
    assert is_current_id("10493730")
    assert not is_current_id("20200116000798")
    assert not is_current_id("1049373x")
