"""Pure parsing: (url, html, site profile) in, one typed record out. No network, no Scrapy,
testable on saved pages."""

from __future__ import annotations

from crawler.parsers.article import parse_article

__all__ = ["parse_article"]
