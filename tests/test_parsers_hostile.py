"""Hostile input to the parsers: one bad value costs only itself, and work stays linear."""

from __future__ import annotations

import gzip
import json
import time

from parsel import Selector

from crawler.parsers.article import parse_article
from crawler.parsers.dates import parse_date
from crawler.parsers.discovery import (
    SITEMAP_MAX_INFLATED,
    parse_feed,
    parse_listing,
    parse_sitemap,
)
from crawler.parsers.jsonld import from_jsonld
from crawler.sites import find_profile

KH = find_profile("koreaherald")
BASE = "https://www.koreaherald.com"
#: Digits that `\d` matches without re.ASCII, written from ASCII so the source stays plain.
FULL_WIDTH = str.maketrans("0123456789", "".join(chr(0xFF10 + i) for i in range(10)))
ARABIC_INDIC = str.maketrans("0123456789", "".join(chr(0x0660 + i) for i in range(10)))


def test_absurd_dates_read_as_no_date() -> None:
    for text in (
        "0001-01-01T00:00:00+09:00",
        "9999-12-31T23:59:59-14:00",
        "Mon, 01 Jan 0001 00:00:00 +0000",
        "Jan 1, 0001",
        "2024-01-02".translate(FULL_WIDTH),
        "2024-01-02".translate(ARABIC_INDIC),
        "x" * 1_000_000,
    ):
        assert parse_date(text) is None, text
    assert parse_date("2024-01-02T10:00:00+09:00") is not None


def test_a_year_0001_lastmod_costs_only_its_own_date() -> None:
    body = f"""<?xml version="1.0"?>
    <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc>{BASE}/article/10000001</loc><lastmod>0001-01-01T00:00:00+00:00</lastmod></url>
      <url><loc>http://[::1</loc><lastmod>2025-01-02</lastmod></url>
      <url><loc>{BASE}/article/10000002</loc><lastmod>2025-01-02T10:00:00+09:00</lastmod></url>
    </urlset>""".encode()
    kind, links = parse_sitemap(body)
    assert kind == "urlset"
    assert [link.url for link in links] == [f"{BASE}/article/10000001", f"{BASE}/article/10000002"]
    assert links[0].published_at is None
    assert links[1].published_at is not None


def test_a_bad_feed_item_costs_only_itself() -> None:
    body = f"""<rss version="2.0"><channel>
      <item><link>{BASE}/article/10000001</link>
        <pubDate>Mon, 01 Jan 0001 00:00:00 +0000</pubDate></item>
      <item><link>http://[::1</link></item>
      <item><link>{BASE}/article/10000002</link>
        <pubDate>Thu, 02 Jan 2025 01:00:00 +0000</pubDate></item>
    </channel></rss>""".encode()
    links = parse_feed(body, f"{BASE}/rss/newsAll")
    assert [link.url for link in links] == [f"{BASE}/article/10000001", f"{BASE}/article/10000002"]


def test_a_bad_listing_card_costs_only_itself() -> None:
    html = """<html><body><ul class="news_list">
      <li><a href="/article/10000001">One</a><span>0001.01.01</span></li>
      <li><a href="http://[::1/article/10000003">Broken</a></li>
      <li><a href="/article/10000002">Two</a><span>2025.01.02</span></li>
    </ul></body></html>"""
    listing = parse_listing(f"{BASE}/National", html, KH)
    assert [link.url for link in listing.articles] == [
        f"{BASE}/article/10000001",
        f"{BASE}/article/10000002",
    ]
    assert listing.articles[0].published_at is None


def test_gzipped_sitemap_bomb_is_not_inflated() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * (SITEMAP_MAX_INFLATED + 1024) + b"</urlset>")
    assert len(bomb) < 1_000_000
    assert parse_sitemap(bomb) == ("urlset", [])


def test_non_ascii_digits_are_not_ids() -> None:
    assert KH.article_id(f"{BASE}/article/" + "12345678".translate(FULL_WIDTH)) is None
    assert KH.article_id(f"{BASE}/article/" + "12345678".translate(ARABIC_INDIC)) is None
    assert KH.article_id(f"{BASE}/view.php?ud=" + "20200116000798".translate(FULL_WIDTH)) is None
    assert KH.article_id(f"{BASE}/article/12345678") == "12345678"


def _page(jsonld: str) -> str:
    return f"""<html lang="en"><head>
      <meta property="og:title" content="Meta title">
      <meta property="article:published_time" content="2025-01-02T10:00:00+09:00">
      <meta name="keywords" content="alpha, beta">
      <script type="application/ld+json">{jsonld}</script></head>
      <body><article><p>{"A paragraph of the body. " * 40}</p></article></body></html>"""


def test_jsonld_date_out_of_range_falls_back_to_meta() -> None:
    jsonld = json.dumps(
        {"@type": "NewsArticle", "headline": "LD title", "datePublished": "0001-01-01T00:00:00Z"}
    )
    article = parse_article(f"{BASE}/article/10000001", _page(jsonld), KH)
    assert article.title == "LD title"
    assert article.published_at is not None and article.published_at.year == 2025
    assert article.field_sources["published_at"] == "meta"


def test_deeply_nested_jsonld_falls_back_without_error() -> None:
    deep = "[" * 100_000 + "]" * 100_000
    article = parse_article(f"{BASE}/article/10000001", _page(deep), KH)
    assert article.title == "Meta title"
    # Deep enough to be absurd, shallow enough for json to parse: the author alone is lost.
    author = '{"name": ' * 500 + '"Kim"' + "}" * 500
    jsonld = f'{{"@type": "NewsArticle", "headline": "T", "author": [{author}]}}'
    extracted = from_jsonld(Selector(text=_page(jsonld)), BASE)
    assert extracted.title == "T"
    assert extracted.authors == []


def test_huge_keyword_list_is_linear_and_falls_back() -> None:
    words = [f"kw{i}" for i in range(200_000)]
    jsonld = json.dumps({"@type": "NewsArticle", "headline": "T", "keywords": words})
    started = time.process_time()
    article = parse_article(f"{BASE}/article/10000001", _page(jsonld), KH)
    assert time.process_time() - started < 10  # quadratic took minutes at this size
    assert article.keywords == ["alpha", "beta"]
    stuffed = json.dumps({"@type": "NewsArticle", "headline": "T", "keywords": ",".join(words)})
    assert parse_article(f"{BASE}/article/10000001", _page(stuffed), KH).keywords == [
        "alpha",
        "beta",
    ]
