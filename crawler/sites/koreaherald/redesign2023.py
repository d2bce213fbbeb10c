"""Template C, the Aug 2023 - late 2024 redesign (still `view.php?ud=`).

Title block `div.news_title_area` (h1/h2 `.news_title`, `p.news_date` with "Published : …"),
body `div.news_text_area` with `div.text_box` paragraphs and `div.img_box` photos.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from functools import cache

from lxml import html as lxml_html
from parsel import Selector

from crawler.parsers.column import article_column, column_first
from crawler.parsers.dates import parse_published_updated
from crawler.parsers.model import METADATA_FIELDS, Extracted, Image, fill_wanted
from crawler.parsers.text import (
    block_paragraphs,
    body_images,
    clean_authors,
    is_noise,
    normalize_space,
)
from crawler.sites.koreaherald import KST

_SKIP_CLASSES = frozenset({"img_box", "news_btn_wrap", "news_journalist_area", "img_caption"})
#: Byline candidates, most specific first; the first one with text wins.
_AUTHOR = (
    ".news_journalist_area .name",
    ".news_journalist_name",
    ".journalist_name",
    ".news_writer",
    ".news_title_area .writer",
    ".news_title_area .byline",
    ".news_journalist_area a",
    ".news_journalist_area",
)
_SECTION = ".news_category, .news_location a, .breadcrumb a"


_TITLE_AREA = "div.news_title_area"
_TEXT_AREA = "div.news_text_area"


def matches(sel: Selector) -> bool:
    return bool(sel.css(f"{_TITLE_AREA}, {_TEXT_AREA}"))


def _skip(element: lxml_html.HtmlElement) -> bool:
    return bool(set((element.get("class") or "").split()) & _SKIP_CLASSES) or is_noise(element)


def _texts(sel: Selector, query: str) -> list[str]:
    texts = (normalize_space(" ".join(node.css("::text").getall())) for node in sel.css(query))
    return [text for text in texts if text]


def _first_byline(sel: Selector) -> list[str]:
    for query in _AUTHOR:
        found = _texts(sel, query)
        if found:
            return found[:1]
    return []


def _first(texts: list[str]) -> str | None:
    return texts[0] if texts else None


def extract(sel: Selector, url: str, wanted: Collection[str] = METADATA_FIELDS) -> Extracted:
    """The body, and of the metadata only the fields in `wanted`. The byline and section are
    looked for in the article's column first (`crawler.parsers.column`): any byline candidate
    there wins over a better-ranked one elsewhere on the page."""
    title_areas = sel.css(_TITLE_AREA)
    text_areas = sel.css(_TEXT_AREA)
    area = title_areas or sel

    @cache
    def column() -> Selector:
        title = title_areas[0].root if title_areas else None
        text = text_areas[0].root if text_areas else None
        return article_column(sel, title, text)

    @cache
    def dates() -> tuple[datetime | None, datetime | None]:
        return parse_published_updated(" ".join(area.css("p.news_date ::text").getall()), KST)

    def section() -> str | None:
        sections = column_first(column(), sel, lambda scope: _texts(scope, _SECTION))
        return sections[-1] if sections else None

    result = fill_wanted(
        Extracted(),
        wanted,
        title=lambda: _first(_texts(area, "h1.news_title")),
        subtitle=lambda: _first(_texts(area, "h2.news_title")),
        authors=lambda: clean_authors(column_first(column(), sel, _first_byline)),
        section=section,
        published_at=lambda: dates()[0],
        updated_at=lambda: dates()[1],
    )
    if not text_areas:
        result.no_body_reason = "no-body-element"
        return result
    boxes = text_areas.css("div.text_box") or text_areas
    for box in boxes:
        result.paragraphs += block_paragraphs(box.root, _skip)
    result.images = [Image(s, c) for s, c in body_images([n.root for n in text_areas], url)]
    if not result.paragraphs:
        result.no_body_reason = "empty-body"
    return result
