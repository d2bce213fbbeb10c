"""Pure parsing: (url, html) in, fields out. No network, no Scrapy, testable on saved pages."""

from __future__ import annotations

from crawler.parsers.article import parse_article
from crawler.parsers.model import Image, ParsedArticle

__all__ = ["Image", "ParsedArticle", "parse_article"]
