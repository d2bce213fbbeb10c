"""Archive-grade WARC capture: raw-head download handler, writer, CDXJ index, crash recovery.

Settings and wiring: :mod:`crawler.extensions.warc`.
"""

from crawler.warc.config import WarcConfig
from crawler.warc.handler import RAW_EXCHANGE_KEY, RawExchange, WarcCaptureDownloadHandler
from crawler.warc.recovery import recover
from crawler.warc.writer import WarcPointer, WarcWriter

__all__ = [
    "RAW_EXCHANGE_KEY",
    "RawExchange",
    "WarcCaptureDownloadHandler",
    "WarcConfig",
    "WarcPointer",
    "WarcWriter",
    "recover",
]
