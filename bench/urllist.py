"""A spider base over a file of URLs, for the benchmark's reference spiders."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import scrapy


class UrlListSpider(scrapy.Spider):
    """Fetches every URL of a file; at close prints how many responses it got, so the
    benchmark can check that a reference run really did the work it is timed for."""

    def __init__(self, urls: str = "", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.url_file = Path(urls)
        self.responses = 0

    def closed(self, reason: str) -> None:
        print(json.dumps({"responses": self.responses, "reason": reason}), flush=True)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for line in self.url_file.read_text().splitlines():
            if line.strip():
                yield scrapy.Request(line.strip())
