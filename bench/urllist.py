"""A spider base over a file of URLs, for the benchmark's reference spiders."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy


class UrlListSpider(scrapy.Spider):
    def __init__(self, urls: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url_file = Path(urls)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for line in self.url_file.read_text().splitlines():
            if line.strip():
                yield scrapy.Request(line.strip())
