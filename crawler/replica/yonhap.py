"""A replica of en.yna.co.kr, Yonhap News Agency in English (crawler/sites/yonhap/NOTES.md).

URL map (base = the server's base URL):
  /                                   home: latest stories
  /view/AEN<YYYYMMDD><NNNN><VV><DDD>  article; NNNN a day counter, VV the version (00, then 51
                                      for a "(LEAD)" rewrite, which is a new page with a new id),
                                      DDD the desk code
  /view/<id>?section=<listing>        how listings link it; `?section=news&input=rss` in feeds
  /<section>/index[/N]                section listing, page N as a path segment
  /<section>/<sub>[/N]                sub-section listing
  /RSS/news.xml, /RSS/<section>.xml   RSS
  /robots.txt -> /sitemap/index.xml -> /sitemap/<YYYYMM>.xml   (a replica assumption)
Unknown paths and ids are 404. There are no AMP or print twins; stories are never updated in
place (Yonhap files a new version under a new id instead).
"""

from __future__ import annotations

import random
import re
from datetime import datetime, timedelta, timezone
from html import escape
from urllib.parse import urlsplit

from crawler.replica import newsroom, text
from crawler.replica.newsroom import Desk, FeedEntry, Newsroom, Story
from crawler.replica.render import AP_MONTHS, Page
from crawler.replica.server import Redirect

KST = timezone(timedelta(hours=9), "KST")
DEFAULT_NOW = datetime(2026, 11, 20, 6, 0, tzinfo=KST)
DEFAULT_SEED = 20250610
SITE_NAME = "Yonhap News Agency"
START = datetime(2025, 3, 1, 9, 0, tzinfo=KST)
PAGE_SIZE = 10

DESKS = [
    Desk(
        "national",
        "National",
        "National",
        {"politics": "Politics", "defense": "Defense", "society": "Society"},
    ),
    Desk("nk", "North Korea", "National"),
    Desk(
        "economy",
        "Economy",
        "Business",
        {"economy": "Economy", "finance": "Finance", "industry": "Industry"},
    ),
    Desk("culture", "Culture", "LifenCulture"),
    Desk("sports", "Sports", "Sports"),
]
DESK_BY_KEY = {desk.key: desk for desk in DESKS}
DESK_CODES = {"national": "315", "nk": "315", "economy": "320", "culture": "325", "sports": "325"}

_VIEW = re.compile(r"^/view/(AEN\d{8}\d{6}\d{3})$")
_LISTING = re.compile(r"^/([a-z]+)/([a-z]+)(?:/(\d+))?$")
_FEED = re.compile(r"^/RSS/([a-z]+)\.xml$")
_MONTH = re.compile(r"^/sitemap/(\d{6})\.xml$")


class YonhapSite(Newsroom):
    """Yonhap English at one instant; a few stories have a "(LEAD)" rewrite under a new id."""

    def __init__(
        self, n_articles: int = 80, seed: int = DEFAULT_SEED, now: datetime = DEFAULT_NOW
    ) -> None:
        super().__init__(seed, now, KST)
        rng = self.rng
        writer = newsroom.StoryWriter(rng, DESKS)
        stories = writer.stories(n_articles, START, self.now)
        for story in stories:
            story.updated = None
            story.paragraphs[0] = _dateline(story.published) + story.paragraphs[0]
            if rng.random() < 0.2:
                story.authors, story.byline = [], ""  # unsigned wire copy
        counters: dict[str, int] = {}
        for story in stories:
            day = f"{story.published:%Y%m%d}"
            counters[day] = counters.get(day, rng.randint(1, 20)) + rng.randint(1, 40)
            story.article_id = f"AEN{day}{counters[day]:04d}00{DESK_CODES[story.section]}"
        picked = rng.sample(stories[:-3], max(2, len(stories) // 15))
        leads = [_lead(rng, original, self.now) for original in picked]
        self.stories = sorted(stories + leads, key=lambda s: s.published)
        self._by_id = {story.article_id: story for story in self.stories}
        self._newest = self.newest_first()

    # ---- URLs ----------------------------------------------------------------------------

    def canonical_path(self, story: Story) -> str:
        return f"/view/{story.article_id}"

    def listing_names(self, story: Story) -> list[str]:
        names = [f"{story.section}/index"]
        if story.subsection:
            names.append(f"{story.section}/{story.subsection}")
        return names

    def feed_items(self, name: str) -> list[Story]:
        if name == "news":
            return self._newest[:30]
        return [s for s in self._newest if s.section == name][:20]

    def linked_paths(self, story: Story) -> list[str]:
        canonical = self.canonical_path(story)
        paths = {f"{canonical}?section={name}" for name in self.listing_names(story)}
        if any(story in self.feed_items(name) for name in ("news", *DESK_BY_KEY)):
            paths.add(f"{canonical}?section=news&input=rss")
        return [canonical, *sorted(paths)]

    # ---- routing ---------------------------------------------------------------------------

    def route(self, target: str, base: str) -> Page | Redirect | None:
        parts = urlsplit(target)
        path = parts.path
        if path == "/":
            return self._home(base)
        if path == "/robots.txt":
            return newsroom.robots([f"{base}/sitemap/index.xml"], ["/search/"], START)
        if path == "/sitemap/index.xml":
            months = newsroom.by_month(self._newest)
            entries = [
                (f"{base}/sitemap/{month.replace('-', '')}.xml", items[0].last_modified)
                for month, items in sorted(months.items(), reverse=True)
            ]
            return newsroom.sitemap_index(entries, START)
        month = _MONTH.match(path)
        if month:
            key = f"{month.group(1)[:4]}-{month.group(1)[4:]}"
            stories = newsroom.by_month(self._newest).get(key)
            if not stories:
                return None
            return newsroom.urlset(
                [(base + self.canonical_path(s), s.last_modified) for s in stories], START
            )
        feed = _FEED.match(path)
        if feed:
            return self._feed(feed.group(1), base)
        view = _VIEW.match(path)
        if view:
            story = self._by_id.get(view.group(1))
            return self._article_page(story, base) if story else None
        listing = _LISTING.match(path)
        if listing:
            return self._listing(*listing.groups(), base)
        return None

    # ---- pages -------------------------------------------------------------------------------

    def _article_page(self, story: Story, base: str) -> Page:
        url = base + self.canonical_path(story)
        description = newsroom.teaser(story)
        location = f'<a href="/{story.section}/index">{escape(story.section_label)}</a>'
        if story.subsection:
            location += (
                f' <a href="/{story.section}/{story.subsection}">'
                f"{escape(story.desk.subs[story.subsection])}</a>"
            )
        photo = (
            '<div class="image-zone"><figure><div class="img-con"><span class="img">'
            f'<img src="https://img9.yna.co.kr/etc/inner/EN/{story.published:%Y/%m/%d}/'
            f'{story.article_id}_01_i_P4.jpg" alt=""></span></div>'
            f'<figcaption class="desc-con"><p class="tit-cap">{escape(_caption(story))}'
            "</p></figcaption></figure></div>"
        )
        paragraphs = "\n".join(f"<p>{escape(p)}</p>" for p in story.paragraphs)
        writers = "".join(
            f'<strong class="tit-name"><a href="/reporter/{newsroom.slugify(name)}">'
            f"{escape(name)}</a></strong>"
            for name in story.authors
        )
        earlier = [s for s in self._newest if s.published < story.published]
        related = [s for s in earlier if s.section == story.section][:3]
        related_items = "".join(
            f'<li><a href="{self.canonical_path(s)}?section={s.section}/index">'
            f'<strong class="tit">{escape(s.title)}</strong></a></li>'
            for s in related
        )
        html = (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{escape(story.title)} | {SITE_NAME}</title>\n"
            f'<meta name="description" content="{escape(description)}">\n'
            f'<link rel="canonical" href="{url}">\n'
            '<meta property="og:type" content="article">\n'
            f'<meta property="og:title" content="{escape(story.title)} | {SITE_NAME}">\n'
            f'<meta property="og:url" content="{url}">\n'
            f'<meta property="og:description" content="{escape(description)}">\n'
            "</head>\n<body>\n"
            + _gnb()
            + '<div id="container"><div class="content03">'
            + f'<div class="location">{location}</div>'
            + f'<header class="title-article01"><h1 class="tit">{escape(story.title)}</h1>'
            + f'<p class="update-time" data-published-time="{story.published:%Y-%m-%d %H:%M}">'
            + f"{story.published:%Y-%m-%d %H:%M}</p></header>\n"
            + '<div class="content01"><div class="scroller-wrap01"><div class="scroller01">'
            + '<article class="story-news article">\n'
            + photo
            + "\n"
            + paragraphs
            + f'\n<div class="writer-zone01">{writers}</div>'
            + '<p class="txt-copyright adrs">(END)</p>'
            + f'<div class="related-group"><h2 class="tit">Related</h2><ul>{related_items}</ul>'
            + "</div></article></div></div></div>"
            + "</div></div>"
            + _FOOTER
            + "\n</body>\n</html>\n"
        )
        return newsroom.html_page(html, story.last_modified, gzip=True)

    def _home(self, base: str) -> Page:
        latest = self._newest[:12]
        items = "".join(
            f'<li><a class="tit-wrap" href="{self.canonical_path(s)}">'
            f'<strong class="tit">{escape(s.title)}</strong></a></li>'
            for s in latest
        )
        html = (
            _head(SITE_NAME, f"{base}/")
            + _gnb()
            + f'<div id="container"><section class="top-news"><ul class="list">{items}</ul>'
            + "</section></div>"
            + _FOOTER
            + "\n</body>\n</html>\n"
        )
        return newsroom.html_page(html, max(s.last_modified for s in latest))

    def _listing(self, section: str, sub: str, page_text: str | None, base: str) -> Page | None:
        desk = DESK_BY_KEY.get(section)
        if desk is None or (sub != "index" and sub not in desk.subs):
            return None
        page = int(page_text) if page_text else 1
        stories = [s for s in self._newest if s.desk is desk and sub in ("index", s.subsection)]
        shown, count = newsroom.pages(stories, page, PAGE_SIZE)
        if not 1 <= page <= count:
            return None
        name = f"{section}/{sub}"
        items = "".join(
            '<li><div class="item-box01"><div class="news-con">'
            f'<a class="tit-wrap" href="{self.canonical_path(s)}?section={name}">'
            f'<h2 class="tit">{escape(s.title)}</h2></a>'
            f'<p class="lead">{escape(newsroom.teaser(s, 120))}</p>'
            f'<span class="txt-time">{s.published:%Y-%m-%d %H:%M}</span></div></div></li>'
            for s in shown
        )
        paging = "".join(
            f'<a class="num{" on" if n == page else ""}" href="/{name}/{n}">{n}</a>'
            for n in range(1, count + 1)
        )
        if page < count:
            paging += f'<a class="next" href="/{name}/{page + 1}">Next</a>'
        label = desk.label + (f" - {desk.subs[sub]}" if sub != "index" else "")
        html = (
            _head(f"{label} | {SITE_NAME}", f"{base}/{name}" + (f"/{page}" if page > 1 else ""))
            + _gnb()
            + f'<div id="container"><h2 class="tit-section">{escape(label)}</h2>'
            + f'<div class="list-type038"><ul class="list">{items}</ul></div>'
            + f'<div class="paging paging-type01">{paging}</div></div>'
            + _FOOTER
            + "\n</body>\n</html>\n"
        )
        newest = max(s.last_modified for s in shown)
        return newsroom.html_page(html, newest, chunked=True)

    def _feed(self, name: str, base: str) -> Page | None:
        if name != "news" and name not in DESK_BY_KEY:
            return None
        title = SITE_NAME if name == "news" else f"{SITE_NAME} - {DESK_BY_KEY[name].label}"
        entries = [
            FeedEntry(
                s.title,
                f"{base}{self.canonical_path(s)}?section=news&input=rss",
                newsroom.teaser(s),
                s.published,
                s.article_id,
                ", ".join(s.authors),
            )
            for s in self.feed_items(name)
        ]
        return newsroom.rss(title, f"{base}/", "Yonhap News Agency English", entries, START)


def _lead(rng: random.Random, original: Story, now: datetime) -> Story:
    """A "(LEAD)" rewrite: a new page, version 51 of the same counter, one paragraph added."""
    lead = Story(
        article_id=original.article_id[:15] + "51" + original.article_id[17:],
        slug=original.slug,
        title="(LEAD) " + original.title,
        authors=list(original.authors),
        byline=original.byline,
        desk=original.desk,
        subsection=original.subsection,
        published=min(original.published + timedelta(minutes=rng.randint(30, 240)), now),
        updated=None,
        paragraphs=list(original.paragraphs),
        keywords=list(original.keywords),
        duplicate_of=original.article_id,
        duplicate_kind="near",
    )
    lead.paragraphs.insert(1, text.Writer(rng, original.desk.vocab).paragraph())
    return lead


def _dateline(moment: datetime) -> str:
    return f"SEOUL, {AP_MONTHS[moment.month - 1]} {moment.day} (Yonhap) -- "


def _caption(story: Story) -> str:
    return f"This file photo shows {story.keywords[-1]}. (Yonhap)"


def _head(title: str, canonical: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n"
        f'<link rel="canonical" href="{canonical}">\n</head>\n<body>\n'
    )


def _gnb() -> str:
    items = "".join(
        f'<li><a href="/{desk.key}/index">{escape(desk.label)}</a></li>' for desk in DESKS
    )
    return (
        '<header id="header"><a class="logo" href="/">Yonhap</a>'
        f'<ul class="gnb">{items}</ul></header>\n'
    )


_FOOTER = (
    '<footer id="footer"><a href="/RSS/news.xml">RSS</a>'
    "<p>(c) Yonhap News Agency. All rights reserved.</p></footer>"
)
