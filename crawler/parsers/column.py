"""The article's column: the smallest element that holds a template's own areas.

A news page of real weight has 2,000 and more elements in its menus, rails and footer. A class
lookup such as `.writer` visits every one of them (0.3-0.5 ms on such a page), and templates try
several bylines, dates and breadcrumbs in turn. Looked for in the column first, they read a
few dozen elements. The column's answer wins over one elsewhere on the page (a rail's byline
is another story's), and the whole page is searched only when the column has none.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from typing import TypeVar

from lxml import html as lxml_html
from parsel import Selector

Found = TypeVar("Found")


def first_element(sel: Selector, query: str) -> lxml_html.HtmlElement | None:
    """The first element `query` matches on the page, or None."""
    nodes = sel.css(query)
    return nodes[0].root if nodes else None


def article_column(sel: Selector, *anchors: lxml_html.HtmlElement | None) -> Selector:
    """The smallest element holding every anchor (say a template's title and body), or the
    page itself when one of them is missing: a column found from part of its areas could
    leave out what belongs to the article."""
    if not anchors or any(anchor is None for anchor in anchors):
        return sel
    first, *others = anchors
    around_others = [{other, *other.iterancestors()} for other in others]
    for candidate in chain([first], first.iterancestors()):
        if all(candidate in around for around in around_others):
            return sel if candidate is sel.root else Selector(root=candidate, type="html")
    return sel


def column_first(column: Selector, page: Selector, lookup: Callable[[Selector], Found]) -> Found:
    """`lookup` in the article's column, else over the whole page (when it found nothing)."""
    found = lookup(column)
    if found or column is page:
        return found
    return lookup(page)
