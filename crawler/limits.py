"""Bounded work per response: redirects, decompressed size and download errors, each drop
counted as `dropped/<reason>` and logged at INFO with its URL.

Scrapy enforces DOWNLOAD_MAXSIZE, DOWNLOAD_TIMEOUT (the whole response, body included) and
REDIRECT_MAX_TIMES, but gives up on them at DEBUG level or without a stat; these subclasses
and the accounting middleware say what was lost and why.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware, RedirectMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest

from crawler.accounting import count_drop

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)


def _drop(crawler: Crawler, reason: str, request: Request, why: str) -> None:
    count_drop(crawler, request, reason, why)


class _LoopAwareRedirects:
    """`_redirect` of Scrapy's redirect middlewares, plus loop detection and accounting."""

    crawler: Crawler
    max_redirect_times: int

    def _redirect(self, redirected: Request, request: Request, reason: Any) -> Request:
        chain = [*request.meta.get("redirect_urls", []), request.url]
        first = request.replace(url=chain[0])
        if redirected.url in chain:
            _drop(
                self.crawler,
                "redirect_loop",
                first,
                f"redirect loop back to {redirected.url} after {len(chain)} hops",
            )
            raise IgnoreRequest(f"redirect loop: {redirected.url}")
        try:
            return super()._redirect(redirected, request, reason)  # type: ignore[misc]
        except IgnoreRequest:
            _drop(
                self.crawler,
                "redirect_max",
                first,
                f"more than REDIRECT_MAX_TIMES ({self.max_redirect_times}) redirects",
            )
            raise


class BoundedRedirectMiddleware(_LoopAwareRedirects, RedirectMiddleware):
    """RedirectMiddleware (600) that detects loops and counts its give-ups."""


#: Scrapy looks for a meta refresh in a page's first 4,096 characters, which UTF-8, GB18030 and
#: the legacy multi-byte encodings write in at most 4 x 4,096 bytes; in all of them the ASCII
#: letters of "refresh" are single bytes, so a byte search finds them.
_META_REFRESH_BYTES = 4 * 4096


class BoundedMetaRefreshMiddleware(_LoopAwareRedirects, MetaRefreshMiddleware):
    """MetaRefreshMiddleware (580) that detects loops and counts its give-ups.

    Scrapy's looks by decoding the whole body (`response.text`: 0.3 ms a 125 KB page, decoded
    for nothing else in the crawl process); a page whose head holds no "refresh" is passed on
    undecoded. A head with NUL bytes (UTF-16 or -32) gets Scrapy's own look.
    """

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        head = response.body[:_META_REFRESH_BYTES]
        if b"\x00" not in head and b"refresh" not in head.lower():
            return response
        return super().process_response(request, response)


class BoundedHttpCompressionMiddleware(HttpCompressionMiddleware):
    """HttpCompressionMiddleware (590): Scrapy stops inflating at DOWNLOAD_MAXSIZE; this
    counts the refusal as `dropped/decompressed_too_large`."""

    crawler: Crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BoundedHttpCompressionMiddleware:
        middleware = super().from_crawler(crawler)
        middleware.crawler = crawler
        return middleware

    def process_response(
        self, request: Request, response: Response, spider: Any = None
    ) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest as exc:
            _drop(self.crawler, "decompressed_too_large", request, str(exc)[:300])
            raise


class DownloadDropsMiddleware:
    """Downloader middleware on the engine side of RetryMiddleware (below 550): it sees only
    the errors that retries gave up on, and counts each as a drop with its reason."""

    def __init__(self, crawler: Crawler, retried_statuses: frozenset[int]) -> None:
        self.crawler = crawler
        self.retried_statuses = retried_statuses

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> DownloadDropsMiddleware:
        statuses = frozenset(int(code) for code in crawler.settings.getlist("RETRY_HTTP_CODES"))
        return cls(crawler, statuses)

    def process_response(self, request: Request, response: Response) -> Response:
        """A status retries are for (429, 503, 5xx), still there once they gave up: the page
        is lost, and says so (the response goes on, for HttpErrorMiddleware to ignore)."""
        if response.status in self.retried_statuses and not request.meta.get("dont_retry"):
            why = f"status {response.status} after {request.meta.get('retry_times', 0)} retries"
            _drop(self.crawler, f"retries_exhausted/{response.status}", request, why)
        return response

    def process_exception(self, request: Request, exception: Exception) -> None:
        if isinstance(exception, IgnoreRequest):
            return  # counted where it was raised
        if isinstance(exception, DownloadCancelledError):
            reason = "body_too_large"
        elif "Timeout" in type(exception).__name__ or isinstance(exception, TimeoutError):
            reason = "download_timeout"
        else:
            reason = f"download_error/{type(exception).__name__}"
        _drop(self.crawler, reason, request, repr(exception)[:300])
