"""Bounded redirects and decompression: each give-up is a counted, logged drop."""

from __future__ import annotations

import gzip
import logging

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from crawler.limits import BoundedHttpCompressionMiddleware, BoundedRedirectMiddleware


def _crawler(**settings: object):
    crawler = get_crawler(settings_dict=settings)
    crawler.stats.open_spider()
    return crawler


def _redirect(url: str, location: str, request: Request) -> Response:
    return Response(url, status=302, headers={"Location": location}, request=request)


def test_a_redirect_loop_is_dropped_at_once(caplog: pytest.LogCaptureFixture) -> None:
    crawler = _crawler(REDIRECT_MAX_TIMES=10)
    middleware = BoundedRedirectMiddleware.from_crawler(crawler)
    request = Request("http://h/article/1")
    hop = middleware.process_response(request, _redirect(request.url, "/loop/a", request))
    hop = middleware.process_response(hop, _redirect(hop.url, "/loop/b", hop))
    with caplog.at_level(logging.INFO), pytest.raises(IgnoreRequest):
        middleware.process_response(hop, _redirect(hop.url, "/loop/a", hop))
    assert crawler.stats.get_value("dropped/redirect_loop") == 1
    assert "dropped http://h/article/1: redirect loop" in caplog.text


def test_a_chain_past_the_cap_is_counted_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    crawler = _crawler(REDIRECT_MAX_TIMES=3)
    middleware = BoundedRedirectMiddleware.from_crawler(crawler)
    request = Request("http://h/article/1")
    with caplog.at_level(logging.INFO), pytest.raises(IgnoreRequest):
        for hop in range(1, 10):
            request = middleware.process_response(
                request, _redirect(request.url, f"/hop/{hop}", request)
            )
    assert crawler.stats.get_value("dropped/redirect_max") == 1
    assert "dropped http://h/article/1: more than REDIRECT_MAX_TIMES (3)" in caplog.text


def test_a_gzip_bomb_stops_inflating_at_the_cap() -> None:
    crawler = _crawler(DOWNLOAD_MAXSIZE=2**20)
    middleware = BoundedHttpCompressionMiddleware.from_crawler(crawler)
    bomb = gzip.compress(bytes(64 * 2**20))
    request = Request("http://h/article/1")
    response = Response(
        request.url, body=bomb, headers={"Content-Encoding": "gzip"}, request=request
    )
    with pytest.raises(IgnoreRequest):
        middleware.process_response(request, response)
    assert crawler.stats.get_value("dropped/decompressed_too_large") == 1
