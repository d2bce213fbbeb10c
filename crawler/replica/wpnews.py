"""A WordPress news blog the crawler has never seen: core permalinks, feeds and sitemaps, and
article markup with boilerplate inside `div.entry-content` and reader comments after it.

URL map (base = the server's base URL):
  /, /page/N/                              home, 8 posts per page
  /YYYY/MM/DD/<slug>/                      post (canonical; "/" kept); without "/": 301 to it
  /YYYY/MM/DD/<slug>/amp/                  AMP twin (AMP plugin, legacy mode)
  /?p=N                                    short link: 301 to the post (editors' "Related:" lines)
  /YYYY/MM/DD/<slug>/?relatedposts_hit=1&relatedposts_origin=N&relatedposts_position=K
                                           Jetpack related-posts links (200)
  /category/<slug>/, /category/<slug>/page/N/   category listings
  /feed/, /category/<slug>/feed/           RSS (item links carry utm_* parameters)
  /robots.txt -> /wp-sitemap.xml -> /wp-sitemap-posts-post-N.xml,
                                      /wp-sitemap-taxonomies-category-1.xml
Post pages carry no JSON-LD and only `og:title`, so selectors must find every other field.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime
from html import escape
from urllib.parse import parse_qs, urlsplit

from crawler.replica import newsroom, text
from crawler.replica.newsroom import Desk, FeedEntry, Newsroom, Story
from crawler.replica.render import Page
from crawler.replica.server import Redirect

DEFAULT_NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DEFAULT_SEED = 5_500
SITE_NAME = "Harbor Ledger"
START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
PAGE_SIZE = 8
SITEMAP_PAGE_SIZE = 25  # WordPress core uses 2000; small here so the index has several pages

DESKS = [
    Desk("news", "News", "National"),
    Desk("business", "Business", "Business"),
    Desk("culture", "Culture", "LifenCulture"),
    Desk("sports", "Sports", "Sports"),
    Desk("opinion", "Opinion", "Opinion"),
]
DESK_BY_KEY = {desk.key: desk for desk in DESKS}

_POST = re.compile(r"^/(\d{4})/(\d{2})/(\d{2})/([a-z0-9-]+)(/|/amp/)?$")
_CATEGORY = re.compile(r"^/category/([a-z]+)/(?:page/(\d+)/|feed/)?$")
_HOME_PAGE = re.compile(r"^/page/(\d+)/$")
_POSTS_SITEMAP = re.compile(r"^/wp-sitemap-posts-post-(\d+)\.xml$")


class WordPressSite(Newsroom):
    """A WordPress blog at one instant: post ids with gaps, comments, inline boilerplate."""

    def __init__(
        self, n_articles: int = 60, seed: int = DEFAULT_SEED, now: datetime = DEFAULT_NOW
    ) -> None:
        super().__init__(seed, now, UTC)
        rng = self.rng
        writer = newsroom.StoryWriter(rng, DESKS, staff=8)
        self.stories = writer.stories(n_articles, START, self.now)
        post_id = 1180
        seen: set[str] = set()
        self.post_ids: dict[str, str] = {}  # article id -> WordPress post id
        self.comments: dict[str, list[tuple[str, str]]] = {}
        for story in self.stories:
            while story.slug in seen:
                story.slug += "-2"  # WordPress's suffix for a repeated slug
            seen.add(story.slug)
            # The URL never shows the post id, so the article id is what the URL does show.
            story.article_id = f"{story.published:%Y/%m/%d}/{story.slug}"
            post_id += rng.randint(1, 14)  # revisions and attachments take ids too
            self.post_ids[story.article_id] = str(post_id)
            voice = text.Writer(rng, story.desk.vocab)
            self.comments[story.article_id] = [
                (text.person_name(rng).split()[0], voice.sentence())
                for _ in range(rng.choice((0, 0, 1, 2, 3, 5)))
            ]
        self._by_post_id = {self.post_ids[s.article_id]: s for s in self.stories}
        self._by_slug = {story.slug: story for story in self.stories}
        self._newest = self.newest_first()
        self._jetpack_links: dict[str, set[str]] = {s.article_id: set() for s in self.stories}
        for origin in self.stories:
            for position, target in enumerate(self.jetpack_related(origin)):
                link = self.jetpack_link(origin, target, position)
                self._jetpack_links[target.article_id].add(link)

    # ---- URLs ----------------------------------------------------------------------------

    def canonical_path(self, story: Story) -> str:
        return f"/{story.published:%Y/%m/%d}/{story.slug}/"

    def feed_link(self, story: Story) -> str:
        return (
            f"{self.canonical_path(story)}?utm_source=rss&utm_medium=rss&utm_campaign={story.slug}"
        )

    def feed_items(self, desk: Desk | None) -> list[Story]:
        return [s for s in self._newest if desk in (None, s.desk)][:10]

    def related_inline(self, story: Story) -> Story | None:
        """The older post an editor linked in a "Related:" line, if any (about half)."""
        earlier = [s for s in self._newest if s.published < story.published]
        rng = random.Random(f"related-{story.article_id}")
        return rng.choice(earlier[:20]) if earlier and rng.random() < 0.5 else None

    def short_link(self, story: Story) -> str:
        return f"/?p={self.post_ids[story.article_id]}"

    def jetpack_related(self, story: Story) -> list[Story]:
        """The three posts Jetpack's related-posts block shows under `story`."""
        return [s for s in self._newest if s.published < story.published][:3]

    def jetpack_link(self, origin: Story, target: Story, position: int) -> str:
        """Jetpack tags its related-post links with where the click came from."""
        return (
            f"{self.canonical_path(target)}?relatedposts_hit=1&relatedposts_origin="
            f"{self.post_ids[origin.article_id]}&relatedposts_position={position}"
        )

    def linked_paths(self, story: Story) -> list[str]:
        """Canonical first; the AMP twin is linked by `<link rel="amphtml">` only, the short
        link by editors' "Related:" lines and by `<link rel="shortlink">`."""
        canonical = self.canonical_path(story)
        paths = {canonical + "amp/", self.short_link(story), *self._jetpack_links[story.article_id]}
        if any(story in self.feed_items(desk) for desk in (None, *DESKS)):
            paths.add(self.feed_link(story))
        return [canonical, *sorted(paths)]

    def ground_truth(self) -> list[dict]:
        """As every replica's, plus the WordPress post id that only `?p=N` and the markup show."""
        records = super().ground_truth()
        for record in records:
            record["post_id"] = self.post_ids[record["article_id"]]
        return records

    # ---- routing ---------------------------------------------------------------------------

    def route(self, target: str, base: str) -> Page | Redirect | None:
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query)
        if path == "/" and "p" in query:
            story = self._by_post_id.get(query["p"][0])
            return Redirect(base + self.canonical_path(story)) if story else None
        if path == "/":
            return self._listing(None, 1, base)
        if path == "/robots.txt":
            body = (
                "User-agent: *\nDisallow: /wp-admin/\nAllow: /wp-admin/admin-ajax.php\n\n"
                f"Sitemap: {base}/wp-sitemap.xml\n"
            )
            return Page(body, "text/plain; charset=utf-8", "utf-8", START)
        if path == "/wp-sitemap.xml":
            return self._sitemap_index(base)
        if path == "/wp-sitemap-taxonomies-category-1.xml":
            entries = [(f"{base}/category/{d.key}/", self._desk_newest(d)) for d in DESKS]
            return newsroom.urlset(entries, START)
        sitemap = _POSTS_SITEMAP.match(path)
        if sitemap:
            shown, _ = newsroom.pages(self.stories, int(sitemap.group(1)), SITEMAP_PAGE_SIZE)
            if not shown:
                return None
            entries = [(base + self.canonical_path(s), s.last_modified) for s in shown]
            return newsroom.urlset(entries, START)
        if path == "/feed/":
            return self._feed(None, base)
        home_page = _HOME_PAGE.match(path)
        if home_page:
            return self._listing(None, int(home_page.group(1)), base)
        category = _CATEGORY.match(path)
        if category:
            desk = DESK_BY_KEY.get(category.group(1))
            if desk is None:
                return None
            if path.endswith("/feed/"):
                return self._feed(desk, base)
            return self._listing(desk, int(category.group(2) or 1), base)
        post = _POST.match(path)
        if post:
            return self._post(post, base)
        return None

    def _post(self, match: re.Match[str], base: str) -> Page | Redirect | None:
        year, month, day, slug, tail = match.groups()
        story = self._by_slug.get(slug)
        if story is None or f"{story.published:%Y%m%d}" != year + month + day:
            return None
        if tail is None:
            return Redirect(base + self.canonical_path(story))
        return self._post_page(story, base, amp=tail == "/amp/")

    def _desk_newest(self, desk: Desk) -> datetime:
        return max((s.last_modified for s in self.stories if s.desk is desk), default=START)

    # ---- pages -------------------------------------------------------------------------------

    def _post_page(self, story: Story, base: str, amp: bool) -> Page:
        url = base + self.canonical_path(story)
        post_id = self.post_ids[story.article_id]
        extra = "" if amp else f'<link rel="amphtml" href="{url}amp/">\n'
        head = (
            f'<!DOCTYPE html>\n<html lang="en-US"{" amp" if amp else ""}>\n<head>\n'
            '<meta charset="UTF-8">\n'
            f"<title>{escape(story.title)} &#8211; {SITE_NAME}</title>\n"
            f'<link rel="canonical" href="{url}">\n'
            f'<link rel="shortlink" href="{base}/?p={post_id}">\n{extra}'
            f'<meta property="og:title" content="{escape(story.title)}">\n'
            '<link rel="alternate" type="application/rss+xml" '
            f'title="{SITE_NAME} &raquo; Feed" href="{base}/feed/">\n'
            '<meta name="generator" content="WordPress 6.6.2">\n</head>\n'
        )
        updated = ""
        if story.updated:
            updated = (
                f'<time class="updated" datetime="{story.updated.isoformat()}">'
                f"{_human_date(story.updated)}</time>"
            )
        authors = " and ".join(
            f'<span class="author vcard"><a class="url fn n" href="/author/'
            f'{newsroom.slugify(name)}/">{escape(name)}</a></span>'
            for name in story.authors
        )
        html = (
            head
            + f'<body class="post-template-default single single-post postid-{post_id}">'
            + _masthead()
            + '<div id="content" class="site-content"><main id="main" class="site-main">'
            + f'<article id="post-{post_id}" class="post-{post_id} post '
            + f'type-post status-publish format-standard hentry category-{story.section}">'
            + '<header class="entry-header">'
            + f'<h1 class="entry-title">{escape(story.title)}</h1>'
            + '<div class="entry-meta"><span class="posted-on">Posted on '
            + f'<a href="{url}" rel="bookmark"><time class="entry-date published" '
            + f'datetime="{story.published.isoformat()}">{_human_date(story.published)}</time>'
            + f'{updated}</a></span><span class="byline"> by {authors}</span></div></header>\n'
            + self._content(story)
            + '\n<footer class="entry-footer"><span class="cat-links">Posted in '
            + f'<a href="/category/{story.section}/" rel="category tag">'
            + f"{escape(story.section_label)}</a></span>"
            + '<span class="tags-links"> Tagged '
            + ", ".join(
                f'<a href="/tag/{newsroom.slugify(k)}/" rel="tag">{escape(k)}</a>'
                for k in story.keywords
            )
            + "</span></footer></article>\n"
            + self._comments(story)
            + "</main>"
            + self._sidebar()
            + "</div>"
            + _COLOPHON
            + "\n</body>\n</html>\n"
        )
        return newsroom.html_page(html, story.last_modified, gzip=not amp)

    def _content(self, story: Story) -> str:
        """The paragraphs, with a newsletter box, a "Related:" line, Jetpack sharing and
        related-posts blocks inside the container, as WordPress plugins put them there."""
        rng = random.Random(f"content-{story.article_id}")
        parts = ['<div class="entry-content">']
        newsletter_after = rng.randrange(1, len(story.paragraphs))
        related = self.related_inline(story)
        related_after = rng.randrange(0, len(story.paragraphs) - 1) if related else -1
        for index, paragraph in enumerate(story.paragraphs):
            parts.append(f"<p>{escape(paragraph)}</p>")
            if index == related_after and related:
                parts.append(
                    '<p class="has-small-font-size"><strong>Related:</strong> '
                    f'<a href="{self.short_link(related)}">{escape(related.title)}</a></p>'
                )
            if index == newsletter_after:
                parts.append(
                    '<div class="newsletter-signup wp-block-group"><h3>Get the morning brief'
                    "</h3><p>The day's top stories from the harbor, in your inbox by 7 a.m."
                    '</p><form action="/subscribe/" method="post"><input type="email" '
                    'name="email" placeholder="Your email"><button type="submit">Sign up'
                    "</button></form></div>"
                )
        parts.append(
            '<div class="sharedaddy sd-sharing-enabled"><div class="robots-nocontent sd-block '
            'sd-social sd-social-icon-text sd-sharing"><h3 class="sd-title">Share this:</h3>'
            '<div class="sd-content"><ul><li class="share-twitter"><a class="share-twitter '
            'sd-button" href="?share=twitter" title="Click to share on Twitter">Twitter</a></li>'
            '<li class="share-facebook"><a class="share-facebook sd-button" '
            'href="?share=facebook">Facebook</a></li><li class="share-email"><a '
            'class="share-email sd-button" href="?share=email">Email</a></li></ul></div></div>'
            "</div>"
        )
        items = "".join(
            '<div class="jp-relatedposts-post"><h4 class="jp-relatedposts-post-title">'
            f'<a href="{escape(self.jetpack_link(story, s, n))}">{escape(s.title)}</a></h4>'
            f'<p class="jp-relatedposts-post-date">{_human_date(s.published)}</p></div>'
            for n, s in enumerate(self.jetpack_related(story))
        )
        parts.append(
            '<div id="jp-relatedposts" class="jp-relatedposts"><h3 '
            'class="jp-relatedposts-headline"><em>Related</em></h3>'
            f'<div class="jp-relatedposts-items">{items}</div></div>'
        )
        parts.append("</div>")
        return "\n".join(parts)

    def _comments(self, story: Story) -> str:
        comments = self.comments[story.article_id]
        if not comments:
            return '<div id="comments" class="comments-area"><div id="respond"></div></div>\n'
        rows = "".join(
            f'<li id="comment-{n}" class="comment"><article class="comment-body">'
            f'<footer class="comment-meta"><b class="fn">{escape(name)}</b> says:</footer>'
            f'<div class="comment-content"><p>{escape(words)}</p></div></article></li>'
            for n, (name, words) in enumerate(comments, start=1)
        )
        title = f"{len(comments)} thoughts on &ldquo;{escape(story.title)}&rdquo;"
        return (
            f'<div id="comments" class="comments-area"><h2 class="comments-title">{title}</h2>'
            f'<ol class="commentlist">{rows}</ol>'
            '<div id="respond" class="comment-respond"><h3>Leave a Reply</h3></div></div>\n'
        )

    def _sidebar(self) -> str:
        recent = "".join(
            f'<li><a href="{self.canonical_path(s)}">{escape(s.title)}</a></li>'
            for s in self._newest[:5]
        )
        return (
            '<aside id="secondary" class="widget-area"><section class="widget '
            f'widget_recent_entries"><h2 class="widget-title">Recent Posts</h2><ul>{recent}'
            "</ul></section></aside>"
        )

    def _listing(self, desk: Desk | None, page: int, base: str) -> Page | None:
        stories = [s for s in self._newest if desk in (None, s.desk)]
        shown, count = newsroom.pages(stories, page, PAGE_SIZE)
        if not 1 <= page <= count:
            return None
        root = f"/category/{desk.key}/" if desk else "/"
        articles = "".join(
            f'<article class="post-{self.post_ids[s.article_id]} post type-post hentry">'
            f'<header class="entry-header"><h2 class="entry-title"><a href="'
            f'{self.canonical_path(s)}" rel="bookmark">{escape(s.title)}</a></h2>'
            f'<time class="entry-date published" datetime="{s.published.isoformat()}">'
            f"{_human_date(s.published)}</time></header>"
            f'<div class="entry-summary"><p>{escape(newsroom.teaser(s, 140))}</p></div></article>'
            for s in shown
        )
        links = []
        if page > 1:
            previous = root if page == 2 else f"{root}page/{page - 1}/"
            links.append(f'<a class="prev page-numbers" href="{previous}">Previous</a>')
        for number in range(1, count + 1):
            href = root if number == 1 else f"{root}page/{number}/"
            if number == page:
                links.append(
                    f'<span aria-current="page" class="page-numbers current">{number}</span>'
                )
            else:
                links.append(f'<a class="page-numbers" href="{href}">{number}</a>')
        if page < count:
            links.append(f'<a class="next page-numbers" href="{root}page/{page + 1}/">Next</a>')
        title = f"{desk.label} &#8211; {SITE_NAME}" if desk else SITE_NAME
        canonical = base + (root if page == 1 else f"{root}page/{page}/")
        html = (
            '<!DOCTYPE html>\n<html lang="en-US">\n<head>\n<meta charset="UTF-8">\n'
            f"<title>{title}</title>\n"
            f'<link rel="canonical" href="{canonical}">\n</head>\n'
            + '<body class="archive">'
            + _masthead()
            + '<div id="content" class="site-content"><main id="main" class="site-main">'
            + (f'<h1 class="page-title">Category: {escape(desk.label)}</h1>' if desk else "")
            + articles
            + '<nav class="navigation pagination" aria-label="Posts"><div class="nav-links">'
            + "".join(links)
            + "</div></nav></main>"
            + self._sidebar()
            + "</div>"
            + _COLOPHON
            + "\n</body>\n</html>\n"
        )
        newest = max(s.last_modified for s in shown)
        return newsroom.html_page(html, newest, chunked=True)

    def _feed(self, desk: Desk | None, base: str) -> Page:
        entries = [
            FeedEntry(
                s.title,
                base + self.feed_link(s),
                newsroom.teaser(s),
                s.published,
                f"{base}/?p={self.post_ids[s.article_id]}",
                ", ".join(s.authors),
            )
            for s in self.feed_items(desk)
        ]
        title = SITE_NAME if desk is None else f"{desk.label} &#8211; {SITE_NAME}"
        return newsroom.rss(title, f"{base}/", "News from the harbor", entries, START)

    def _sitemap_index(self, base: str) -> Page:
        count = -(-len(self.stories) // SITEMAP_PAGE_SIZE)
        entries = []
        for number in range(1, count + 1):
            shown = self.stories[(number - 1) * SITEMAP_PAGE_SIZE : number * SITEMAP_PAGE_SIZE]
            newest = max(s.last_modified for s in shown)
            entries.append((f"{base}/wp-sitemap-posts-post-{number}.xml", newest))
        entries.append(
            (f"{base}/wp-sitemap-taxonomies-category-1.xml", self._newest[0].last_modified)
        )
        return newsroom.sitemap_index(entries, START)


_COLOPHON = (
    '<footer id="colophon" class="site-footer"><div class="site-info">'
    f'<a href="/">{SITE_NAME}</a> &middot; Proudly powered by WordPress</div></footer>'
)


def _human_date(moment: datetime) -> str:
    return f"{text.MONTHS_FULL[moment.month - 1]} {moment.day}, {moment.year}"


def _masthead() -> str:
    items = "".join(
        f'<li class="menu-item"><a href="/category/{desk.key}/">{escape(desk.label)}</a></li>'
        for desk in DESKS
    )
    return (
        '<header id="masthead" class="site-header"><p class="site-title">'
        f'<a href="/" rel="home">{SITE_NAME}</a></p><nav id="site-navigation" '
        f'class="main-navigation"><ul id="primary-menu" class="menu">{items}</ul></nav>'
        "</header>"
    )
