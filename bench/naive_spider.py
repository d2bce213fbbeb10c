"""Naive baseline for the benchmark (`scrapy runspider`): what a typical user writes.

trafilatura is called inline in an item pipeline, in the crawl process, and items are
written as JSON lines with `-O` (the benchmark enables the pipeline with `-s`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import scrapy
import trafilatura

from bench.urllist import UrlListSpider


class TrafilaturaPipeline:
    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        html = item.pop("html")
        item["text"] = trafilatura.extract(html, url=item["url"], include_comments=False)
        return item


class NaiveTrafilatura(UrlListSpider):
    name = "naive_trafilatura"

    def parse(self, response: scrapy.http.Response) -> Iterable[dict[str, Any]]:
        self.responses += 1
        yield {"url": response.url, "html": response.text}
