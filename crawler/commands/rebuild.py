"""`scrapy rebuild PATH...`: re-extract the text store from WARC files, offline.

PATH may be a WARC file or a directory of them. Honours `-s OUTPUT_DIR=...`; the rebuilt
store goes to `OUTPUT_DIR/text/<run_id>/`, ready for `scrapy export`.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from scrapy.commands import ScrapyCommand
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from crawler.checks import check_declared_types, float_setting, int_setting, writable_directory
from crawler.commands.oneline import OneLineErrors
from crawler.errors import ConfigError
from crawler.pool import PoolConfig
from crawler.progress import Progress
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
            paths.append(_readable_warc(path))
        else:
            raise ConfigError(f"{argument!r}: no such file or directory; expected WARC files")
    if not paths:
        found = ", ".join(repr(argument) for argument in arguments)
        raise ConfigError(f"{found}: no WARC files there (expected *.warc, *.warc.gz, *.arc...)")
    return paths


def _readable_warc(path: Path) -> Path:
    """A file named on the command line must start with a WARC or ARC record."""
    try:
        with path.open("rb") as stream:
            first = next(iter(ArchiveIterator(stream)), None)
    except (ArchiveLoadFailed, OSError, EOFError, ValueError) as error:
        reason = " ".join(str(error).split())[:120]
        raise ConfigError(f"{str(path)!r}: expected a WARC or ARC file ({reason})") from None
    # warcio reads any text line as an ARC header; a real ARC file opens with its filedesc.
    if first is None or (
        first.format == "arc"
        and not (first.rec_headers.get_header("uri") or "").startswith("filedesc://")
    ):
        raise ConfigError(f"{str(path)!r}: expected a WARC or ARC file (no record header)")
    return path


class Command(OneLineErrors, ScrapyCommand):
    requires_project = True
    default_settings = {"LOG_LEVEL": "INFO"}

    def syntax(self) -> str:
        return "[options] PATH..."

    def short_desc(self) -> str:
        return "Re-extract clean text and metadata from WARC files, without the network"

    def add_options(self, parser: argparse.ArgumentParser) -> None:
        super().add_options(parser)
        parser.add_argument("--run-id", default="", help="id of the rebuilt text-store run")

    def execute(self, args: list[str], opts: argparse.Namespace) -> None:
        if not args:
            raise ConfigError("no PATH given: expected at least one WARC file or directory")
        assert self.settings is not None
        check_declared_types(self.settings)
        paths = warc_paths(args)
        run_id = opts.run_id or f"rebuild-{new_run_id()}"
        output_dir = writable_directory(Path(self.settings.get("OUTPUT_DIR", "output")))
        per_part = int_setting(self.settings, "TEXTSTORE_RECORDS_PER_PART", 200, minimum=1)
        writer = TextStoreWriter(output_dir, run_id, per_part)
        pool = PoolConfig.from_settings(self.settings)
        interval = float_setting(self.settings, "PROGRESS_LOG_INTERVAL", 60.0, minimum=0)
        # Imported here: Scrapy imports every command module whatever the command.
        from crawler.rebuild import rebuild

        with Progress("rebuild", "B", interval=interval, unit_scale=True) as progress:
            result = rebuild(
                paths,
                writer,
                run_id,
                workers=pool.workers,
                max_in_flight=pool.max_in_flight,
                progress=progress,
            )
        skipped = ", ".join(f"{reason} {count}" for reason, count in result.skipped.most_common())
        print(
            f"rebuild {run_id}: {len(paths)} WARC files, {result.pages} HTML pages,"
            f" {result.articles} articles -> {writer.directory}; skipped: {skipped or 'none'}"
        )
