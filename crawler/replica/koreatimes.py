"""A replica of www.koreatimes.co.kr after its 2025 CMS move (crawler/sites/koreatimes/NOTES.md).

URL map (base = the server's base URL):
  /                                         home: top stories (some with utm_* tags), most read
                                            (AMP twins and section-only URLs), archive (old URLs)
  /<section>[/<sub>]/<YYYYMMDD>/<slug>      article (canonical); id = "<YYYYMMDD>/<slug>"
  /<section>/<YYYYMMDD>/<slug>              the same article without its sub-section (200)
  /amp/<canonical path>                     AMP twin (200, rel=canonical to the article)
  /www/<old>/<YYYY>/<MM>/<code>_<N>.html    pre-2025 URL: 301 to the article
  /<section>[/<sub>]?page=N                 section listing, 10 per page, `a.next` paging
  /k/allnews.xml, /k/<section>.xml          RSS (the real feeds live on feed.koreatimes.co.kr)
  /robots.txt -> /sitemap.xml -> /sitemap/news.xml, /sitemap/<YYYY-MM>.xml
Unknown paths and ids are 404.
"""

from __future__ import annotations

import json
import random
import re
from datetime import datetime, timedelta, timezone
from html import escape
from urllib.parse import parse_qs, urlsplit

from crawler.replica import newsroom
from crawler.replica.newsroom import Desk, FeedEntry, Newsroom, Story
from crawler.replica.render import Page
from crawler.replica.server import Redirect

KST = timezone(timedelta(hours=9), "KST")
DEFAULT_NOW = datetime(2026, 11, 20, 6, 0, tzinfo=KST)
DEFAULT_SEED = 20250601
SITE_NAME = "The Korea Times"
START = datetime(2024, 9, 1, 9, 0, tzinfo=KST)
#: Stories published before this also have a pre-2025 `/www/...html` URL that now 301s.
LEGACY_BEFORE = datetime(2025, 6, 1, tzinfo=KST)
PAGE_SIZE = 10

DESKS = [
    Desk(
        "southkorea",
        "South Korea",
        "National",
        {"politics": "Politics", "society": "Society", "law-crime": "Law & Crime"},
    ),
    Desk("business", "Business", "Business", {"companies": "Companies", "tech-science": "Tech"}),
    Desk("economy", "Economy", "Business", {"policy": "Policy"}),
    Desk("lifestyle", "Lifestyle", "LifenCulture", {"people-events": "People & Events"}),
    Desk("entertainment", "Entertainment", "Kpop", {"k-pop": "K-pop"}),
    Desk("world", "World", "World"),
    Desk("opinion", "Opinion", "Opinion", {"editorial": "Editorial"}),
]
DESK_BY_KEY = {desk.key: desk for desk in DESKS}
FEEDS = ("southkorea", "business", "economy", "world", "opinion", "entertainment")
#: Pre-2025 path segment and the three-digit codes seen in front of the old numeric ids.
LEGACY_PATHS = {
    "southkorea": ("nation", (113, 119, 177, 281)),
    "business": ("biz", (602, 419)),
    "economy": ("biz", (488, 602)),
    "lifestyle": ("culture", (135, 141)),
    "entertainment": ("culture", (398, 688)),
    "world": ("world", (501, 371)),
    "opinion": ("opinion", (197, 202)),
}

_ARTICLE = re.compile(r"^/(amp/)?([a-z-]+)(?:/([a-z-]+))?/(\d{8})/([a-z0-9-]+)$")
_LEGACY = re.compile(r"^/www/[a-z]+/\d{4}/\d{2}/\d{3}_(\d{5,7})\.html$")
_MONTH = re.compile(r"^/sitemap/(\d{4}-\d{2})\.xml$")
_FEED = re.compile(r"^/k/([a-z]+)\.xml$")


class KoreaTimesSite(Newsroom):
    """The Korea Times at one instant: date+slug URLs, AMP twins and legacy redirects."""

    def __init__(
        self, n_articles: int = 80, seed: int = DEFAULT_SEED, now: datetime = DEFAULT_NOW
    ) -> None:
        super().__init__(seed, now, KST)
        writer = newsroom.StoryWriter(self.rng, DESKS)
        self.stories = writer.stories(n_articles, START, self.now, wire="Yonhap")
        self.legacy_ids: dict[str, str] = {}  # article id -> old numeric id
        self.legacy_paths: dict[str, str] = {}  # old numeric id -> old path
        legacy_id = 384_000
        seen: set[str] = set()
        for story in self.stories:
            if story.desk.key == "opinion" and story.subsection == "editorial":
                story.slug = "ed-" + story.slug  # editorials: slug prefix, no byline
                story.authors, story.byline = [], ""
            while f"{story.published:%Y%m%d}/{story.slug}" in seen:
                story.slug += "-1"  # what a CMS does with a repeated slug on one day
            story.article_id = f"{story.published:%Y%m%d}/{story.slug}"
            seen.add(story.article_id)
            if story.published < LEGACY_BEFORE:
                legacy_id += self.rng.randint(3, 90)
                segment, codes = LEGACY_PATHS[story.section]
                code = self.rng.choice(codes)
                self.legacy_ids[story.article_id] = str(legacy_id)
                self.legacy_paths[str(legacy_id)] = (
                    f"/www/{segment}/{story.published:%Y/%m}/{code}_{legacy_id}.html"
                )
        self._by_id = {story.article_id: story for story in self.stories}
        self._newest = self.newest_first()

    # ---- URLs ----------------------------------------------------------------------------

    def canonical_path(self, story: Story) -> str:
        sub = f"/{story.subsection}" if story.subsection else ""
        return f"/{story.section}{sub}/{story.article_id}"

    def short_path(self, story: Story) -> str:
        return f"/{story.section}/{story.article_id}"

    def amp_path(self, story: Story) -> str:
        return "/amp" + self.canonical_path(story)

    def home_link(self, story: Story, position: int) -> str:
        if position % 3 == 1:
            return f"{self.canonical_path(story)}?utm_source=homepage&utm_medium=top_stories"
        return self.canonical_path(story)

    def top_stories(self) -> list[Story]:
        return self._newest[:9]

    def most_read_link(self, story: Story, position: int) -> str:
        """The widget links its first two stories by their AMP twin, the rest by the
        section-only URL."""
        return self.amp_path(story) if position < 2 else self.short_path(story)

    def most_read(self) -> list[Story]:
        """Linked by their section-only URL (only stories that have a sub-section)."""
        return [s for s in self._newest[9:40] if s.subsection][:5]

    def archive_links(self) -> list[Story]:
        return [s for s in self.stories if s.article_id in self.legacy_ids][:6]

    def linked_paths(self, story: Story) -> list[str]:
        paths = {self.amp_path(story)}
        for position, top in enumerate(self.top_stories()):
            if top is story:
                paths.add(self.home_link(story, position))
        for position, read in enumerate(self.most_read()):
            if read is story:
                paths.add(self.most_read_link(story, position))
        if story in self.archive_links():
            paths.add(self.legacy_paths[self.legacy_ids[story.article_id]])
        canonical = self.canonical_path(story)
        return [canonical, *sorted(paths - {canonical})]

    # ---- routing ---------------------------------------------------------------------------

    def route(self, target: str, base: str) -> Page | Redirect | None:
        parts = urlsplit(target)
        path = parts.path
        page = _page_number(parts.query)
        if path == "/":
            return self._home(base)
        if path == "/robots.txt":
            return newsroom.robots([f"{base}/sitemap.xml"], ["/search"], START)
        if path == "/sitemap.xml":
            return self._sitemap_index(base)
        if path == "/sitemap/news.xml":
            recent = [s for s in self._newest if s.published > self.now - timedelta(days=2)]
            items = [(base + self.canonical_path(s), s) for s in recent]
            return newsroom.news_urlset(items, SITE_NAME, START)
        month = _MONTH.match(path)
        if month:
            stories = newsroom.by_month(self._newest).get(month.group(1))
            if not stories:
                return None
            entries = [(base + self.canonical_path(s), s.last_modified) for s in stories]
            return newsroom.urlset(entries, START)
        feed = _FEED.match(path)
        if feed:
            return self._feed(feed.group(1), base)
        legacy = _LEGACY.match(path)
        if legacy:
            return self._legacy(path, legacy.group(1), base)
        article = _ARTICLE.match(path)
        if article:
            return self._article(article, base)
        segments = path.strip("/").split("/")
        desk = DESK_BY_KEY.get(segments[0])
        if desk and len(segments) <= 2 and page:
            sub = segments[1] if len(segments) == 2 else None
            if sub is None or sub in desk.subs:
                return self._listing(desk, sub, page, base)
        return None

    def _article(self, match: re.Match[str], base: str) -> Page | None:
        amp, section, sub, day, slug = match.groups()
        story = self._by_id.get(f"{day}/{slug}")
        if story is None or story.section != section:
            return None
        if sub is not None and sub != story.subsection:
            return None
        if amp and sub != story.subsection:
            return None  # AMP exists for the canonical path only
        return self._amp_page(story, base) if amp else self._article_page(story, base)

    def _legacy(self, path: str, number: str, base: str) -> Redirect | None:
        if self.legacy_paths.get(number) != path:
            return None
        for article_id, old in self.legacy_ids.items():
            if old == number:
                return Redirect(base + self.canonical_path(self._by_id[article_id]))
        return None

    # ---- pages -------------------------------------------------------------------------------

    def _article_page(self, story: Story, base: str) -> Page:
        rng = random.Random(story.article_id)
        crumbs = f'<a href="/{story.section}">{escape(story.section_label)}</a>'
        if story.subsection:
            label = story.desk.subs[story.subsection]
            crumbs += f' <a href="/{story.section}/{story.subsection}">{escape(label)}</a>'
        authors = "".join(
            f'<a class="author-name" href="/author/{newsroom.slugify(name)}">{escape(name)}</a>'
            for name in story.authors
        )
        dates = f'<span class="date-label">Posted</span> <time datetime="{_iso(story.published)}">'
        dates += f"{story.published:%Y-%m-%d %H:%M}</time>"
        if story.updated:
            dates += ' <span class="date-label">Updated</span> <time datetime="'
            dates += f'{_iso(story.updated)}">{story.updated:%Y-%m-%d %H:%M}</time>'
        earlier = [s for s in self._newest if s.published < story.published]
        related = [s for s in earlier if s.section == story.section][:4]
        body = _body(story, rng)
        html = (
            self._head(story, base, f'<link rel="amphtml" href="{base}{self.amp_path(story)}">\n')
            + "<body>\n"
            + _masthead(story.section)
            + '<main class="main"><article class="article">'
            + f'<div class="article-breadcrumb">{crumbs}</div>'
            + f'<h1 class="article-title">{escape(story.title)}</h1>'
            + f'<div class="article-byline">{authors}</div>'
            + f'<div class="article-date">{dates}</div>\n'
            + body
            + '\n<div class="article-tags">'
            + "".join(f'<a href="/search?q={escape(k)}">{escape(k)}</a>' for k in story.keywords)
            + "</div>"
            + '<section class="related-articles"><h2>Related Articles</h2><ul>'
            + "".join(
                f'<li><a href="{self.canonical_path(s)}">{escape(s.title)}</a></li>'
                for s in related
            )
            + "</ul></section></article></main>"
            + _FOOTER
            + "\n</body>\n</html>\n"
        )
        return newsroom.html_page(html, story.last_modified, gzip=True)

    def _amp_page(self, story: Story, base: str) -> Page:
        rng = random.Random(story.article_id)
        html = (
            self._head(story, base, "", amp=True)
            + '<body><header class="amp-header"><a href="/">The Korea Times</a></header>'
            + f'<article class="amp-article"><h1 class="article-title">{escape(story.title)}</h1>'
            + '<div class="article-byline">'
            + ", ".join(f'<span class="author-name">{escape(a)}</span>' for a in story.authors)
            + "</div>"
            + f'<div class="article-date"><time datetime="{_iso(story.published)}">'
            + f"{story.published:%Y-%m-%d %H:%M}</time></div>\n"
            + _body(story, rng, amp=True)
            + "\n</article></body>\n</html>\n"
        )
        return newsroom.html_page(html, story.last_modified)

    def _head(self, story: Story, base: str, extra: str, amp: bool = False) -> str:
        url = base + self.canonical_path(story)
        description = newsroom.teaser(story)
        authors: object = [{"@type": "Person", "name": name} for name in story.authors]
        if not story.authors:
            authors = {"@type": "Organization", "name": SITE_NAME}
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "mainEntityOfPage": {"@type": "WebPage", "@id": url},
            "headline": story.title,
            "description": description,
            "datePublished": _iso(story.published),
            "dateModified": _iso(story.last_modified),
            "author": authors,
            "articleSection": story.section_label,
            "keywords": story.keywords,
            "publisher": {"@type": "Organization", "name": SITE_NAME},
        }
        return (
            f'<!DOCTYPE html>\n<html lang="en"{" amp" if amp else ""}>\n<head>\n'
            '<meta charset="utf-8">\n'
            f"<title>{escape(story.title)} - {SITE_NAME}</title>\n"
            f'<meta name="description" content="{escape(description)}">\n'
            f'<link rel="canonical" href="{url}">\n{extra}'
            '<meta property="og:type" content="article">\n'
            f'<meta property="og:title" content="{escape(story.title)} - {SITE_NAME}">\n'
            f'<meta property="og:url" content="{url}">\n'
            f'<meta property="og:description" content="{escape(description)}">\n'
            f'<meta property="article:published_time" content="{_iso(story.published)}">\n'
            f'<meta property="article:modified_time" content="{_iso(story.last_modified)}">\n'
            f'<meta property="article:section" content="{escape(story.section_label)}">\n'
            '<script type="application/ld+json">'
            + json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
            + "</script>\n</head>\n"
        )

    def _home(self, base: str) -> Page:
        tops = "".join(
            f'<li><a href="{escape(self.home_link(s, n))}">{escape(s.title)}</a></li>'
            for n, s in enumerate(self.top_stories())
        )
        most = "".join(
            f'<li><a href="{self.most_read_link(s, n)}">{escape(s.title)}</a></li>'
            for n, s in enumerate(self.most_read())
        )
        archive = "".join(
            f'<li><a href="{self.legacy_paths[self.legacy_ids[s.article_id]]}">'
            f"{escape(s.title)}</a></li>"
            for s in self.archive_links()
        )
        html = (
            _simple_head(SITE_NAME, f"{base}/")
            + "<body>\n"
            + _masthead(None)
            + f'<main class="main"><section class="top-stories"><ul>{tops}</ul></section>'
            + f'<section class="most-read"><h2>Most Read</h2><ol>{most}</ol></section>'
            + f'<section class="from-archive"><h2>From the archive</h2><ul>{archive}</ul>'
            + "</section></main>"
            + _FOOTER
            + "\n</body>\n</html>\n"
        )
        newest = max(s.last_modified for s in self.top_stories())
        return newsroom.html_page(html, newest)

    def _listing(self, desk: Desk, sub: str | None, page: int, base: str) -> Page | None:
        stories = [s for s in self._newest if s.desk is desk and sub in (None, s.subsection)]
        shown, count = newsroom.pages(stories, page, PAGE_SIZE)
        if page > count:
            return None
        path = f"/{desk.key}" + (f"/{sub}" if sub else "")
        items = "".join(
            f'<li class="list-item"><a href="{self.canonical_path(s)}">'
            f'<h3 class="list-title">{escape(s.title)}</h3></a>'
            f'<p class="list-summary">{escape(newsroom.teaser(s, 120))}</p>'
            f'<span class="list-date">{s.published:%Y-%m-%d %H:%M}</span></li>'
            for s in shown
        )
        paging = "".join(
            f'<a href="{path}?page={n}"{" class=on" if n == page else ""}>{n}</a>'
            for n in range(1, count + 1)
        )
        if page < count:
            paging += f'<a class="next" href="{path}?page={page + 1}">Next</a>'
        label = desk.label + (f" - {desk.subs[sub]}" if sub else "")
        html = (
            _simple_head(f"{label} - {SITE_NAME}", f"{base}{path}")
            + "<body>\n"
            + _masthead(desk.key)
            + f'<main class="main"><h2 class="section-title">{escape(label)}</h2>'
            + f'<ul class="article-list">{items}</ul><div class="paging">{paging}</div></main>'
            + _FOOTER
            + "\n</body>\n</html>\n"
        )
        newest = max((s.last_modified for s in shown), default=START)
        return newsroom.html_page(html, newest, chunked=True)

    def _feed(self, name: str, base: str) -> Page | None:
        if name == "allnews":
            stories, title = self._newest[:30], SITE_NAME
        elif name in FEEDS:
            stories = [s for s in self._newest if s.section == name][:20]
            title = f"{SITE_NAME} - {DESK_BY_KEY[name].label}"
        else:
            return None
        entries = [
            FeedEntry(
                s.title,
                base + self.canonical_path(s),
                newsroom.teaser(s),
                s.published,
                base + self.canonical_path(s),
                ", ".join(s.authors),
            )
            for s in stories
        ]
        return newsroom.rss(title, f"{base}/", "News from Korea in English", entries, START)

    def _sitemap_index(self, base: str) -> Page:
        months = newsroom.by_month(self._newest)
        entries = [(f"{base}/sitemap/news.xml", self._newest[0].last_modified)]
        for month in sorted(months, reverse=True):
            entries.append(
                (f"{base}/sitemap/{month}.xml", max(s.last_modified for s in months[month]))
            )
        return newsroom.sitemap_index(entries, START)


_FOOTER = (
    '<footer class="footer"><ul><li><a href="/k/allnews.xml">RSS</a></li>'
    '<li><a href="/about">About us</a></li></ul>'
    "<p>Copyright (c) The Korea Times. All rights reserved.</p></footer>"
)


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def _page_number(query: str) -> int:
    """1 for no `page`; 0 (not found) for a page that is not a positive number."""
    value = parse_qs(query).get("page", ["1"])[0]
    return int(value) if value.isdigit() and int(value) > 0 else 0


def _masthead(active: str | None) -> str:
    items = "".join(
        f'<li{" class=on" if desk.key == active else ""}><a href="/{desk.key}">'
        f"{escape(desk.label)}</a></li>"
        for desk in DESKS
    )
    return (
        '<header class="header"><a class="logo" href="/">The Korea Times</a>'
        f'<nav class="gnb"><ul>{items}</ul></nav></header>\n'
    )


def _simple_head(title: str, canonical: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n"
        f'<link rel="canonical" href="{canonical}">\n'
        '<link rel="alternate" type="application/rss+xml" href="/k/allnews.xml">\n</head>\n'
    )


def _body(story: Story, rng: random.Random, amp: bool = False) -> str:
    """`div[data-article-content]` of `p.editor-p`, with a photo and an ad slot inside."""
    parts = ['<div class="article-content" data-article-content="true">']
    photo_after = rng.randrange(len(story.paragraphs) - 1)
    ad_after = rng.randrange(1, len(story.paragraphs))
    for index, paragraph in enumerate(story.paragraphs):
        parts.append(f'<p class="editor-p">{escape(paragraph)}</p>')
        if index == photo_after:
            tag = "amp-img" if amp else "img"
            parts.append(
                f'<figure class="editor-img"><{tag} src="https://img.koreatimes.co.kr/upload/'
                f'{rng.getrandbits(64):016x}.jpg" alt=""></{tag}>'
                f"<figcaption>{escape(story.keywords[-1])} in a file photo. Yonhap</figcaption>"
                "</figure>"
            )
        if index == ad_after and not amp:
            parts.append('<div class="ad-inline"><span>Advertisement</span></div>')
    parts.append("</div>")
    return "\n".join(parts)
