"""HTTP/1.1 download handler that keeps request and response heads as they crossed the wire.

Scrapy's ``Headers`` normalise header names and drop the reason phrase, so a WARC rebuilt from
them is not what the server sent. This handler tees the raw heads out of Twisted and puts them in
``request.meta[RAW_EXCHANGE_KEY]`` for :class:`crawler.extensions.warc.WarcExtension`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scrapy.core.downloader.handlers.http11 import (
    HTTP11DownloadHandler,
    _LenientHTTP11ClientFactory,
    _LenientHTTP11ClientProtocol,
    _LenientHTTPClientParser,
    _ScrapyAgent,
)
from scrapy.exceptions import ResponseDataLossError
from scrapy.utils._download_handlers import get_dataloss_msg, wrap_twisted_exceptions
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.web._newclient import STATUS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from twisted.internet.defer import Deferred
    from twisted.internet.interfaces import IAddress, ITransport
    from twisted.web._newclient import Request as TxRequest
    from twisted.web.client import Response as TxResponse
    from twisted.web.iweb import IResponse

logger = logging.getLogger(__name__)

RAW_EXCHANGE_KEY = "_warc_raw_exchange"
"""``request.meta`` key under which the handler leaves the :class:`RawExchange`."""

_TX_ATTR = "_warc_raw_exchange"


@dataclass(frozen=True, slots=True)
class RawExchange:
    """The heads of one HTTP exchange, byte for byte (bodies come from the Scrapy objects)."""

    request_head: bytes  # request line + header lines + blank line, as written to the socket
    response_head: bytes  # status line + header lines + blank line, as read from the socket


class _HeadTee:
    """Stands in for the transport while Twisted writes a request head, keeping a copy."""

    def __init__(self, transport: ITransport, sink: list[bytes]) -> None:
        self._transport = transport
        self._sink = sink

    def writeSequence(self, data: Sequence[bytes]) -> None:
        self._sink.extend(data)
        self._transport.writeSequence(data)


class _RecordingParser(_LenientHTTPClientParser):
    """Keeps every line of the final response head (a 1xx head is dropped, as Twisted does)."""

    raw_head: bytearray

    def lineReceived(self, line: bytes) -> None:
        if self.state == STATUS:
            self.raw_head.clear()
        self.raw_head += line + self.delimiter  # the line still ends with its b"\r"
        super().lineReceived(line)


class _RecordingProtocol(_LenientHTTP11ClientProtocol):
    def request(self, request: TxRequest) -> Deferred[IResponse]:
        sent: list[bytes] = []
        write_headers = request._writeHeaders

        def tee_headers(transport: ITransport, te_or_cl: bytes | None) -> None:
            write_headers(_HeadTee(transport, sent), te_or_cl)

        request._writeHeaders = tee_headers  # type: ignore[method-assign]
        d = super().request(request)
        parser = self._parser
        assert parser is not None
        parser.__class__ = _RecordingParser
        parser.raw_head = bytearray()

        def attach(response: IResponse) -> IResponse:
            setattr(response, _TX_ATTR, RawExchange(b"".join(sent), bytes(parser.raw_head)))
            return response

        d.addCallback(attach)
        return d


class _RecordingFactory(_LenientHTTP11ClientFactory):
    def buildProtocol(self, addr: IAddress | None) -> _RecordingProtocol:
        return _RecordingProtocol(self._quiescentCallback)  # type: ignore[no-untyped-call]


class _RecordingAgent(_ScrapyAgent):
    def _cb_bodyready(self, txresponse: TxResponse, request: Request) -> Any:
        if (raw := getattr(txresponse, _TX_ATTR, None)) is not None:
            request.meta[RAW_EXCHANGE_KEY] = raw
        return super()._cb_bodyready(txresponse, request)


class WarcCaptureDownloadHandler(HTTP11DownloadHandler):
    """Scrapy's HTTP/1.1 handler, plus the raw heads of each exchange in ``request.meta``."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._pool._factory = _RecordingFactory

    async def download_request(self, request: Request) -> Response:
        # As HTTP11DownloadHandler.download_request, with our agent in place of _ScrapyAgent.
        spider = self._crawler.spider
        agent = _RecordingAgent(
            contextFactory=self._contextFactory,
            bindAddress=self._bind_address,
            pool=self._pool,
            maxsize=getattr(spider, "download_maxsize", self._default_maxsize),
            warnsize=getattr(spider, "download_warnsize", self._default_warnsize),
            fail_on_dataloss=self._fail_on_dataloss,
            crawler=self._crawler,
            tls_verbose_logging=self._tls_verbose_logging,
        )
        try:
            with wrap_twisted_exceptions():
                return await maybe_deferred_to_future(agent.download_request(request))
        except ResponseDataLossError:
            if not self._fail_on_dataloss_warned:
                logger.warning(get_dataloss_msg(request.url))
                self._fail_on_dataloss_warned = True
            raise
