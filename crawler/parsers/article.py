"""Article parsing: per field, JSON-LD, then meta tags, then the site's template or selectors,
then trafilatura; every field records which of them filled it."""

from __future__ import annotations

import re

from parsel import Selector

from crawler.items import Article
from crawler.parsers.jsonld import from_jsonld, from_meta
from crawler.parsers.model import METADATA_FIELDS, Extracted
from crawler.parsers.selectors import from_selectors
from crawler.parsers.text import is_boilerplate_line
from crawler.sites.profile import SiteProfile

#: Fields trafilatura may fill when nothing better did.
_GENERIC_FIELDS = ("title", "authors", "published_at")
#: Sources that carry metadata only; the body comes from a template, selectors or trafilatura.
_METADATA_SOURCES = ("jsonld", "meta")
_NOT_ALNUM = re.compile(r"[^0-9a-z]+")
#: What stands between a headline and the site's name in "Headline | Site" titles.
_TITLE_SEPARATOR = re.compile(r"\s+[|\-\u2013\u2014:]+\s+")


def page_selector(html: str) -> Selector | None:
    """The parsed page, or None for an empty or unparsable document."""
    if not html or not html.strip():
        return None
    try:
        sel = Selector(text=html)
    except (ValueError, TypeError):
        return None
    return sel if sel.root is not None else None


def parse_article(
    url: str, html: str, profile: SiteProfile, *, selector: Selector | None = None
) -> Article:
    """Parse one article page of `profile`'s site; missing parts give empty fields, never an
    exception. A page without a body says why in `no_body_reason`. `selector` is the page
    already parsed by the caller (from `page_selector`), so it is parsed once."""
    article = Article(site=profile.name, url=url, article_id=profile.article_id(url))
    sel = selector if selector is not None else page_selector(html)
    if sel is None:
        article.canonical_url = profile.canonical_url(url)
        article.no_body_reason = "empty-document"
        return article
    tz = profile.tz
    layers: list[tuple[str, Extracted]] = [
        ("jsonld", from_jsonld(sel, url, tz)),
        ("meta", from_meta(sel, url, tz)),
    ]
    for _, layer in layers:
        _drop_publication(layer, profile)
    wanted = {name for name in METADATA_FIELDS if not any(getattr(x, name) for _, x in layers)}
    site_layer = _site_layer(sel, url, profile, wanted)
    if site_layer is not None:
        _drop_publication(site_layer[1], profile)
        layers.append(site_layer)
    for name in METADATA_FIELDS:
        _fill(article, name, layers)
    body_source = site_layer[0] if site_layer and site_layer[1].paragraphs else None
    if body_source is not None:
        paragraphs = site_layer[1].paragraphs
        article.template = body_source.removeprefix("template:")
    else:
        # Imported here: trafilatura costs the crawl process 0.3 s to import, and only the
        # extraction workers (which preload it) ever reach this fallback.
        from crawler.parsers import generic

        # trafilatura's metadata pass is its slowest part: only run it for fields still empty.
        missing = not all(getattr(article, name) for name in _GENERIC_FIELDS)
        fallback = generic.extract(html, url, tz, metadata=missing)
        _drop_publication(fallback, profile)
        for name in _GENERIC_FIELDS:
            _fill(article, name, [("trafilatura", fallback)])
        # trafilatura often repeats the headline as the first line of the body.
        paragraphs = [p for p in fallback.paragraphs if p != article.title]
        body_source = "trafilatura" if paragraphs else None
        template = site_layer[0].removeprefix("template:") if site_layer else None
        article.template = "generic" if paragraphs or not template else template
        if not paragraphs:
            article.no_body_reason = (site_layer[1].no_body_reason if site_layer else None) or (
                fallback.no_body_reason or "empty-body"
            )
    paragraphs = [p for p in paragraphs if not is_boilerplate_line(p)]
    if body_source and paragraphs:
        article.field_sources["paragraphs"] = body_source
    elif not article.no_body_reason:
        article.no_body_reason = "empty-body"
    article.set_paragraphs(paragraphs)
    # Body images carry captions; the JSON-LD / og image is only a fallback.
    image_layers = ([site_layer] if site_layer else []) + layers[:2]
    for source, layer in image_layers:
        if layer.images:
            article.images, article.field_sources["images"] = layer.images, source
            break
    article.image_urls = [image.url for image in article.images if image.url]
    declared = next((layer.canonical_url for _, layer in layers if layer.canonical_url), None)
    article.canonical_url = profile.canonical_url(declared or url)
    article.article_id = article.article_id or profile.article_id(article.canonical_url)
    article.extractor = _extractor(article, profile)
    return article


def _site_layer(
    sel: Selector, url: str, profile: SiteProfile, wanted: set[str]
) -> tuple[str, Extracted] | None:
    """The site's own layer: a template of its parser module, else its profile selectors;
    of the metadata, only the `wanted` fields that structured data left empty."""
    module = profile.parser_module
    if module is not None:
        template = module.detect_template(sel)
        if template:
            return f"template:{template}", module.extract(sel, url, template, wanted)
    if profile.selectors:
        return "selectors", from_selectors(sel, url, profile.selectors, profile.tz, wanted)
    return None


def _fill(article: Article, name: str, layers: list[tuple[str, Extracted]]) -> None:
    if getattr(article, name):
        return
    for source, layer in layers:
        value = getattr(layer, name)
        if value:
            setattr(article, name, value)
            article.field_sources[name] = source
            return


def _drop_publication(layer: Extracted, profile: SiteProfile) -> None:
    """Bylines naming the site itself are not authors, and a title is not "Headline | Site":
    the site's name goes, and the next layer may know better."""
    layer.authors = [a for a in layer.authors if not _is_publication(a, profile)]
    if layer.title:
        parts = _TITLE_SEPARATOR.split(layer.title)
        if len(parts) > 1 and _is_publication(parts[-1], profile):
            layer.title = layer.title[: -len(parts[-1])].rstrip(" |-\u2013\u2014:")


def _is_publication(author: str, profile: SiteProfile) -> bool:
    """Bylines that name the site itself ("The Korea Herald", "koreaherald.com")."""
    own = {_NOT_ALNUM.sub("", value.lower()) for value in (profile.title, profile.name)}
    own |= {name.removeprefix("the") for name in own}
    own |= {_NOT_ALNUM.sub("", host.removeprefix("www.")) for host in profile.hosts}
    folded = _NOT_ALNUM.sub("", author.lower())
    return folded in own or folded.removeprefix("the") in own


def _extractor(article: Article, profile: SiteProfile) -> str:
    """Provenance label stored with each row, so corpus rows can be re-audited later."""
    body = article.field_sources.get("paragraphs")
    if body is None:
        return "none"
    if body == "trafilatura":
        from crawler.parsers.generic import TRAFILATURA_VERSION

        return f"trafilatura {TRAFILATURA_VERSION}"
    used = [s for s in _METADATA_SOURCES if s in article.field_sources.values()]
    return f"{profile.name}:" + "+".join([*used, article.template])
