"""Is a page one article? Judged from the page: what it declares, and where its body sits.

For sites without article URL patterns (foreign pages in `scrapy rebuild`) a URL says too
little: home, section and tag pages are told apart from articles by their structured data
and by their body being a list of links (teasers), not by the shape of their path.
"""

from __future__ import annotations

from collections import Counter
from typing import Any
from urllib.parse import urlsplit

from lxml import html as lxml_html
from parsel import Selector

from crawler.parsers.jsonld import ARTICLE_TYPES, jsonld_nodes, node_types
from crawler.parsers.text import BLOCK_TAGS, normalize_space

ARTICLE = "article"
#: JSON-LD types by which a page says it is a list of things, or a person, not one article.
LISTING_TYPES = frozenset({"collectionpage", "itemlist", "searchresultspage", "profilepage"})
#: A body with at least this share of its text in teasers is a list of links to articles.
MAX_TEASER_SHARE = 0.5
#: A body found in fewer blocks than this shows no list structure either way.
MIN_BLOCKS = 3
#: Characters of a paragraph's start by which its element is found on the page.
_KEY_CHARS = 24
_INVISIBLE = frozenset({"script", "style", "noscript", "template", "head", "title"})
_PARAGRAPH_BLOCKS = BLOCK_TAGS - {"br", "hr"}


def declared_kind(sel: Selector, url: str) -> str | None:
    """`ARTICLE` when the page declares itself an article (og:type, a JSON-LD *Article or
    *Posting), the JSON-LD type when it declares another kind of page (a listing type, or a
    WebSite whose URL is this page: a home page), else None: the page does not say."""
    og_types = sel.css('meta[property="og:type" i]::attr(content)').getall()
    if any(value.strip().lower() == ARTICLE for value in og_types):
        return ARTICLE
    other: str | None = None
    for node in jsonld_nodes(sel):
        types = node_types(node)
        if types & ARTICLE_TYPES or any(t.endswith(("article", "posting")) for t in types):
            return ARTICLE
        if other is None and types & LISTING_TYPES:
            other = min(types & LISTING_TYPES)
        elif other is None and "website" in types and _is_this_page(node, sel, url):
            other = "website"
    return other


def _is_this_page(node: dict[str, Any], sel: Selector, url: str) -> bool:
    """Whether a JSON-LD node's `url` (or `@id`) names this page or its canonical URL."""
    page = {_page_key(url), _page_key(sel.css('link[rel="canonical" i]::attr(href)').get())}
    return any(
        isinstance(value, str) and _page_key(value) in page
        for value in (node.get("url"), node.get("@id"))
    )


def _page_key(url: str | None) -> tuple[str, str, str] | None:
    """A URL as far as it names a page: no scheme, `www.`, fragment or trailing slash."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").removeprefix("www.")
    return host, parts.path.rstrip("/"), parts.query


def teaser_share(sel: Selector, paragraphs: list[str]) -> float:
    """Share of the body's text in teasers: one-paragraph blocks inside a link, or beside a
    link in an item of their own, as the summaries of a home or section page are. An
    article's links sit in its sentences, and its paragraphs share one container. 0 when
    the body is found in fewer than MIN_BLOCKS blocks of the page."""
    blocks = _blocks(sel.root, paragraphs)
    if len(blocks) < MIN_BLOCKS:
        return 0.0
    holding: Counter[lxml_html.HtmlElement] = Counter()
    for block in blocks:
        holding.update([block, *block.iterancestors()])
    teasers = 0
    for block, (chars, count) in blocks.items():
        item = block
        for parent in block.iterancestors():
            if holding[parent] > 1:
                break
            item = parent
        in_link = any(_is_link(a) for a in block.iterancestors("a"))
        if count == 1 and (in_link or _links(item) > _links(block)):
            teasers += chars
    return teasers / sum(chars for chars, _ in blocks.values())


def _blocks(
    root: lxml_html.HtmlElement, paragraphs: list[str]
) -> dict[lxml_html.HtmlElement, list[int]]:
    """The block elements where paragraphs start, with their characters and paragraphs:
    each paragraph found by its first _KEY_CHARS characters, at the first text on the page
    that starts so (paragraphs with the same start at the next ones)."""
    wanted: dict[str, list[int]] = {}  # key -> lengths of the paragraphs that start so
    for paragraph in paragraphs:
        key = paragraph.removeprefix("- ")[:_KEY_CHARS]
        if len(key) == _KEY_CHARS:
            wanted.setdefault(key, []).append(len(paragraph))
    blocks: dict[lxml_html.HtmlElement, list[int]] = {}
    for element in root.iter():
        if not wanted:
            break
        if not isinstance(element.tag, str):
            continue
        for text, owner in ((element.text, element), (element.tail, element.getparent())):
            if not text or len(text) < _KEY_CHARS or owner is None or owner.tag in _INVISIBLE:
                continue
            key = normalize_space(text)[:_KEY_CHARS]
            lengths = wanted.get(key)
            if lengths:
                counts = blocks.setdefault(_block_of(owner), [0, 0])
                counts[0] += lengths.pop(0)
                counts[1] += 1
                if not lengths:
                    del wanted[key]
    return blocks


def _block_of(element: lxml_html.HtmlElement) -> lxml_html.HtmlElement:
    """The nearest element that makes a paragraph: itself or an ancestor."""
    for candidate in (element, *element.iterancestors()):
        if candidate.tag in _PARAGRAPH_BLOCKS:
            return candidate
    return element


def _is_link(element: lxml_html.HtmlElement) -> bool:
    href = (element.get("href") or "").strip().lower()
    return bool(href) and not href.startswith(("#", "javascript:"))


def _links(element: lxml_html.HtmlElement) -> int:
    return sum(_is_link(a) for a in element.iter("a"))
