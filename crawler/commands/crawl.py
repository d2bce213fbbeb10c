"""`scrapy crawl`, with bad arguments, settings and paths reported as one line.

Settings are checked against their declared types and `OUTPUT_DIR` for writing before the
crawl starts; a `ConfigError` raised while the spider or a component is built (from
`from_crawler`) ends the command with its message instead of a logged traceback.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from crawler.checks import check_declared_types, writable_directory
from crawler.commands.oneline import OneLineErrors
from crawler.errors import ConfigError

if TYPE_CHECKING:
    import argparse

logger = logging.getLogger(__name__)


class Command(OneLineErrors, ScrapyCrawlCommand):
    def execute(self, args: list[str], opts: argparse.Namespace) -> None:
        if len(args) != 1:
            names = ", ".join(repr(argument) for argument in args) or "none"
            raise ConfigError(f"spider names {names}: expected exactly one")
        assert self.settings is not None and self.crawler_process is not None
        check_declared_types(self.settings)
        writable_directory(Path(self.settings.get("OUTPUT_DIR", "output")))
        try:
            crawler = self._create_crawler(args[0])
        except KeyError:
            names = ", ".join(sorted(self.crawler_process.spider_loader.list()))
            raise ConfigError(f"spider {args[0]!r}: not found; expected one of {names}") from None
        errors: list[ConfigError] = []
        _collect_config_errors(self.crawler_process.crawl(crawler, **opts.spargs), errors)
        self.crawler_process.start()
        if errors:
            raise errors[0]
        if self.crawler_process.bootstrap_failed:
            self.exitcode = 1


def _collect_config_errors(outcome: Any, errors: list[ConfigError]) -> None:
    """Keep a ConfigError the crawl failed with; anything else is a bug and keeps its traceback."""
    if isinstance(outcome, Deferred):

        def errback(failure: Failure) -> Failure | None:
            if failure.check(ConfigError):
                errors.append(failure.value)
                return None
            return failure

        outcome.addErrback(errback)
        return

    def done(task: asyncio.Task[None]) -> None:
        error = None if task.cancelled() else task.exception()
        if isinstance(error, ConfigError):
            errors.append(error)
        elif error is not None:
            logger.error("the crawl failed to start", exc_info=error)

    outcome.add_done_callback(done)
