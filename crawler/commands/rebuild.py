"""`scrapy rebuild PATH...`: re-extract the text store from WARC files, offline.

PATH may be a WARC file or a directory of them. Honours `-s OUTPUT_DIR=...`; the rebuilt
store goes to `OUTPUT_DIR/text/<run_id>/`, ready for `scrapy export`.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from scrapy.commands import ScrapyCommand
from scrapy.exceptions import UsageError

from crawler.pool import PoolConfig
from crawler.rebuild import rebuild
from crawler.run import new_run_id
from crawler.textstore import TextStoreWriter

logger = logging.getLogger(__name__)

WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")


def warc_paths(arguments: list[str]) -> list[Path]:
    paths: list[Path] = []
    for argument in arguments:
        path = Path(argument)
        if path.is_dir():
            paths += sorted(p for p in path.rglob("*") if p.name.endswith(WARC_SUFFIXES))
        elif path.is_file():
            paths.append(path)
        else:
            raise UsageError(f"no such WARC file or directory: {argument}")
    if not paths:
        raise UsageError("no WARC files found in " + ", ".join(arguments))
    return paths


class Command(ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_LEVEL": "INFO"}

    def syntax(self) -> str:
        return "[options] PATH..."

    def short_desc(self) -> str:
        return "Re-extract clean text and metadata from WARC files, without the network"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--run-id", default="", help="id of the rebuilt text-store run")

    def run(self, args: list[str], opts: argparse.Namespace) -> None:
        if not args:
            raise UsageError("give at least one WARC file or directory")
        assert self.settings is not None
        paths = warc_paths(args)
        run_id = opts.run_id or f"rebuild-{new_run_id()}"
        output_dir = Path(self.settings.get("OUTPUT_DIR", "output"))
        writer = TextStoreWriter(
            output_dir, run_id, self.settings.getint("TEXTSTORE_RECORDS_PER_PART", 200)
        )
        pool = PoolConfig.from_settings(self.settings)
        result = rebuild(
            paths, writer, run_id, workers=pool.workers, max_in_flight=pool.max_in_flight
        )
        skipped = ", ".join(f"{reason} {count}" for reason, count in result.skipped.most_common())
        print(
            f"rebuild {run_id}: {len(paths)} WARC files, {result.pages} HTML pages,"
            f" {result.articles} articles -> {writer.directory}; skipped: {skipped or 'none'}"
        )
