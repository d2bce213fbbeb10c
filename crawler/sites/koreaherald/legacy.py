"""Template B, the legacy site (2012 - Aug 2023, `view.php?ud=`).

The body is `div#articleText div.view_con_t`: bare text nodes split by `<br>`, mixed with `<p>`,
image tables and `div.view_con_caption` captions.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from functools import cache
from urllib.parse import urljoin

from lxml import html as lxml_html
from parsel import Selector

from crawler.parsers.dates import parse_published_updated
from crawler.parsers.model import METADATA_FIELDS, Extracted, Image, fill_wanted
from crawler.parsers.text import (
    block_paragraphs,
    clean_authors,
    image_src,
    is_noise,
    normalize_space,
)
from crawler.sites.koreaherald import KST

_BODY = ("div#articleText div.view_con_t", "div.view_con_t", "div#articleText")
_SKIP_CLASSES = frozenset(
    {
        "view_tit_icon",
        "view_main_c_li",
        "spot_li",
        "khadv_bg",
        "main_r",
        "view_con_caption",
        "img_caption",
    }
)


def matches(sel: Selector) -> bool:
    return bool(sel.css("h1.view_tit, div.view_con_t, div.view_tit_byline"))


def _skip(element: lxml_html.HtmlElement) -> bool:
    classes = set((element.get("class") or "").split())
    if element.get("id") == "thumimage" or classes & _SKIP_CLASSES:
        return True
    if element.tag == "table" and element.xpath(".//img"):
        return True  # image tables: the photo and its caption, not text
    return is_noise(element)


def _caption(img: lxml_html.HtmlElement) -> str | None:
    """The caption of a body image: the `view_con_caption` in its table, else its alt text."""
    holder = img.xpath("ancestor::table[1]") or [img.getparent()]
    for node in holder:
        found = node.xpath(
            './/*[contains(concat(" ", normalize-space(@class), " "), " view_con_caption ")]'
            ' | following-sibling::*[1][contains(@class, "caption")]'
        )
        if found:
            return normalize_space(found[0].text_content()) or None
    return normalize_space(img.get("alt")) or None


#: Where the legacy page labels its section; the markup varied over the years.
_SECTION = (".view_tit_icon", ".view_top_t2", ".view_category", ".view_cate", ".view .category")


def _section(sel: Selector) -> str | None:
    for query in _SECTION:
        label = normalize_space(" ".join(sel.css(f"{query} ::text").getall()))
        if label:
            return label
    # Otherwise the section listing linked closest before the headline names it.
    nearest = sel.xpath(
        "(//h1[contains(@class,'view_tit')]/preceding::a"
        "[contains(@href,'list.php?ct=')])[last()]//text()"
    ).getall()
    return normalize_space(" ".join(nearest)) or None


def extract(sel: Selector, url: str, wanted: Collection[str] = METADATA_FIELDS) -> Extracted:
    """The body, and of the metadata only the fields in `wanted`."""

    @cache
    def dates() -> tuple[datetime | None, datetime | None]:
        return parse_published_updated(" ".join(sel.css(".view_tit_byline_r ::text").getall()), KST)

    def authors() -> list[str]:
        byline = normalize_space(" ".join(sel.css(".view_tit_byline_l ::text").getall()))
        return clean_authors([byline] if byline else [])

    result = fill_wanted(
        Extracted(),
        wanted,
        title=lambda: normalize_space(" ".join(sel.css("h1.view_tit ::text").getall())) or None,
        subtitle=lambda: (
            normalize_space(" ".join(sel.css("h2.view_tit_sub ::text").getall())) or None
        ),
        authors=authors,
        section=lambda: _section(sel),
        published_at=lambda: dates()[0],
        updated_at=lambda: dates()[1],
    )
    containers = []
    for query in _BODY:
        containers = [node.root for node in sel.css(query)]
        if containers:
            break
    if not containers:
        result.no_body_reason = "no-body-element"
        return result
    for container in containers:
        result.paragraphs += block_paragraphs(container, _skip)
    scope = sel.css("div#articleText") or sel.css("div.view_con_t")
    for img in (img for node in scope for img in node.root.iter("img")):
        src = image_src(img)
        if src:
            result.images.append(Image(urljoin(url, src), _caption(img)))
    if not result.paragraphs:
        result.no_body_reason = "empty-body"
    return result
