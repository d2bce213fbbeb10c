"""Site profiles: loading and checking profile files, and each site's URL identity rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from crawler.errors import ConfigError
from crawler.sites import find_profile, load_profile, shipped_profiles, site_for_url

KH = find_profile("koreaherald")
VARIANTS = [
    "https://www.koreaherald.com/article/10493730",
    "https://www.koreaherald.com/article/10493730/",
    "https://www.koreaherald.com/article/10493730?ref=rss",
    "https://WWW.KoreaHerald.com/article/10493730?utm_source=x&utm_medium=y#top",
    "https://m.koreaherald.com/article/10493730?fbclid=abc",
    "https://www.koreaherald.com/amp/article/10493730",
]
LEGACY = [
    "http://www.koreaherald.com/view.php?ud=20200116000798",
    "http://www.koreaherald.com/view.php?ud=20200116000798&np=3&mp=1",
    "http://news.koreaherald.com/view.php?ud=20200116000798&md=20220325003058_BL",
    "https://www.koreaherald.com/view.php?ud=/view.php?ud=20200116000798",
]


@pytest.mark.parametrize("url", VARIANTS)
def test_current_variants_share_id_and_canonical(url: str) -> None:
    assert KH.article_id(url) == "10493730"
    assert KH.canonical_url(url) == "https://www.koreaherald.com/article/10493730"


@pytest.mark.parametrize("url", LEGACY)
def test_legacy_variants_share_id_and_canonical(url: str) -> None:
    assert KH.article_id(url) == "20200116000798"
    assert KH.canonical_url(url) == "https://www.koreaherald.com/view.php?ud=20200116000798"


@pytest.mark.parametrize(
    "url",
    [
        "https://www.koreaherald.com/National",
        "https://www.koreaherald.com/list.php?ct=1",
        # Another site's /article/N is not a Korea Herald article.
        "https://www.other-news.example/article/10493730",
        # Only ASCII digits make an id.
        "https://www.koreaherald.com/article/" + "\uff11\uff10\uff14\uff19\uff13\uff17\uff13\uff10",
    ],
)
def test_non_articles_have_no_id(url: str) -> None:
    assert KH.article_id(url) is None


def test_a_replica_base_url_moves_the_site_and_keeps_its_hosts() -> None:
    replica = KH.with_base_url("http://127.0.0.1:8000")
    assert replica.rebase("https://m.koreaherald.com/article/1?x=1") == (
        "http://127.0.0.1:8000/article/1?x=1"
    )
    assert replica.rebase("https://example.com/a") == "https://example.com/a"
    assert replica.article_id("http://127.0.0.1:8000/article/10493730/") == "10493730"
    assert replica.canonical_url("https://www.koreaherald.com/article/10493730?ref=rss") == (
        "http://127.0.0.1:8000/article/10493730"
    )
    assert replica.origin == "http://127.0.0.1:8000"


def test_sections_own_their_listings_and_archives() -> None:
    assert KH.section_of("https://www.koreaherald.com/National/Politics").name == "National"
    assert KH.section_of("https://www.koreaherald.com/list.php?ct=020101000000&np=2").name == (
        "National"
    )
    assert KH.section_of("https://www.koreaherald.com/Nationalism") is None
    assert KH.section("kpop").label == "K-pop"


def test_profiles_are_found_by_name_or_host() -> None:
    assert find_profile("www.koreaherald.com") is KH
    assert find_profile("https://m.koreaherald.com/x") is KH
    assert site_for_url("http://khnews.heraldcorp.com/view.php?ud=1") is KH
    assert set(shipped_profiles()) >= {"koreaherald"}
    with pytest.raises(ConfigError, match="unknown site 'nope'"):
        find_profile("nope")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('base_url = "https://x.example"', "name is required"),
        ('name = "Bad Name"\nbase_url = "https://x.example"', "name must match"),
        ('name = "x"\nbase_url = "ftp://x.example"', "must be an http"),
        ('name = "x"\nbase_url = "https://x.example"\ntimezone = "Mars/Base"', "IANA"),
        (
            'name = "x"\nbase_url = "https://x.example"\n'
            '[articles]\nurl_patterns = ["/a/(\\\\d+)"]',
            "has no \\(\\?P<id>",
        ),
        ('name = "x"\nbase_url = "https://x.example"\n[render]\nmode = "often"', "render.mode"),
        ('name = "x"\nbase_url = "https://x.example"\n[[sections]]\nname = "a"', "needs a listing"),
        ('name = "x"\nbase_url = "https://x.example"\ndefault_window_days = "2"', "a number"),
        ('name = "x"\nbase_url = "https://x.example"\n[discovery\n', "not valid TOML"),
        ('name = "x"\nbase_url = "https://x.example"\n[drift]\nauthor = 0.5', "drift.author"),
        ('name = "x"\nbase_url = "https://x.example"\n[drift]\nbody = 2', "drift.body"),
    ],
)
def test_bad_profiles_are_one_line_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "profile.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message) as caught:
        load_profile(path)
    assert str(path) in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_site_may_lower_its_drift_floor() -> None:
    assert dict(find_profile("yonhap").drift_floors) == {"authors": 0.6}
