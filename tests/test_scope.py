"""Scope: one gate for every request, and the trap guard on spider output."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.errors import ConfigError
from crawler.scope import (
    OriginScopeMiddleware,
    TrapGuardMiddleware,
    allowed_origins,
    origin_of,
    refusal,
)

ORIGINS = frozenset({"http://127.0.0.1:8765"})


def test_origin_is_scheme_host_and_port() -> None:
    assert origin_of("HTTP://Example.com/a") == "http://example.com:80"
    assert origin_of("https://example.com:8443/") == "https://example.com:8443"
    assert origin_of("http://[::1/") is None
    assert origin_of("http://a:99999/") is None
    assert origin_of("ftp://example.com/") is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8765/article/1", None),
        ("http://127.0.0.2:8765/article/1", "offsite"),
        ("http://127.0.0.1:8766/article/1", "offsite"),  # another port of the same host
        ("https://127.0.0.1:8765/article/1", "offsite"),  # another scheme
        ("ftp://127.0.0.1:8765/article/1", "scheme/ftp"),
        ("mailto:desk@example.com", "scheme/mailto"),
        ("JavaScript:void(0)", "scheme/javascript"),
        ("tel:+82", "scheme/tel"),
        ("data:text/html,x", "scheme/data"),
        ("file:///etc/passwd", "scheme/file"),
        ("http://[::1/x", "malformed_url"),
        ("http://127.0.0.1:8765/" + "a" * 3000, "url_too_long"),
    ],
)
def test_refusals(url: str, reason: str | None) -> None:
    assert refusal(url, ORIGINS, 2048) == reason


def test_allowed_origins_from_the_spider_or_its_base_url() -> None:
    assert allowed_origins(SimpleNamespace(allowed_origins={"http://a:1"})) == {"http://a:1"}
    assert allowed_origins(SimpleNamespace(base_url="http://a")) == {"http://a:80"}
    with pytest.raises(ConfigError, match="allowed origin"):
        allowed_origins(SimpleNamespace(allowed_origins={"a.example"}))


def test_middleware_drops_and_counts() -> None:
    crawler = get_crawler(settings_dict={"URLLENGTH_LIMIT": 2048})
    crawler.spider = SimpleNamespace(allowed_origins={"http://127.0.0.1:8765"})
    crawler.stats.open_spider()
    middleware = OriginScopeMiddleware.from_crawler(crawler)
    assert middleware.process_request(Request("http://127.0.0.1:8765/a")) is None
    with pytest.raises(IgnoreRequest):
        middleware.process_request(Request("http://127.0.0.2:8765/a"))
    with pytest.raises(IgnoreRequest):
        middleware.process_request(Request("ftp://127.0.0.1/a"))
    assert crawler.stats.get_value("dropped/offsite") == 1
    assert crawler.stats.get_value("dropped/scheme/ftp") == 1


def _listing(url: str, meta: dict[str, Any]) -> HtmlResponse:
    return HtmlResponse(url, body=b"<html></html>", request=Request(url, meta=meta))


async def _outputs(guard: TrapGuardMiddleware, response: HtmlResponse, out: list[Any]) -> list:
    async def results() -> Any:
        for item in out:
            yield item

    return [o async for o in guard.process_spider_output(response, results())]


def test_trap_guard_stops_after_barren_pages_and_resets_on_articles() -> None:
    crawler = get_crawler(settings_dict={"SCOPE_MAX_BARREN_PAGES": 3})
    crawler.stats.open_spider()
    guard = TrapGuardMiddleware.from_crawler(crawler)
    meta: dict[str, Any] = {}
    pages = 0
    while pages < 100:
        response = _listing(f"http://h/?page={pages}", meta)
        out = asyncio.run(_outputs(guard, response, [Request(f"http://h/?page={pages + 1}")]))
        if not out:
            break
        meta = out[0].meta
        pages += 1
    assert pages == 2  # pages 1 and 2 followed from barren pages; page 3 is not
    assert crawler.stats.get_value("dropped/listing_trap") == 1
    article = Request("http://h/article/12345678", meta={"article_id": "12345678"})
    response = _listing("http://h/?page=9", meta)
    out = asyncio.run(_outputs(guard, response, [article, Request("http://h/?page=10")]))
    assert len(out) == 2 and out[1].meta["scope_barren_pages"] == 0
