"""A small shared content model for simple news-site replicas (Korea Times, Yonhap, a WordPress
blog, a Korea Herald look-alike): stories, a seeded generator, and RSS/sitemap/robots output.

Each site module keeps only its own URL shapes and markup; everything here is deterministic from
the `random.Random` it is given, never from the wall clock.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from html import escape

from crawler.replica import text
from crawler.replica.render import Page, cdata, rfc822


@dataclass(frozen=True)
class Desk:
    """A section of a site: its URL key, visible label, text vocabulary and sub-sections."""

    key: str
    label: str
    vocab: str  # a key of `text.VOCAB`
    subs: dict[str, str] = field(default_factory=dict)  # URL key -> label


@dataclass(eq=False)
class Story:
    """One article of a simple news site; `article_id` is whatever the site's URLs carry."""

    article_id: str
    slug: str
    title: str
    authors: list[str]
    byline: str
    desk: Desk
    subsection: str | None
    published: datetime  # in the site's time zone
    updated: datetime | None
    paragraphs: list[str]
    keywords: list[str]
    duplicate_of: str | None = None
    duplicate_kind: str | None = None

    @property
    def section(self) -> str:
        return self.desk.key

    @property
    def section_label(self) -> str:
        return self.desk.label

    @property
    def last_modified(self) -> datetime:
        return self.updated or self.published


def slugify(title: str) -> str:
    """`S. Korea's exports jump 7.2 pct` -> `s-koreas-exports-jump-72-pct`."""
    cleaned = re.sub(r"['\u2019.]", "", title.lower())
    return re.sub(r"[^a-z0-9]+", "-", cleaned).strip("-")


def utc_iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def rand_time(rng: random.Random, start: datetime, end: datetime) -> datetime:
    seconds = max(1, int((end - start).total_seconds()))
    return (start + timedelta(seconds=rng.randint(1, seconds))).replace(microsecond=0)


class StoryWriter:
    """Writes stories for a set of desks with a fixed staff; unique titles and slugs."""

    def __init__(self, rng: random.Random, desks: list[Desk], staff: int = 24) -> None:
        self.rng = rng
        self.desks = desks
        self.reporters = [text.person_name(rng) for _ in range(staff)]
        self._titles: set[str] = set()

    def title(self, writer: text.Writer) -> str:
        title = text.unique_title(writer, self._titles)
        while title in self._titles:
            title += " again"
        self._titles.add(title)
        return title

    def byline(self, wire: str | None) -> tuple[list[str], str]:
        rng = self.rng
        roll = rng.random()
        if wire and roll < 0.12:
            return [wire], wire
        if roll < 0.3:
            pair = rng.sample(self.reporters, 2)
            return pair, f"{pair[0]} and {pair[1]}"
        name = rng.choice(self.reporters)
        return [name], name

    def story(self, moment: datetime, now: datetime, wire: str | None = None) -> Story:
        """A story published at `moment`; updated (never after `now`) four times in ten."""
        rng = self.rng
        desk = rng.choice(self.desks)
        sub = rng.choice(list(desk.subs)) if desk.subs and rng.random() < 0.75 else None
        writer = text.Writer(rng, desk.vocab)
        authors, byline = self.byline(wire)
        moment = moment.replace(microsecond=0)
        updated = None
        if rng.random() < 0.4:
            updated = min(moment + timedelta(minutes=rng.randint(5, 600)), now)
        title = self.title(writer)
        return Story(
            article_id="",
            slug=slugify(title),
            title=title,
            authors=authors,
            byline=byline,
            desk=desk,
            subsection=sub,
            published=moment,
            updated=updated if updated and updated > moment else None,
            paragraphs=writer.paragraphs(4, 9),
            keywords=writer.keywords(),
        )

    def stories(
        self, n: int, start: datetime, now: datetime, wire: str | None = None
    ) -> list[Story]:
        """`n` stories between `start` and `now`, oldest first; an eighth in the last 3 days."""
        rng = self.rng
        recent = max(3, n // 8)
        times = [rand_time(rng, now - timedelta(days=3), now) for _ in range(recent)]
        span = (now - timedelta(days=3) - start).total_seconds()
        for _ in range(n - recent):
            # u**0.6 skews publication towards `now`, so recent months are denser.
            times.append(start + timedelta(seconds=int(span * rng.random() ** 0.6)))
        return [self.story(moment, now, wire) for moment in sorted(times)]


def pages(items: list, page: int, size: int) -> tuple[list, int]:
    """The items of 1-based `page` and the number of pages (at least 1)."""
    count = max(1, -(-len(items) // size))
    return items[(page - 1) * size : page * size], count


def teaser(story: Story, limit: int = 160) -> str:
    first = story.paragraphs[0] if story.paragraphs else story.title
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0] + "..."


# ---- feeds, sitemaps, robots ----------------------------------------------------------------


@dataclass(frozen=True)
class FeedEntry:
    title: str
    link: str  # absolute
    description: str
    published: datetime
    guid: str
    creator: str = ""


def rss(
    title: str, link: str, description: str, entries: list[FeedEntry], fallback: datetime
) -> Page:
    """RSS 2.0 with dc:creator; Last-Modified is the newest entry."""
    newest = max((e.published for e in entries), default=fallback)
    items = "".join(
        "<item>\n"
        f"<title>{cdata(e.title)}</title>\n"
        f"<link>{escape(e.link)}</link>\n"
        f"<description>{cdata(e.description)}</description>\n"
        f"<pubDate>{rfc822(e.published)}</pubDate>\n"
        f'<guid isPermaLink="false">{escape(e.guid)}</guid>\n'
        + (f"<dc:creator>{cdata(e.creator)}</dc:creator>\n" if e.creator else "")
        + "</item>\n"
        for e in entries
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">\n<channel>\n'
        f"<title>{escape(title)}</title>\n<link>{escape(link)}</link>\n"
        f"<description>{escape(description)}</description>\n<language>en</language>\n"
        f"<lastBuildDate>{rfc822(newest)}</lastBuildDate>\n" + items + "</channel>\n</rss>\n"
    )
    return Page(xml, "application/rss+xml; charset=utf-8", "utf-8", newest, gzip=True)


def sitemap_index(entries: list[tuple[str, datetime]], fallback: datetime) -> Page:
    body = "".join(
        f"<sitemap><loc>{escape(loc)}</loc><lastmod>{mod.isoformat()}</lastmod></sitemap>\n"
        for loc, mod in entries
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + body
        + "</sitemapindex>\n"
    )
    newest = max((mod for _, mod in entries), default=fallback)
    return Page(xml, "application/xml; charset=utf-8", "utf-8", newest)


def urlset(entries: list[tuple[str, datetime]], fallback: datetime) -> Page:
    body = "".join(
        f"<url><loc>{escape(loc)}</loc><lastmod>{mod.isoformat()}</lastmod></url>\n"
        for loc, mod in entries
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + body + "</urlset>\n"
    )
    newest = max((mod for _, mod in entries), default=fallback)
    return Page(xml, "application/xml; charset=utf-8", "utf-8", newest)


def news_urlset(entries: list[tuple[str, Story]], publication: str, fallback: datetime) -> Page:
    """A Google News sitemap: loc, publication name/language, date and title per story."""
    body = "".join(
        f"<url><loc>{escape(loc)}</loc><news:news><news:publication>"
        f"<news:name>{escape(publication)}</news:name><news:language>en</news:language>"
        f"</news:publication><news:publication_date>{story.published.isoformat()}"
        f"</news:publication_date><news:title>{cdata(story.title)}</news:title>"
        "</news:news></url>\n"
        for loc, story in entries
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n' + body + "</urlset>\n"
    )
    newest = max((story.last_modified for _, story in entries), default=fallback)
    return Page(xml, "application/xml; charset=utf-8", "utf-8", newest)


def robots(sitemaps: list[str], disallow: list[str], since: datetime) -> Page:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in disallow), ""]
    lines += [f"Sitemap: {url}" for url in sitemaps]
    return Page("\n".join(lines) + "\n", "text/plain; charset=utf-8", "utf-8", since)


def html_page(body: str, last_modified: datetime, **transfer: bool) -> Page:
    return Page(body, "text/html; charset=utf-8", "utf-8", last_modified, **transfer)


def by_month(stories: list[Story]) -> dict[str, list[Story]]:
    """Stories grouped by `YYYY-MM` of publication, each group in the given order."""
    grouped: dict[str, list[Story]] = {}
    for story in stories:
        grouped.setdefault(f"{story.published:%Y-%m}", []).append(story)
    return grouped


# ---- the site base ---------------------------------------------------------------------------


class Newsroom:
    """What every simple replica shares: clock, lock, stories (oldest first) and ground truth.

    Subclasses fill `self.stories`, and define `canonical_path` and `linked_paths`."""

    language = "en"

    def __init__(self, seed: int, now: datetime, zone: tzinfo) -> None:
        if now.tzinfo is None:
            now = now.replace(tzinfo=zone)
        self.seed = seed
        self.lock = threading.RLock()  # held by the server while rendering
        self.now = now.astimezone(zone)
        self.zone = zone
        self.rng = random.Random(seed)
        self.stories: list[Story] = []

    def newest_first(self) -> list[Story]:
        return sorted(self.stories, key=lambda s: s.published, reverse=True)

    def canonical_path(self, story: Story) -> str:
        raise NotImplementedError

    def linked_paths(self, story: Story) -> list[str]:
        """Every linked path that reaches `story`, canonical first."""
        raise NotImplementedError

    def ground_truth(self) -> list[dict]:
        return [
            {
                "article_id": story.article_id,
                "urls": self.linked_paths(story),
                "canonical_path": self.canonical_path(story),
                "title": story.title,
                "authors": list(story.authors),
                "section": story.section_label,  # as the page shows it
                "section_key": story.section,  # as URLs and profiles name it
                "published_at": utc_iso(story.published),
                "updated_at": utc_iso(story.updated),
                "paragraphs": list(story.paragraphs),
                "text": "\n\n".join(story.paragraphs),
                "language": self.language,
                "keywords": list(story.keywords),
                "duplicate_of": story.duplicate_of,
                "duplicate_kind": story.duplicate_kind,
            }
            for story in self.stories
        ]
