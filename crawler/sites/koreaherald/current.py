"""Template D, the current CMS (Dec 2024 on, `/article/N`).

Metadata lives in JSON-LD and meta tags; the visible markup is only a fallback. The body is
`article#articleText.article-body` (also `[itemprop=articleBody]`) with `<p>` paragraphs and
`div.article-photo-wrap > figure.article-img` photos whose caption is a figcaption or the alt.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from functools import cache

from lxml import html as lxml_html
from parsel import Selector
from parsel.csstranslator import css2xpath

from crawler.parsers.column import article_column, column_first, first_element
from crawler.parsers.dates import parse_date, parse_published_updated
from crawler.parsers.model import METADATA_FIELDS, Extracted, Image, fill_wanted
from crawler.parsers.text import (
    block_paragraphs,
    body_images,
    clean_authors,
    is_noise,
    normalize_space,
)
from crawler.sites.koreaherald import KST

_BODY = ("article#articleText", '[itemprop="articleBody"]', ".article-body")
_TITLE = "h1.news_title, h1.article-title, h1[itemprop=headline], h1"
_SUBTITLE = "h2.news_title, h2.article-sub-title, .article-subtitle, h2.subtitle, .sub_title"
_AUTHOR = (
    '[itemprop="author"] [itemprop="name"], [rel="author"], .article-author, .news_writer, '
    ".writer, .reporter, .byline, .author"
)
_DATE = ".news_date, .article-date, .date, .view-date"
_SECTION = ".breadcrumb a, nav.location a, .news_location a, .nav_area a.category"


#: XPath, checked one at a time, most pages' marker first: the union ran all three on every
#: page. The microdata marker goes through the `itemprop` attributes: as the selector
#: `[itemprop="articleBody"]` it tested every element, 0.52 ms a 125 KB page of another
#: template, against 0.19 ms (the same elements on the 998 padded replica pages).
_MARKERS = (
    css2xpath("article#articleText"),
    css2xpath("article.article-body"),
    "//@itemprop[. = 'articleBody']/..",
)


def matches(sel: Selector) -> bool:
    return any(sel.xpath(marker) for marker in _MARKERS)


def _skip(element: lxml_html.HtmlElement) -> bool:
    return element.tag in ("aside", "nav", "form") or is_noise(element)


def _text(sel: Selector, query: str) -> str | None:
    node = sel.css(query)
    return normalize_space(" ".join(node[0].css("::text").getall())) or None if node else None


def _section(sel: Selector) -> str | None:
    crumbs = [normalize_space(t) for t in sel.css(_SECTION).css("::text").getall()]
    return next((c for c in reversed(crumbs) if c and c.lower() != "home"), None)


def _body(sel: Selector) -> lxml_html.HtmlElement | None:
    """The first of the body selectors the page carries, in their order."""
    return next(
        (found for query in _BODY if (found := first_element(sel, query)) is not None), None
    )


def extract(sel: Selector, url: str, wanted: Collection[str] = METADATA_FIELDS) -> Extracted:
    """The body, and of the metadata only the fields in `wanted`, each looked for in the
    article's column first (`crawler.parsers.column`)."""
    body = _body(sel)

    @cache
    def column() -> Selector:
        return article_column(sel, first_element(sel, _TITLE), body)

    def column_text(query: str) -> str | None:
        return column_first(column(), sel, lambda scope: _text(scope, query))

    @cache
    def dates() -> tuple[datetime | None, datetime | None]:
        return parse_published_updated(column_text(_DATE), KST)

    def published() -> datetime | None:
        declared = column_first(
            column(),
            sel,
            lambda scope: scope.css(
                'time[itemprop="datePublished"]::attr(datetime),'
                ' [itemprop="datePublished"]::attr(content)'
            ).get(),
        )
        return parse_date(declared, KST) or dates()[0]

    def authors() -> list[str]:
        author = column_text(_AUTHOR)
        return clean_authors([author] if author else [])

    result = fill_wanted(
        Extracted(),
        wanted,
        title=lambda: _text(sel, _TITLE),
        # Most articles have none; one outside the column (title and body) is not their own.
        subtitle=lambda: _text(column(), _SUBTITLE),
        authors=authors,
        section=lambda: column_first(column(), sel, _section),
        published_at=published,
        updated_at=lambda: dates()[1],
    )
    if body is None:
        result.no_body_reason = "no-body-element"
        return result
    result.paragraphs = block_paragraphs(body, _skip)
    result.images = [Image(src, caption) for src, caption in body_images([body], url)]
    if not result.paragraphs:
        result.no_body_reason = "empty-body"
    return result
