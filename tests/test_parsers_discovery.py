"""Link discovery on real (shared) and hand-written listing pages, feeds, sitemaps, robots.txt."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.parsers.discovery import (
    parse_feed,
    parse_listing,
    parse_sitemap,
    sitemaps_from_robots,
)
from crawler.sites import find_profile

FIXTURES = Path(__file__).parent / "fixtures" / "parsers" / "discovery"
RESEARCH = Path(__file__).resolve().parents[2] / "shared" / "fixtures-research" / "koreaherald"
HOMEPAGE_2018 = RESEARCH / "legacy-2018-03-20_homepage.html"
RSS_2021 = RESEARCH / "legacy-2021-02-09_rss_sample.xml"
KH = find_profile("koreaherald")
needs_shared = pytest.mark.skipif(
    not RESEARCH.exists(), reason="shared/fixtures-research (real Korea Herald samples) is absent"
)


@needs_shared
def test_real_2018_homepage_links() -> None:
    listing = parse_listing("http://www.koreaherald.com/", HOMEPAGE_2018.read_text("utf-8"), KH)
    sections = listing.section_links
    # SOURCES.md: 55 distinct list.php links; 44 list one of the profile's seven sections
    # (the rest are the all-news list, ctv= video lists and sections the profile lacks).
    assert len(sections) == len(set(sections)) == 44
    assert all(KH.section_of(url) is not None for url in sections)
    assert "http://www.koreaherald.com/list.php?ct=020100000000" in sections
    assert all("theinvestor.co.kr" not in url for url in sections)
    # 51 distinct koreaherald.com articles; theinvestor / kpopherald links are other sites.
    assert len(listing.articles) == 51
    prefix = "http://www.koreaherald.com/view.php?ud="
    assert all(link.url.startswith(prefix) for link in listing.articles)
    first = listing.articles[0]
    assert first.url == "http://www.koreaherald.com/view.php?ud=20180320000803"
    assert first.title == "S. Korea to send heavyweights of K-pop to North Korea"
    assert listing.next_pages == []


@needs_shared
def test_real_2021_rss_item() -> None:
    links = parse_feed(RSS_2021.read_bytes(), "http://www.koreaherald.com/rss_xml.php", KH.tz)
    assert len(links) == 1
    assert links[0].url == "http://www.koreaherald.com/view.php?ud=20210209000915"
    assert links[0].published_at == datetime(2021, 2, 9, 6, 22, 43, tzinfo=UTC)
    assert links[0].title == "Seegene found to have exaggerated revenue for 9 years"


def test_the_profile_fixes_2023_doubled_feed_link_and_atom_dates_are_site_time() -> None:
    rss = (
        b"<rss><channel><item><title>T</title>"
        b"<link>https://www.koreaherald.com/view.php?ud=/view.php?ud=20230814000600</link>"
        b"<pubDate>Mon, 14 Aug 2023 10:00:00 +0900</pubDate></item></channel></rss>"
    )
    (item,) = parse_feed(rss, "https://www.koreaherald.com/common/rss_xml.php?ct=102", KH.tz)
    assert KH.canonical_url(item.url) == "https://www.koreaherald.com/view.php?ud=20230814000600"
    atom = (
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><title>A</title>'
        b'<link rel="alternate" href="/article/10500001"/>'
        b"<published>2025-01-02T10:20:00</published></entry></feed>"
    )
    (entry,) = parse_feed(atom, "https://www.koreaherald.com/rss/newsAll", KH.tz)
    assert entry.url == "https://www.koreaherald.com/article/10500001"
    assert entry.published_at == datetime(2025, 1, 2, 1, 20, tzinfo=UTC)
    assert parse_feed(b"not xml at all <<<", "https://x/") == []


def test_current_section_page_with_pagination() -> None:
    html = (FIXTURES / "current-national-page2.html").read_text("utf-8")
    listing = parse_listing("https://www.koreaherald.com/National?page=2", html, KH)
    assert [(a.url, a.title, a.published_at) for a in listing.articles] == [
        (
            "https://www.koreaherald.com/article/10500010",
            "Court rules on strike case",
            datetime(2025, 1, 2, 1, 20, tzinfo=UTC),
        ),
        (
            "https://www.koreaherald.com/article/10500009",
            "Ministry unveils housing plan",
            datetime(2025, 1, 2, 0, 5, tzinfo=UTC),
        ),
        (
            "https://m.koreaherald.com/article/10500008/",
            "Snow warning issued",
            datetime(2025, 1, 1, 14, 10, tzinfo=UTC),
        ),
    ]
    assert listing.next_pages == [
        "https://www.koreaherald.com/National?page=1",
        "https://www.koreaherald.com/National?page=3",
    ]
    assert listing.section_links == [
        "https://www.koreaherald.com/National",
        "https://www.koreaherald.com/Business",
        "https://www.koreaherald.com/Business/Market",
        "https://www.koreaherald.com/LifenCulture",
        "https://www.koreaherald.com/Opinion",
    ]


def test_legacy_list_page() -> None:
    html = (FIXTURES / "legacy-list-020100000000-np1.html").read_text("utf-8")
    url = "http://www.koreaherald.com/list.php?ct=020100000000&np=1&mp=1"
    listing = parse_listing(url, html, KH)
    assert [a.title for a in listing.articles] == [
        "S. Korea, China hold working-level defense talks over peninsula",
        "BTS to perform at Grammys",
        "Moon pledges reform",
    ]
    assert listing.articles[0].published_at == datetime(2020, 1, 15, 15, 0, tzinfo=UTC)
    assert listing.next_pages == [
        "http://www.koreaherald.com/list.php?ct=020100000000&np=2&mp=1",
        "http://www.koreaherald.com/list.php?ct=020100000000&np=3&mp=1",
    ]
    assert listing.section_links == [
        "http://www.koreaherald.com/list.php?ct=020101000000",
        "http://www.koreaherald.com/list.php?ct=020200000000",
    ]


def test_sitemap_index_and_gzipped_news_sitemap() -> None:
    kind, entries = parse_sitemap((FIXTURES / "sitemap-index.xml").read_bytes(), KH.tz)
    assert kind == "index"
    assert [e.url for e in entries] == [
        "https://www.koreaherald.com/sitemap/news.xml",
        "https://www.koreaherald.com/sitemap/2025-05.xml",
    ]
    assert entries[0].published_at == datetime(2025, 5, 12, 9, 40, tzinfo=UTC)
    kind, entries = parse_sitemap(
        gzip.compress((FIXTURES / "news-sitemap.xml").read_bytes()), KH.tz
    )
    assert kind == "urlset"
    assert entries[0].url == "https://www.koreaherald.com/article/10493730"
    assert entries[0].published_at == datetime(2025, 5, 12, 1, 15, tzinfo=UTC)
    assert entries[0].title == "Seoul to expand late-night bus network & more"
    assert entries[1].published_at == datetime(2025, 5, 11, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize("body", [b"", b"<html>nope", b"\x1f\x8bbroken", b"<urlset><url>"])
def test_bad_sitemaps_are_empty(body: bytes) -> None:
    assert parse_sitemap(body) == ("urlset", [])


def test_robots_sitemaps() -> None:
    robots = (FIXTURES / "robots.txt").read_text("utf-8")
    assert sitemaps_from_robots(robots, "https://www.koreaherald.com/robots.txt") == [
        "https://www.koreaherald.com/sitemap.xml",
        "https://www.koreaherald.com/sitemap/news.xml",
    ]


def test_section_table() -> None:
    assert KH.section("LifenCulture").feed == "/rss/kh_LifenCulture"
    assert KH.section("National").archive == "/list.php?ct=020100000000&np=1"
    assert KH.section("World").listing == "/World"
