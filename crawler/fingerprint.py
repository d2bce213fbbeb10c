"""Request fingerprints keyed on article identity, so URL variants are fetched once.

An article URL is keyed by its site and the site's id (`article:<site>:<id>`), so two sites
that both use `/article/N` never collide; any other URL by its canonical form. Scrapy's
dupefilter, JOBDIR resume and scrapy-redis all ask the fingerprinter, so keying here (and not
in the spider) covers redirects from aliases too.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from crawler.sites import SiteProfile, generic_canonical, site_for_url

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

#: request.meta key naming the site a request belongs to (set by the news spider).
SITE_KEY = "site"
#: Attribute of the crawler holding the profiles of the crawl, by name (set by the spider).
SITES_ATTRIBUTE = "news_sites"


def crawl_sites(crawler: Crawler | None) -> dict[str, SiteProfile]:
    """The profiles this crawl runs with, as the spider registered them on the crawler."""
    return getattr(crawler, SITES_ATTRIBUTE, None) or {}


def profile_of(request: Request, sites: dict[str, SiteProfile]) -> SiteProfile | None:
    """The request's site: its `site` meta, else the crawl's site whose hosts hold the URL."""
    name = request.meta.get(SITE_KEY)
    if name in sites:
        return sites[name]
    return site_for_url(request.url, sites) if sites else None


def identity_key(request: Request, sites: dict[str, SiteProfile]) -> str:
    profile = profile_of(request, sites)
    ident = profile.article_id(request.url) if profile else None
    if profile is not None and ident is not None:
        return f"article:{profile.key(ident)}"
    url = profile.canonical_url(request.url) if profile else generic_canonical(request.url)
    return f"url:{url}"


class ArticleRequestFingerprinter:
    """Fingerprint article URLs by (site, id) and other URLs by their canonical form."""

    def __init__(self, crawler: Crawler | None = None) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleRequestFingerprinter:
        return cls(crawler)

    def fingerprint(self, request: Request) -> bytes:
        key = identity_key(request, crawl_sites(self.crawler))
        digest = hashlib.sha1(request.method.encode(), usedforsecurity=False)
        digest.update(b"\0" + key.encode())
        if request.body:
            digest.update(b"\0" + request.body)
        return digest.digest()
