"""Structured metadata: JSON-LD first, then meta tags; these outlive template redesigns."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, tzinfo
from typing import Any
from urllib.parse import urljoin

from parsel import Selector

from crawler.parsers.dates import parse_date
from crawler.parsers.model import Extracted, Image
from crawler.parsers.text import clean_authors, normalize_space

ARTICLE_TYPES = frozenset(
    {
        "article",
        "newsarticle",
        "reportagenewsarticle",
        "analysisnewsarticle",
        "opinionnewsarticle",
        "backgroundnewsarticle",
        "reviewnewsarticle",
        "blogposting",
        "socialmediaposting",
        "liveblogposting",
        "report",
        "scholarlyarticle",
        "techarticle",
    }
)


#: Nesting followed into a JSON-LD document; real pages nest an article two or three deep.
MAX_DEPTH = 8
#: Items read from one list value (authors, keywords, images): more is not real metadata,
#: so the field falls back to the next source.
MAX_ITEMS = 200


def _walk(node: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    """Every object in a JSON-LD document, through lists and `@graph` wrappers."""
    if depth > MAX_DEPTH:
        return
    if isinstance(node, list):
        for item in node[:MAX_ITEMS]:
            yield from _walk(item, depth + 1)
    elif isinstance(node, dict):
        yield node
        yield from _walk(node.get("@graph"), depth + 1)


def node_types(node: dict[str, Any]) -> set[str]:
    """The node's `@type`s, lower-cased."""
    value = node.get("@type")
    values = value if isinstance(value, list) else [value]
    return {v.lower() for v in values if isinstance(v, str)}


def _load(raw: str) -> Any:
    raw = raw.strip().rstrip(";")
    # Some CMSs put raw newlines/tabs inside strings; strict=False accepts them.
    try:
        return json.loads(raw, strict=False)
    except ValueError:
        return json.loads(re.sub(r",\s*([}\]])", r"\1", raw), strict=False)


def jsonld_nodes(sel: Selector) -> Iterator[dict[str, Any]]:
    """Every object of the page's JSON-LD documents at the top or in `@graph` (not nested
    properties); documents that do not parse are passed over."""
    for raw in sel.css('script[type*="ld+json" i]::text').getall():
        try:
            document = _load(raw)
        except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
            continue
        yield from _walk(document)


def article_node(sel: Selector) -> dict[str, Any] | None:
    """The page's article object from JSON-LD, or None."""
    return next((node for node in jsonld_nodes(sel) if node_types(node) & ARTICLE_TYPES), None)


def _texts(value: Any, key: str = "name", depth: int = 0) -> list[str]:
    """Strings from a value that may be a string, an object with `key`, or a list of either.

    Too deep or too long a value gives nothing, so the field falls back to the next source.
    """
    if isinstance(value, str):
        return [value]
    if depth >= MAX_DEPTH:
        return []
    if isinstance(value, dict):
        return _texts(value.get(key), key, depth + 1)
    if isinstance(value, list):
        if len(value) > MAX_ITEMS:
            return []
        return [text for item in value for text in _texts(item, key, depth + 1)]
    return []


def _first(value: Any, key: str = "name") -> str | None:
    for text in _texts(value, key):
        if normalize_space(text):
            return normalize_space(text)
    return None


def _keywords(values: list[str]) -> list[str]:
    """Distinct keywords in order (linear: an ordered set); more than MAX_ITEMS is a stuffed
    list, not metadata, and gives none."""
    words: dict[str, None] = {}
    for value in values:
        for word in value.split(","):
            word = normalize_space(word)
            if word:
                words.setdefault(word)
                if len(words) > MAX_ITEMS:
                    return []
    return list(words)


def _images(value: Any, base_url: str) -> list[Image]:
    items = value[:MAX_ITEMS] if isinstance(value, list) else [value]
    images: list[Image] = []
    for item in items:
        if isinstance(item, str):
            url, caption = item, None
        elif isinstance(item, dict):
            url = _first(item.get("url") or item.get("contentUrl"), "url") or ""
            caption = _first(item.get("caption")) or _first(item.get("description"))
        else:
            continue
        if url.strip():
            images.append(Image(urljoin(base_url, url.strip()), caption))
    return images


def _language(value: str | None) -> str | None:
    """ "en_US" / "en-us" -> "en": the corpus records the language, not the locale."""
    value = normalize_space(value)
    return re.split(r"[-_]", value)[0].lower() or None if value else None


def from_jsonld(sel: Selector, url: str, tz: tzinfo = UTC) -> Extracted:
    node = article_node(sel)
    if node is None:
        return Extracted()
    publisher = _first(node.get("publisher"))
    return Extracted(
        title=_first(node.get("headline")) or _first(node.get("name")),
        subtitle=_first(node.get("alternativeHeadline")),
        authors=clean_authors(_texts(node.get("author")), publisher),
        section=_first(node.get("articleSection")),
        published_at=parse_date(_first(node.get("datePublished")), tz),
        updated_at=parse_date(_first(node.get("dateModified")), tz),
        language=_language(_first(node.get("inLanguage"))),
        keywords=_keywords(_texts(node.get("keywords"))),
        images=_images(node.get("image"), url),
        canonical_url=_first(node.get("url"), "@id") or _first(node.get("mainEntityOfPage"), "@id"),
    )


def _meta_index(sel: Selector) -> dict[str, list[str]]:
    """Every meta tag's content by lower-cased property/name, in one pass over the page."""
    index: dict[str, list[str]] = {}
    for node in sel.root.iter("meta"):
        content = node.get("content")
        if not content or not normalize_space(content):
            continue
        for attribute in ("property", "name"):
            key = (node.get(attribute) or "").strip().lower()
            if key:
                index.setdefault(key, []).append(content)
    return index


def from_meta(sel: Selector, url: str, tz: tzinfo = UTC) -> Extracted:
    """og:*, article:* and classic name= meta tags, plus the declared document language."""
    index = _meta_index(sel)

    def values(*names: str) -> list[str]:
        return [value for name in names for value in index.get(name, [])]

    def first(*names: str) -> str | None:
        found = values(*names)
        return normalize_space(found[0]) if found else None

    site = first("og:site_name")
    image = first("og:image", "twitter:image")
    language = (
        first("og:locale", "content-language", "language", "dc.language")
        or sel.xpath("/html/@lang").get()
        or sel.css('meta[http-equiv="content-language" i]::attr(content)').get()
    )
    canonical = sel.css('link[rel="canonical" i]::attr(href)').get() or first("og:url")
    return Extracted(
        title=first("og:title", "twitter:title", "title", "dc.title"),
        authors=clean_authors(values("author", "article:author", "dc.creator"), site),
        section=first("article:section"),
        published_at=parse_date(
            first("article:published_time", "date", "pubdate", "dc.date", "publish-date"), tz
        ),
        updated_at=parse_date(first("article:modified_time", "og:updated_time"), tz),
        language=_language(language),
        keywords=_keywords(values("keywords", "news_keywords", "article:tag")),
        images=[Image(urljoin(url, image), None)] if image else [],
        canonical_url=urljoin(url, canonical.strip()) if canonical else None,
    )
