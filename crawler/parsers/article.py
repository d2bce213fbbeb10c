"""Article parsing: merge structured data, meta tags, site templates and trafilatura per field."""

from __future__ import annotations

from parsel import Selector

from crawler.parsers import generic
from crawler.parsers.jsonld import from_jsonld, from_meta
from crawler.parsers.koreaherald import TEMPLATES, detect_template
from crawler.parsers.model import Extracted, ParsedArticle
from crawler.urls import article_id, canonical_url

#: Metadata fields filled from the first extractor that has them.
_FIELDS = (
    "title",
    "subtitle",
    "authors",
    "section",
    "published_at",
    "updated_at",
    "language",
    "keywords",
)
#: Fields trafilatura may fill when nothing better did.
_GENERIC_FIELDS = ("title", "authors", "published_at", "paragraphs")


def _selector(html: str) -> Selector | None:
    try:
        sel = Selector(text=html)
    except (ValueError, TypeError):
        return None
    return sel if sel.root is not None else None


def parse_article(url: str, html: str) -> ParsedArticle:
    """Parse one article page; missing parts give empty fields, never an exception."""
    sel = _selector(html) if html and html.strip() else None
    if sel is None:
        return ParsedArticle(
            url=url,
            article_id=article_id(url),
            canonical_url=canonical_url(url),
            no_body_reason="empty-document",
        )
    template = detect_template(sel)
    layers: list[tuple[str, Extracted]] = [
        ("jsonld", from_jsonld(sel, url)),
        ("meta", from_meta(sel, url)),
    ]
    site: Extracted | None = None
    if template:
        site = dict(TEMPLATES)[template].extract(sel, url)
        layers.append((f"template:{template}", site))

    article = ParsedArticle(url=url, article_id=None, canonical_url=None)
    for name in _FIELDS:
        _fill(article, name, layers)
    if site is not None and site.paragraphs:
        article.paragraphs = site.paragraphs
        article.sources["paragraphs"] = f"template:{template}"
        article.template = template or "unknown"
    else:
        fallback = generic.extract(html, url)
        for name in _GENERIC_FIELDS:
            _fill(article, name, [("trafilatura", fallback)])
        # trafilatura often repeats the headline as the first line of the body.
        article.paragraphs = [p for p in article.paragraphs if p != article.title]
        article.template = "generic" if article.paragraphs or not template else template
        if not article.paragraphs:
            article.sources.pop("paragraphs", None)
            article.no_body_reason = (site.no_body_reason if site else None) or (
                fallback.no_body_reason or "empty-body"
            )
    # Body images carry captions; the JSON-LD / og image is only a fallback.
    for source, layer in ([layers[-1]] if site else []) + layers[:2]:
        if layer.images:
            article.images, article.sources["images"] = layer.images, source
            break

    declared = next((layer.canonical_url for _, layer in layers if layer.canonical_url), None)
    article.canonical_url = canonical_url(declared or url)
    article.article_id = article_id(url) or article_id(article.canonical_url)
    return article


def _fill(article: ParsedArticle, name: str, layers: list[tuple[str, Extracted]]) -> None:
    if getattr(article, name):
        return
    for source, layer in layers:
        value = getattr(layer, name)
        if value:
            setattr(article, name, value)
            article.sources[name] = source
            return
