"""`python -m crawler.replica.save_fixtures`: write saved pages of the simple replicas, with the
fields a parser must find in them, for parser tests that run without a server.

For each site: `article.html` + `article.json` (fields from the ground truth) and `listing.html`
+ `listing.json` (the article links and next page a listing parser must find). Pages are
rendered as if served at the site's real base URL. Files appear atomically.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from lxml import html as lxml_html

from crawler.replica.koreatimes import KoreaTimesSite
from crawler.replica.lookalike import LookalikeSite
from crawler.replica.newsroom import Newsroom, Story
from crawler.replica.render import Page
from crawler.replica.wpnews import WordPressSite
from crawler.replica.yonhap import YonhapSite

DEFAULT_OUT = Path("tests/fixtures/sites")


@dataclass(frozen=True)
class Fixture:
    """What to save of one site: its article page and a listing page, as served at `base`."""

    site: Newsroom
    base: str
    story: Story
    listing_path: str
    container: str  # CSS of the element that holds the listing's items


def _koreatimes() -> Fixture:
    site = KoreaTimesSite()
    story = next(
        s for s in site.newest_first() if s.subsection and s.updated and len(s.authors) == 1
    )
    return Fixture(
        site, "https://www.koreatimes.co.kr", story, "/economy?page=2", "ul.article-list"
    )


def _yonhap() -> Fixture:
    site = YonhapSite()
    story = next(s for s in site.newest_first() if s.subsection and s.authors)
    return Fixture(site, "https://en.yna.co.kr", story, "/national/index/2", ".list-type038")


def _wpnews() -> Fixture:
    site = WordPressSite()
    story = next(
        s
        for s in site.newest_first()
        if site.related_inline(s) and len(site.comments[s.article_id]) >= 2
    )
    return Fixture(site, "https://harborledger.example", story, "/page/2/", "main#main")


def _lookalike() -> Fixture:
    site = LookalikeSite()
    story = site.newest_first()[3]
    return Fixture(site, "https://koreadailywire.example", story, "/news?page=2", "ul.news")


SITES: dict[str, Callable[[], Fixture]] = {
    "koreatimes": _koreatimes,
    "yonhap": _yonhap,
    "wpnews": _wpnews,
    "lookalike": _lookalike,
}


def article_fields(site: Newsroom, base: str, story: Story) -> dict:
    record = next(r for r in site.ground_truth() if r["article_id"] == story.article_id)
    return {
        "url": base + record["canonical_path"],
        "article_id": record["article_id"],
        "title": record["title"],
        "authors": record["authors"],
        "published_at": record["published_at"],
        "updated_at": record["updated_at"],
        "section": record["section"],
        "paragraph_count": len(record["paragraphs"]),
        "first_paragraph": record["paragraphs"][0],
        "last_paragraph": record["paragraphs"][-1],
    }


def listing_fields(fixture: Fixture, html: str) -> dict:
    """The listing's items (article links inside its list container, in page order, as
    canonical URLs), every article link on the page, and the next page."""
    site, base, path = fixture.site, fixture.base, fixture.listing_path
    canonical = {site.canonical_path(s) for s in site.stories}
    root = lxml_html.fromstring(html)

    def articles(anchors: list) -> list[str]:
        found: list[str] = []
        for anchor in anchors:
            plain = urljoin(base + path, (anchor.get("href") or "").split("?", 1)[0])
            if plain.removeprefix(base) in canonical and plain not in found:
                found.append(plain)
        return found

    items = [a for container in root.cssselect(fixture.container) for a in container.iter("a")]
    nexts = [a.get("href") for a in root.cssselect("a.next")]
    return {
        "url": base + path,
        "articles": articles(items),
        "all_article_links": articles(list(root.iter("a"))),
        "next_page": urljoin(base + path, nexts[0]) if nexts else None,
    }


def _write(path: Path, data: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.tmp")
    temp.write_text(data, encoding="utf-8")
    os.replace(temp, path)


def save(out: Path) -> list[Path]:
    written = []
    for name, build in SITES.items():
        fixture = build()
        site, base, story = fixture.site, fixture.base, fixture.story
        page = site.route(site.canonical_path(story), base)
        listing = site.route(fixture.listing_path, base)
        if not (isinstance(page, Page) and isinstance(listing, Page)):
            raise RuntimeError(f"{name}: the fixture pages are not served")
        files = {
            "article.html": page.body,
            "article.json": _json(article_fields(site, base, story)),
            "listing.html": listing.body,
            "listing.json": _json(listing_fields(fixture, listing.body)),
        }
        for filename, data in files.items():
            _write(out / name / filename, data)
            written.append(out / name / filename)
    return written


def _json(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    for path in save(args.out):
        print(path)


if __name__ == "__main__":
    main()
