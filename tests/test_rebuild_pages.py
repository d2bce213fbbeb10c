"""Which pages `scrapy rebuild` takes for articles on sites without URL patterns: judged by
what the page declares and by where its body sits, never by the shape of its URL."""

from __future__ import annotations

import gzip
import hashlib
import json

import pytest

from crawler.items import Article
from crawler.rebuild import SiteResolver, rebuild_page, skip_reason
from crawler.replica import ReplicaSite
from crawler.replica.padding import pad
from crawler.replica.wpnews import WordPressSite
from crawler.sites import SiteProfile, find_profile
from tests.crawling import SHARED

#: A site no profile names, as `SiteResolver` makes for an unknown host.
UNKNOWN = SiteProfile(name="replica.example", base_url="https://replica.example")
BENCHMARK = SHARED / "benchmarks" / "article-extraction"
#: Real articles the URL heuristic this replaced took for home or section pages.
LOST_BY_URL = [
    "https://vortexcannon.org/about-bugs/",
    "https://vortexcannon.org/dare-to-play-3-october-pack-2/",
    "https://www.thespacereview.com/article/3834/1",
    "https://gto-normativy.ru/skajrim-skorost-bega-kak-uvelichit/",
    "http://vse-diety.com/dieta-atkinsa.html",
    "http://entermedia.co.kr/news/news_view.html?idx=8576&page=1&bc=03&mc=08&find=&sch_date=",
    "http://entermedia.co.kr/news/news_view.html?idx=8723&page=1&bc=&mc=&find=&sch_date=",
]
PROSE = " ".join(
    f"Sentence {n} of the story tells the reader what the council decided this week and why."
    for n in range(12)
)


def judge(site: ReplicaSite | WordPressSite, path: str, pad_kb: int = 0) -> Article | str:
    """Render a replica page as served at UNKNOWN's URL and judge it with UNKNOWN's profile."""
    page = site.route(path, UNKNOWN.base_url)
    body = pad(page.body, pad_kb * 1024).encode(page.encoding)
    return rebuild_page(UNKNOWN.base_url + path, body, page.content_type, UNKNOWN)


def judge_html(
    url: str, head: str, body: str = f"<article><p>{PROSE}</p></article>"
) -> Article | str:
    html = f"<html><head>{head}</head><body>{body}</body></html>"
    return rebuild_page(url, html.encode(), "text/html; charset=utf-8", UNKNOWN)


def jsonld(*nodes: dict) -> str:
    return f'<script type="application/ld+json">{json.dumps({"@graph": list(nodes)})}</script>'


@pytest.mark.parametrize("pad_kb", [0, 120])
@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/", "not-article/teasers"),
        ("/National", "not-article/teasers"),
        ("/National/Politics", "not-article/teasers"),
        ("/list.php?ct=020100000000", "no-body/too-short"),
    ],
)
def test_replica_home_and_section_pages_are_skipped_with_reasons(
    replica_site: ReplicaSite, path: str, reason: str, pad_kb: int
) -> None:
    assert judge(replica_site, path, pad_kb) == reason


@pytest.mark.parametrize("pad_kb", [0, 120])
def test_replica_articles_of_every_template_are_articles(
    replica_site: ReplicaSite, pad_kb: int
) -> None:
    firsts = {truth["template"]: truth for truth in reversed(replica_site.ground_truth())}
    assert set(firsts) == {"current", "redesign2023", "legacy"}
    for truth in firsts.values():
        article = judge(replica_site, truth["canonical_path"], pad_kb)
        assert isinstance(article, Article), (truth["canonical_path"], article)
        kept = [paragraph for paragraph in truth["paragraphs"] if paragraph in article.paragraphs]
        assert len(kept) >= 0.8 * len(truth["paragraphs"]), truth["canonical_path"]
        assert article.language == "en"


def test_undeclared_pages_are_told_apart_by_their_teasers() -> None:
    """The WordPress replica declares no type on any page: its listings are lists of teasers,
    its posts are not."""
    site = WordPressSite()
    for path in ("/", "/category/news/", "/page/2/"):
        assert judge(site, path) == "not-article/teasers", path
    article = judge(site, site.canonical_path(site.stories[0]))
    assert isinstance(article, Article)
    assert article.word_count > 100


@pytest.mark.parametrize("kind", ["CollectionPage", "ItemList", "SearchResultsPage", "ProfilePage"])
def test_declared_listing_types_are_skipped_before_extraction(kind: str) -> None:
    url = f"{UNKNOWN.base_url}/2025/01/02/a-long-slug-like-an-article"
    reason = judge_html(url, jsonld({"@type": kind, "name": "x"}))
    assert reason == f"not-article/declared-{kind.lower()}"


def test_a_website_node_declares_a_home_page_only_at_its_own_url() -> None:
    """Themes put the site's WebSite node on every page; it names the page only at home."""
    website = jsonld({"@type": "WebSite", "url": f"{UNKNOWN.base_url}/", "name": "Replica"})
    assert judge_html(f"{UNKNOWN.base_url}/", website) == "not-article/declared-website"
    assert judge_html("http://www.replica.example", website) == "not-article/declared-website"
    assert isinstance(judge_html(f"{UNKNOWN.base_url}/about-bugs/", website), Article)


@pytest.mark.parametrize(
    "head",
    [
        '<meta property="og:type" content="Article">',
        jsonld({"@type": "CollectionPage"}, {"@type": "NewsArticle", "headline": "x"}),
        jsonld({"@type": ["ItemList", "BlogPosting"]}),
    ],
)
def test_a_declared_article_is_an_article_whatever_else_it_says(head: str) -> None:
    assert isinstance(judge_html(f"{UNKNOWN.base_url}/", head), Article)


def test_a_page_without_a_prose_body_says_why() -> None:
    menu = (
        "<ul>" + "".join(f'<li><a href="/s{n}">Section {n}</a></li>' for n in range(30)) + "</ul>"
    )
    assert judge_html(f"{UNKNOWN.base_url}/story", "", menu) == "no-body/too-short"
    assert rebuild_page(f"{UNKNOWN.base_url}/x", b"  ", "text/html", UNKNOWN) == (
        "no-body/empty-document"
    )


def test_sites_with_url_patterns_keep_their_own_rule(replica_site: ReplicaSite) -> None:
    """The crawl's rule for shipped sites: the URL patterns, before any parsing."""
    koreaherald = find_profile("koreaherald")
    assert skip_reason("https://www.koreaherald.com/National", koreaherald) == "not-article-url"
    assert skip_reason("https://www.koreaherald.com/article/10493730", koreaherald) is None
    assert skip_reason(f"{UNKNOWN.base_url}/National", UNKNOWN) is None


@pytest.mark.skipif(not BENCHMARK.is_dir(), reason="needs ../shared/benchmarks/article-extraction")
@pytest.mark.parametrize("url", LOST_BY_URL)
def test_real_articles_the_url_heuristic_lost_are_articles(url: str) -> None:
    key = hashlib.sha256(url.encode()).hexdigest()  # the benchmark's page id
    html = gzip.decompress((BENCHMARK / "html" / f"{key}.html.gz").read_bytes())
    profile = SiteResolver()(url, "benchmark.warc.gz")
    assert not profile.url_patterns
    article = rebuild_page(url, html, "text/html; charset=utf-8", profile)
    assert isinstance(article, Article), article
    assert article.word_count >= 50
