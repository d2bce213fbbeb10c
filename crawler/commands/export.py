"""`scrapy export`: text store -> deduplicated Parquet corpus, incrementally.

Honours `-s OUTPUT_DIR=...`. By default exports every text-store part not exported yet, and
first completes any export a crash interrupted.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from scrapy.commands import ScrapyCommand

from crawler.checks import (
    check_declared_types,
    existing_directory,
    float_setting,
    writable_directory,
)
from crawler.commands.oneline import OneLineErrors
from crawler.errors import ConfigError
from crawler.export import ExportConfig, export_corpus
from crawler.progress import Progress
from crawler.run import new_run_id


class Command(OneLineErrors, ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_LEVEL": "INFO"}

    def syntax(self) -> str:
        return "[options]"

    def short_desc(self) -> str:
        return "Export the clean-text store as deduplicated, hive-partitioned Parquet"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--run-id", default="", help="id of this export (default: new)")
        parser.add_argument(
            "--text-run",
            action="append",
            default=None,
            metavar="ID",
            help="export only this text-store run (repeatable)",
        )

    def execute(self, args: list[str], opts: argparse.Namespace) -> None:
        if args:
            raise ConfigError(f"{' '.join(args)!r}: export takes options only (see --help)")
        assert self.settings is not None
        check_declared_types(self.settings)
        output_dir = Path(self.settings.get("OUTPUT_DIR", "output"))
        expected = "a crawl's output directory (with text/)"
        text_dir = existing_directory(output_dir, "OUTPUT_DIR", expected) / "text"
        writable_directory(output_dir)
        for text_run in opts.text_run or []:
            if not (text_dir / text_run).is_dir():
                raise ConfigError(f"--text-run={text_run!r}: expected a run under {text_dir}")
        run_id = opts.run_id or f"export-{new_run_id()}"
        interval = float_setting(self.settings, "PROGRESS_LOG_INTERVAL", 60.0, minimum=0)
        with Progress("export", "articles", interval=interval) as progress:
            result = export_corpus(
                output_dir,
                run_id,
                config=ExportConfig.from_settings(self.settings),
                text_run_ids=opts.text_run,
                progress=progress,
            )
        for recovered in result.recovered:
            print(f"completed interrupted export {recovered}")
        duplicates = ", ".join(f"{kind} {n}" for kind, n in sorted(result.duplicates.items()))
        print(
            f"export {run_id}: {result.text_parts} text parts -> {result.rows} rows"
            f" ({result.versions} new versions) in {len(result.files)} files, {result.bytes} bytes;"
            f" duplicates dropped: {duplicates or 'none'}"
        )
