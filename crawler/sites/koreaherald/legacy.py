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


class _Marked:
    """The page's `view_*` elements by class name, found in one walk of the tree: a CSS query
    per field walked the whole page each time (0.5 ms each on a 120 KB page)."""

    def __init__(self, sel: Selector) -> None:
        self._by_class: dict[str, list[lxml_html.HtmlElement]] = {}
        for element in sel.root.xpath("//*[contains(@class, 'view_')]"):
            for name in (element.get("class") or "").split():
                self._by_class.setdefault(name, []).append(element)

    def elements(self, name: str, tag: str | None = None) -> list[lxml_html.HtmlElement]:
        """Elements with class `name` (and tag `tag`), in page order, nested ones included."""
        return [e for e in self._by_class.get(name, ()) if tag is None or e.tag == tag]

    def text(self, name: str, tag: str | None = None) -> str:
        """Their text nodes joined by spaces, each once (as `.name ::text` gives them)."""
        found = self.elements(name, tag)
        outermost = [e for e in found if not any(a in found for a in e.iterancestors())]
        return " ".join(t for e in outermost for t in e.xpath(".//text()"))


#: Where the legacy page labels its section; the markup varied over the years.
_SECTION = ("view_tit_icon", "view_top_t2", "view_category", "view_cate")


def _section(sel: Selector, marked: _Marked) -> str | None:
    for name in _SECTION:
        label = normalize_space(marked.text(name))
        if label:
            return label
    label = normalize_space(" ".join(sel.css(".view .category ::text").getall()))
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
    marked = _Marked(sel)

    @cache
    def dates() -> tuple[datetime | None, datetime | None]:
        return parse_published_updated(marked.text("view_tit_byline_r"), KST)

    def authors() -> list[str]:
        byline = normalize_space(marked.text("view_tit_byline_l"))
        return clean_authors([byline] if byline else [])

    result = fill_wanted(
        Extracted(),
        wanted,
        title=lambda: normalize_space(marked.text("view_tit", "h1")) or None,
        subtitle=lambda: normalize_space(marked.text("view_tit_sub", "h2")) or None,
        authors=authors,
        section=lambda: _section(sel, marked),
        published_at=lambda: dates()[0],
        updated_at=lambda: dates()[1],
    )
    # div#articleText div.view_con_t, else div.view_con_t, else div#articleText
    bodies = marked.elements("view_con_t", "div")
    containers = (
        [
            e
            for e in bodies
            if any(a.tag == "div" and a.get("id") == "articleText" for a in e.iterancestors())
        ]
        or bodies
        or [node.root for node in sel.css("div#articleText")]
    )
    if not containers:
        result.no_body_reason = "no-body-element"
        return result
    for container in containers:
        result.paragraphs += block_paragraphs(container, _skip)
    scope = [node.root for node in sel.css("div#articleText")] or bodies
    for img in (img for node in scope for img in node.iter("img")):
        src = image_src(img)
        if src:
            result.images.append(Image(urljoin(url, src), _caption(img)))
    if not result.paragraphs:
        result.no_body_reason = "empty-body"
    return result
