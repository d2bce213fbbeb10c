"""Bounded redirects and decompression: each give-up is a counted, logged drop."""

from __future__ import annotations

import gzip
import logging

import pytest
from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from crawler.accounting import losses
from crawler.limits import (
    BoundedHttpCompressionMiddleware,
    BoundedMetaRefreshMiddleware,
    BoundedRedirectMiddleware,
    DownloadDropsMiddleware,
)


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


_REFRESH = '<meta http-equiv="Refresh" content="0; url=/moved">'
#: A head of real weight before the refresh: inline JSON state, 3,000 characters.
_STATE = "<script>window.__STATE__ = {" + "a" * 3000 + "}</script>"
#: 3,500 Hangul characters: 10.5 KB in UTF-8, still within Scrapy's first 4,096 characters.
_KOREAN_STATE = "<script>window.__STATE__ = '" + "\uac00" * 3500 + "'</script>"


class _UndecodableResponse(HtmlResponse):
    """A page whose text must not be needed to pass it on."""

    @property
    def text(self) -> str:
        raise AssertionError("the whole body was decoded")


@pytest.mark.parametrize(
    ("head", "encoding"),
    [
        (_REFRESH, "utf-8"),
        (_STATE + _REFRESH, "utf-8"),
        (_KOREAN_STATE + _REFRESH, "utf-8"),
        (_KOREAN_STATE + _REFRESH, "euc-kr"),
        (_REFRESH, "utf-16"),
    ],
)
def test_a_meta_refresh_is_followed(head: str, encoding: str) -> None:
    middleware = BoundedMetaRefreshMiddleware.from_crawler(_crawler())
    request = Request("http://h/old")
    html = f"<html><head>{head}</head><body>{'<p>text</p>' * 5000}</body></html>"
    body = html.encode(encoding)
    response = HtmlResponse(request.url, body=body, encoding=encoding, request=request)
    redirected = middleware.process_response(request, response)
    assert isinstance(redirected, Request)
    assert redirected.url.startswith("http://h/moved")  # w3lib appends a UTF-16 BOM, escaped


def test_a_page_without_a_meta_refresh_passes_undecoded() -> None:
    middleware = BoundedMetaRefreshMiddleware.from_crawler(_crawler())
    request = Request("http://h/article/1")
    html = f"<html><head>{_STATE}</head><body>{'<p>text</p>' * 5000}</body></html>"
    response = _UndecodableResponse(request.url, body=html.encode(), request=request)
    assert middleware.process_response(request, response) is response


def test_a_status_retries_gave_up_on_is_a_counted_loss(caplog: pytest.LogCaptureFixture) -> None:
    """A 503 without Retry-After that outlasts every retry is lost, and the run says so."""
    crawler = _crawler()
    middleware = DownloadDropsMiddleware.from_crawler(crawler)
    request = Request("http://h/article/1", meta={"retry_times": 2})
    answer = Response(request.url, status=503, request=request)
    with caplog.at_level(logging.INFO):
        assert middleware.process_response(request, answer) is answer
    stats = crawler.stats.get_stats()
    assert stats["dropped/retries_exhausted/503"] == 1
    assert losses(stats) == {"retries_exhausted/503": 1}
    assert "status 503 after 2 retries" in caplog.text
    fine = Response(request.url, status=404, request=request)
    middleware.process_response(request, fine)
    assert "dropped/retries_exhausted/404" not in crawler.stats.get_stats()
