"""`scrapy report`: write the corpus report, `OUTPUT_DIR/report/index.html`.

One static page per output directory: per site, articles per day, fill rates against the
drift floor, run outcomes, errors, bytes, speed and top authors, newest run first. Honours
`-s OUTPUT_DIR=...`; `newscrawl-nightly` refreshes the page after each run.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scrapy.commands import ScrapyCommand

from crawler.checks import check_declared_types, existing_directory, writable_directory
from crawler.commands.oneline import OneLineErrors
from crawler.errors import ConfigError


class Command(OneLineErrors, ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_LEVEL": "WARNING"}

    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "Write the corpus report (OUTPUT_DIR/report/index.html) from Parquet and run reports"

    def execute(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise ConfigError(f"{' '.join(args)!r}: report takes options only (see --help)")
        assert self.settings is not None
        check_declared_types(self.settings)
        output_dir = Path(self.settings.get("OUTPUT_DIR", "output"))
        expected = "a crawl's output directory (with runs/ or parquet/)"
        existing_directory(output_dir, "OUTPUT_DIR", expected)
        if not (output_dir / "runs").is_dir() and not (output_dir / "parquet").is_dir():
            raise ConfigError(
                f"OUTPUT_DIR={str(output_dir)!r}: nothing to report; expected {expected}"
            )
        writable_directory(output_dir / "report", "OUTPUT_DIR")
        # Imported here: Scrapy imports every command module whatever the command, and the
        # report's libraries would cost each crawl's start-up.
        from crawler.report import DriftFloor, write_report

        path = write_report(output_dir, DriftFloor.from_settings(self.settings))
        print(f"report: {path.resolve().as_uri()}")
