"""Request fingerprints keyed on article identity, so URL variants are fetched once.

Scrapy's dupefilter, JOBDIR resume and scrapy-redis all ask the fingerprinter, so keying
here (and not in the spider) covers redirects from legacy aliases too.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from crawler.urls import article_id, canonical_url

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler


class ArticleRequestFingerprinter:
    """Fingerprint article URLs by site id and other URLs by their canonical form."""

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArticleRequestFingerprinter:
        return cls()

    def fingerprint(self, request: Request) -> bytes:
        ident = article_id(request.url)
        key = f"article:{ident}" if ident else f"url:{canonical_url(request.url)}"
        digest = hashlib.sha1(request.method.encode(), usedforsecurity=False)
        digest.update(b"\0" + key.encode())
        if request.body:
            digest.update(b"\0" + request.body)
        return digest.digest()
