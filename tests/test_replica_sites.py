"""The simple replicas (Korea Times, Yonhap, WordPress, Korea Herald look-alike) over real HTTP:
discovery reaches every article, every linked URL answers, ids and selectors of the site
profiles fit the pages, and pages are byte-for-byte reproducible."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from lxml import html as lxml_html

from crawler.parsers import parse_article
from crawler.parsers.discovery import parse_feed, parse_sitemap, sitemaps_from_robots
from crawler.replica import ReplicaServer, ReplicaSite
from crawler.replica.__main__ import build_site
from crawler.replica.koreatimes import KoreaTimesSite
from crawler.replica.lookalike import LookalikeSite
from crawler.replica.newsroom import Newsroom
from crawler.replica.render import Page
from crawler.replica.save_fixtures import save
from crawler.replica.site import DEFAULT_NOW
from crawler.replica.wpnews import WordPressSite
from crawler.replica.yonhap import YonhapSite
from crawler.sites import SiteProfile
from tests.test_site_parsers import profile

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "sites"
FACTORIES: dict[str, Callable[[], Newsroom]] = {
    "koreatimes": KoreaTimesSite,
    "yonhap": YonhapSite,
    "wpnews": WordPressSite,
    "lookalike": lambda: LookalikeSite(ReplicaSite(n_articles=120)),
}
FEEDS = {
    "koreatimes": ["/k/allnews.xml", "/k/southkorea.xml", "/k/opinion.xml"],
    "yonhap": ["/RSS/news.xml", "/RSS/economy.xml", "/RSS/nk.xml"],
    "wpnews": ["/feed/", "/category/business/feed/"],
    "lookalike": ["/rss.xml"],
}
NOT_FOUND = {
    "koreatimes": [
        "/southkorea/politics/20261120/no-such-story",
        "/world/politics/20250101/x",
        "/amp/nosuchsection/20250101/x",
        "/www/nation/2024/10/113_999999.html",
        "/southkorea?page=99",
        "/k/nosuch.xml",
        "/sitemap/1999-01.xml",
    ],
    "yonhap": [
        "/view/AEN20261120999900315",
        "/view/AKR20261120000100315",
        "/national/nosuch",
        "/national/index/99",
        "/RSS/nosuch.xml",
        "/sitemap/199901.xml",
    ],
    "wpnews": [
        "/2026/11/20/no-such-post/",
        "/?p=1",
        "/category/nosuch/",
        "/page/99/",
        "/wp-sitemap-posts-post-99.xml",
    ],
    "lookalike": ["/article/1", "/article/abc", "/news?page=99", "/news?page=0"],
}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(url: str) -> tuple[int, str | None, bytes]:
    """Status, Location and body of one GET, redirects not followed."""
    try:
        with _OPENER.open(url, timeout=10) as response:
            return response.status, response.headers.get("Location"), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location"), error.read()


@pytest.fixture(scope="module", params=list(FACTORIES))
def served(request: pytest.FixtureRequest) -> Iterator[tuple[str, Newsroom, ReplicaServer]]:
    site = FACTORIES[request.param]()
    with ReplicaServer(site) as server:
        yield request.param, site, server


def _profile(name: str, server: ReplicaServer | None = None) -> SiteProfile:
    """The site's profile (shipped, or test-only beside the fixtures), moved onto `server`."""
    loaded = profile(name)
    return loaded.with_base_url(server.base_url) if server else loaded


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def test_robots_sitemaps_reach_every_article(served: tuple[str, Newsroom, ReplicaServer]) -> None:
    _, site, server = served
    status, _, robots = fetch(server.base_url + "/robots.txt")
    assert status == 200
    queue = sitemaps_from_robots(robots.decode(), server.base_url)
    assert queue
    found: set[str] = set()
    while queue:
        status, _, body = fetch(queue.pop())
        assert status == 200
        kind, links = parse_sitemap(body)
        assert links
        if kind == "index":
            queue.extend(link.url for link in links)
        else:
            found.update(_path(link.url) for link in links)
    assert {record["canonical_path"] for record in site.ground_truth()} <= found


def test_feeds_parse_to_linked_article_urls(served: tuple[str, Newsroom, ReplicaServer]) -> None:
    name, site, server = served
    linked = {url for record in site.ground_truth() for url in record["urls"]}
    for feed in FEEDS[name]:
        status, _, body = fetch(server.base_url + feed)
        assert status == 200, feed
        links = parse_feed(body, server.base_url + feed)
        assert links, feed
        assert all(link.published_at and link.title for link in links)
        assert {_path(link.url) for link in links} <= linked


def test_every_linked_url_answers(served: tuple[str, Newsroom, ReplicaServer]) -> None:
    """The canonical URL is 200; every other linked URL is a 200 twin or a 301 to it."""
    name, site, server = served
    assert fetch(server.base_url + "/")[0] == 200
    counts = {200: 0, 301: 0}
    for record in site.ground_truth():
        canonical = server.base_url + record["canonical_path"]
        for path in record["urls"]:
            status, location, body = fetch(server.base_url + path)
            assert status in (200, 301), path
            counts[status] += 1
            if status == 301:
                assert location == canonical, path
            else:
                assert record["title"].encode() in body.replace(b"&#x27;", b"'"), path
    # Twins and tracking variants are served; old URLs and short links redirect. The look-alike
    # has neither: it exists for its ids.
    variants = {"koreatimes": (True, True), "yonhap": (True, False), "wpnews": (True, True)}
    twins, redirects = variants.get(name, (False, False))
    assert (counts[200] > len(site.stories)) == twins
    assert (counts[301] > 0) == redirects


def test_unknown_paths_are_404(served: tuple[str, Newsroom, ReplicaServer]) -> None:
    name, _, server = served
    for path in NOT_FOUND[name]:
        assert fetch(server.base_url + path)[0] == 404, path


def test_listings_page_to_the_end(served: tuple[str, Newsroom, ReplicaServer]) -> None:
    """Following `a.next` from the first listing page reaches every story of the site."""
    name, site, server = served
    first = {"koreatimes": None, "yonhap": None, "wpnews": "/", "lookalike": "/news"}[name]
    starts = [first] if first else [s.listing for s in _profile(name).sections]
    seen: set[str] = set()
    for start in starts:
        url: str | None = server.base_url + start
        while url:
            status, _, body = fetch(url)
            assert status == 200, url
            root = lxml_html.fromstring(body)
            seen.update(_path(a.get("href", "")).split("?")[0] for a in root.iter("a"))
            nexts = root.cssselect("a.next")
            url = server.base_url + _path(nexts[0].get("href")) if nexts else None
    assert {site.canonical_path(story) for story in site.stories} <= seen


# ---- the site profiles against the replicas -------------------------------------------------


def test_profile_ids_fold_every_variant_into_one(
    served: tuple[str, Newsroom, ReplicaServer],
) -> None:
    """Twins and tracking variants give the article's id; links that 301 match `short_links`."""
    name, site, server = served
    site_profile = _profile(name, server)
    for record in site.ground_truth():
        for path in record["urls"]:
            url = server.base_url + path
            if site_profile.is_short_link(url):
                assert fetch(url)[0] == 301, path
                continue
            assert site_profile.article_id(url) == record["article_id"], path
    for path in NOT_FOUND[name]:
        url = server.base_url + path
        if "/amp/" not in path and "AEN" not in path and "/article/" not in path:
            assert site_profile.article_id(url) is None or fetch(url)[0] == 404


def test_profile_selectors_find_the_ground_truth(
    served: tuple[str, Newsroom, ReplicaServer],
) -> None:
    """The parser on served pages: body, title and authors are exactly the ground truth."""
    name, site, server = served
    site_profile = _profile(name, server)
    for record in site.ground_truth()[-12:]:
        url = server.base_url + record["canonical_path"]
        status, _, body = fetch(url)
        assert status == 200
        article = parse_article(url, body.decode(), site_profile)
        assert article.paragraphs == record["paragraphs"], url
        assert article.title == record["title"]
        assert article.authors == record["authors"]
        assert article.article_id == record["article_id"]


def test_wordpress_posts_need_selectors() -> None:
    """No JSON-LD, og:title only, boilerplate inside the content, comments after it."""
    html = (FIXTURES / "wpnews" / "article.html").read_text(encoding="utf-8")
    root = lxml_html.fromstring(html)
    assert not root.cssselect("script[type='application/ld+json']")
    assert [m.get("property") for m in root.cssselect("meta[property]")] == ["og:title"]
    (content,) = root.cssselect("article.post div.entry-content")
    for css in (".sharedaddy", ".newsletter-signup", "#jp-relatedposts", "p.has-small-font-size"):
        assert content.cssselect(css), css
    assert "Related:" in content.text_content()
    assert root.cssselect("article.post ~ #comments ol.commentlist li.comment")


# ---- determinism and the collision site -------------------------------------------------------


@pytest.mark.parametrize("name", ["koreatimes", "yonhap", "wpnews"])
def test_same_seed_same_bytes(name: str) -> None:
    one, two = FACTORIES[name](), FACTORIES[name]()
    assert one.ground_truth() == two.ground_truth()
    record = one.ground_truth()[-1]
    for path in ["/", "/robots.txt", *record["urls"], *FEEDS[name]]:
        first, second = one.route(path, "http://h"), two.route(path, "http://h")
        if isinstance(first, Page):
            assert isinstance(second, Page) and first.body == second.body, path
        else:
            assert first == second, path
    other = type(one)(seed=1)
    assert other.ground_truth() != one.ground_truth()


def test_lookalike_reuses_the_herald_numbers() -> None:
    herald = ReplicaSite(n_articles=120)
    lookalike = LookalikeSite(herald, n_articles=25)
    herald_titles = {r["article_id"]: r["title"] for r in herald.ground_truth()}
    records = lookalike.ground_truth()
    assert len(records) == 25
    for record in records:
        assert record["article_id"] in herald_titles
        assert record["title"] != herald_titles[record["article_id"]]
        assert record["canonical_path"] == f"/article/{record['article_id']}"


def test_saved_fixtures_are_current(tmp_path: Path) -> None:
    """tests/fixtures/sites is what `python -m crawler.replica.save_fixtures` writes today."""
    written = save(tmp_path)
    assert len(written) == 16
    for path in written:
        saved = FIXTURES / path.relative_to(tmp_path)
        assert saved.read_bytes() == path.read_bytes(), saved


@pytest.mark.parametrize("name", ["koreatimes", "yonhap", "wpnews", "lookalike", "koreaherald"])
def test_command_line_builds_every_site(name: str) -> None:
    """`python -m crawler.replica --site NAME` serves each replica."""
    site = build_site(name, 40, None, DEFAULT_NOW)
    robots = site.route("/robots.txt", "http://h")
    assert isinstance(robots, Page) and "Sitemap: http://h/" in robots.body
    assert build_site(name, 40, 3, DEFAULT_NOW).ground_truth() != site.ground_truth()
