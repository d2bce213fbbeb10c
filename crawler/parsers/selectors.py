"""Fields from a profile's CSS selectors: how a site without a parser module is read.

A selector may end in `::attr(name)`; otherwise an element's text is used. The body is the
first `body` match, minus `body_exclude` and the usual noise (share bars, comments, related
links), split into paragraphs at block elements.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, tzinfo
from functools import cache

from lxml import html as lxml_html
from parsel import Selector

from crawler.parsers.dates import parse_date, parse_published_updated
from crawler.parsers.model import METADATA_FIELDS, Extracted, Image, fill_wanted
from crawler.parsers.text import (
    block_paragraphs,
    body_images,
    clean_authors,
    is_noise,
    normalize_space,
)
from crawler.sites.profile import Selectors


def _values(sel: Selector, query: str) -> list[str]:
    """Every match of `query` as normalised text (attribute values or element text)."""
    if not query:
        return []
    found = []
    for node in sel.css(query):
        if isinstance(node.root, str):
            value = normalize_space(node.root)
        else:
            value = normalize_space(" ".join(node.css("::text").getall()))
        if value:
            found.append(value)
    return found


def _first(sel: Selector, query: str) -> str | None:
    values = _values(sel, query)
    return values[0] if values else None


def _skip(element: lxml_html.HtmlElement) -> bool:
    return element.tag in ("aside", "nav", "form") or is_noise(element)


def from_selectors(
    sel: Selector,
    url: str,
    selectors: Selectors,
    tz: tzinfo,
    wanted: Collection[str] = METADATA_FIELDS,
) -> Extracted:
    """The body, and of the metadata only the fields in `wanted`."""

    @cache
    def dates() -> tuple[datetime | None, datetime | None]:
        return parse_published_updated(_first(sel, selectors.published_at), tz)

    result = fill_wanted(
        Extracted(),
        wanted,
        title=lambda: _first(sel, selectors.title),
        subtitle=lambda: _first(sel, selectors.subtitle),
        authors=lambda: clean_authors(_values(sel, selectors.authors)),
        section=lambda: _first(sel, selectors.section),
        published_at=lambda: dates()[0],
        updated_at=lambda: parse_date(_first(sel, selectors.updated_at), tz) or dates()[1],
        keywords=lambda: list(dict.fromkeys(_values(sel, selectors.keywords))),
    )
    if not selectors.body:
        return result
    bodies = sel.css(selectors.body)
    if not bodies:
        result.no_body_reason = "no-body-element"
        return result
    container = bodies[0]
    for query in selectors.body_exclude:
        for node in container.css(query):
            node.drop()
    root = container.root
    result.paragraphs = block_paragraphs(root, _skip)
    result.images = [Image(src, caption) for src, caption in body_images([root], url)]
    if not result.paragraphs:
        result.no_body_reason = "empty-body"
    return result
