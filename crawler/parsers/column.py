"""The article's column: the smallest element that holds a template's own areas.

A news page of real weight has 2,000 and more elements in its menus, rails and footer. A class
lookup such as `.writer` visits every one of them (0.3-0.5 ms on such a page), and templates try
several bylines, dates and breadcrumbs in turn. Looked for in the column first, they read a
few dozen elements; the whole page stays the fallback, so nothing the page-wide lookup found
is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import chain
from typing import TypeVar

from parsel import Selector

Found = TypeVar("Found")


def article_column(sel: Selector, *markers: str) -> Selector:
    """The smallest element holding the first match of every marker found (say a template's
    title area and body), or the page itself when none is found."""
    anchors = [nodes[0].root for nodes in (sel.css(marker) for marker in markers) if nodes]
    if not anchors:
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
