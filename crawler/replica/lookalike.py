"""A second, Korea Herald-like site whose article URLs are `/article/N` with the SAME numbers as
the Korea Herald replica's current articles, and different stories: two sites, one id space.

URL map (base = the server's base URL):
  /                      home: the 10 newest stories
  /article/N             article (N taken from a `ReplicaSite`'s current stories)
  /news?page=N           all stories, 10 per page, `a.next` paging
  /rss.xml               RSS, 20 newest
  /robots.txt -> /sitemap.xml (a plain urlset)
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from html import escape
from urllib.parse import parse_qs, urlsplit

from crawler.replica import newsroom
from crawler.replica.newsroom import Desk, FeedEntry, Newsroom, Story
from crawler.replica.render import Page
from crawler.replica.server import Redirect
from crawler.replica.site import KST, ReplicaSite

DEFAULT_SEED = 7_301
SITE_NAME = "Korea Daily Wire"
PAGE_SIZE = 10

DESKS = [
    Desk("politics", "Politics", "National"),
    Desk("economy", "Economy", "Business"),
    Desk("culture", "Culture", "LifenCulture"),
    Desk("world", "World", "World"),
]

_ARTICLE = re.compile(r"^/article/(\d+)$")


class LookalikeSite(Newsroom):
    """Stories numbered like `herald`'s newest `n_articles` current stories, each published at
    the same moment as the Korea Herald story with its number."""

    def __init__(
        self,
        herald: ReplicaSite | None = None,
        n_articles: int = 40,
        seed: int = DEFAULT_SEED,
        now: datetime | None = None,
    ) -> None:
        herald = herald if herald is not None else ReplicaSite()
        super().__init__(seed, now or herald.now, KST)
        writer = newsroom.StoryWriter(self.rng, DESKS, staff=10)
        twins = [a for a in herald.stories() if a.published <= self.now][:n_articles]
        for article in reversed(twins):
            story = writer.story(article.published, self.now)
            story.article_id = article.article_id
            self.stories.append(story)
        self._by_id = {story.article_id: story for story in self.stories}
        self._newest = self.newest_first()

    def canonical_path(self, story: Story) -> str:
        return f"/article/{story.article_id}"

    def linked_paths(self, story: Story) -> list[str]:
        return [self.canonical_path(story)]

    def route(self, target: str, base: str) -> Page | Redirect | None:
        parts = urlsplit(target)
        path = parts.path
        if path == "/":
            return self._list_page(self._newest[:10], "Home", 1, 1, base)
        if path == "/robots.txt":
            return newsroom.robots([f"{base}/sitemap.xml"], [], self._newest[-1].published)
        if path == "/sitemap.xml":
            entries = [(base + self.canonical_path(s), s.last_modified) for s in self._newest]
            return newsroom.urlset(entries, self._newest[-1].published)
        if path == "/rss.xml":
            entries = [
                FeedEntry(
                    s.title,
                    base + self.canonical_path(s),
                    newsroom.teaser(s),
                    s.published,
                    s.article_id,
                    ", ".join(s.authors),
                )
                for s in self._newest[:20]
            ]
            return newsroom.rss(SITE_NAME, f"{base}/", SITE_NAME, entries, self.now)
        if path == "/news":
            value = parse_qs(parts.query).get("page", ["1"])[0]
            page = int(value) if value.isdigit() else 0
            shown, count = newsroom.pages(self._newest, page, PAGE_SIZE)
            return self._list_page(shown, "All news", page, count, base) if shown else None
        match = _ARTICLE.match(path)
        if match:
            story = self._by_id.get(match.group(1))
            return self._article(story, base) if story else None
        return None

    def _article(self, story: Story, base: str) -> Page:
        url = base + self.canonical_path(story)
        ld = {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": story.title,
            "datePublished": story.published.isoformat(),
            "dateModified": story.last_modified.isoformat(),
            "author": [{"@type": "Person", "name": name} for name in story.authors],
            "articleSection": story.section_label,
            "mainEntityOfPage": url,
        }
        names = "".join(f'<span class="name">{escape(a)}</span>' for a in story.authors)
        body = "\n".join(f"<p>{escape(p)}</p>" for p in story.paragraphs)
        html = (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{escape(story.title)} | {SITE_NAME}</title>\n"
            f'<link rel="canonical" href="{url}">\n'
            '<script type="application/ld+json">'
            + json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
            + "</script>\n</head>\n<body>\n"
            + f'<header><a href="/">{SITE_NAME}</a> <a href="/news">All news</a></header>\n'
            + f'<article><p class="section">{escape(story.section_label)}</p>'
            + f'<h1 class="headline">{escape(story.title)}</h1>'
            + f'<p class="byline">By {names}</p>'
            + f'<time datetime="{story.published.isoformat()}">'
            + f"{story.published:%Y-%m-%d %H:%M}</time>\n"
            + f'<div class="article-body">\n{body}\n</div></article>\n'
            + "</body>\n</html>\n"
        )
        return newsroom.html_page(html, story.last_modified)

    def _list_page(self, shown: list[Story], title: str, page: int, count: int, base: str) -> Page:
        items = "".join(
            f'<li><a href="{self.canonical_path(s)}">{escape(s.title)}</a>'
            f'<span class="date">{s.published:%Y-%m-%d}</span></li>'
            for s in shown
        )
        paging = f'<a class="next" href="/news?page={page + 1}">Next</a>' if page < count else ""
        html = (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{escape(title)} | {SITE_NAME}</title>\n</head>\n<body>\n"
            f'<header><a href="/">{SITE_NAME}</a> <a href="/news">All news</a></header>\n'
            f'<ul class="news">{items}</ul><div class="paging">{paging}</div>\n'
            "</body>\n</html>\n"
        )
        return newsroom.html_page(html, max(s.last_modified for s in shown))
