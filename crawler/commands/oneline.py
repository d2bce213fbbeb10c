"""A mixin for our Scrapy commands: a user's mistake is one line on stderr, not a traceback.

Scrapy prints usage errors as the usage plus the message, and anything else as a traceback;
ours print `scrapy <command>: <message>` for a `ConfigError` or a usage error, and exit 2.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, NoReturn

from scrapy.exceptions import UsageError

from crawler.errors import ConfigError

EXIT_BAD_INPUT = 2  # as Scrapy's own usage errors


class OneLineErrors:
    """Put before ScrapyCommand in the bases; subclasses implement `execute` instead of `run`."""

    exitcode: int

    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        for flag, values in (("-s", opts.set), ("-a", getattr(opts, "spargs", []))):
            for value in values:
                if "=" not in value or value.startswith("="):
                    self.fail(f"{flag} {value!r}: expected NAME=VALUE")
        try:
            super().process_options(args, opts)  # type: ignore[misc]
        except (UsageError, ConfigError) as error:
            self.fail(error)

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        try:
            self.execute(args, opts)
        except (UsageError, ConfigError) as error:
            self.fail(error)

    def execute(self, args: list[str], opts: argparse.Namespace) -> None:
        raise NotImplementedError

    def fail(self, error: Any) -> NoReturn:
        name = type(self).__module__.rsplit(".", 1)[-1]
        message = " ".join(str(error).split()) or "bad usage; see --help"
        print(f"scrapy {name}: {message}", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)
