"""Fetch ceiling for the benchmark (`scrapy runspider`): the same article URLs, nothing else.

No parsing, no item pipelines, no WARC: what Scrapy alone can fetch from the replica.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import scrapy

from bench.urllist import UrlListSpider


class FetchOnly(UrlListSpider):
    name = "fetch_only"

    def parse(self, response: scrapy.http.Response) -> Iterable[Any]:
        self.responses += 1
        return ()
