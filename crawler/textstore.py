"""The clean-text store: append-only, gzip-compressed JSON Lines parts per run.

Layout: `OUTPUT_DIR/text/<run_id>/part-<NNNNN>.jsonl.gz`. A part is written under a
temporary name and renamed when complete, so a reader (the Parquet exporter) never sees half
a part and a kill -9 loses at most the records of the part being written.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson
from zlib_ng import gzip_ng

from crawler.errors import ConfigError
from crawler.items import Article

PART_GLOB = "part-*.jsonl.gz"


class TextStoreWriter:
    """Buffers records and writes them as atomic parts of `records_per_part` records."""

    def __init__(self, root: Path, run_id: str, records_per_part: int = 1000) -> None:
        if records_per_part < 1:
            raise ConfigError(f"TEXTSTORE_RECORDS_PER_PART={records_per_part}: expected at least 1")
        self.directory = root / "text" / run_id
        self.records_per_part = records_per_part
        self._buffer: list[bytes] = []
        self._records: list[Any] = []
        #: Called with a part's articles once the part is complete on disk.
        self.on_part_written: Callable[[list[Any]], None] | None = None
        self.parts_written: list[Path] = []
        self.records_written = 0
        self.bytes_written = 0

    def _next_serial(self) -> int:
        existing = sorted(self.directory.glob(PART_GLOB))
        return int(existing[-1].name[5:10]) + 1 if existing else 0

    def write(self, article: Article | dict[str, Any]) -> None:
        """Buffer one article (or a record already in text-store form, as older parts hold)."""
        # orjson writes dataclasses, UTF-8 and ISO 8601 datetimes natively, at a tenth of the
        # reactor time json.dumps took.
        self._buffer.append(orjson.dumps(article))
        self._records.append(article)
        if len(self._buffer) >= self.records_per_part:
            self.flush()

    def flush(self) -> Path | None:
        """Write buffered records as one complete part; returns its path."""
        if not self._buffer:
            return None
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"part-{self._next_serial():05d}.jsonl.gz"
        temporary = path.with_name(f".{path.name}.tmp")
        payload = b"\n".join(self._buffer) + b"\n"
        with (
            temporary.open("wb") as raw,
            gzip_ng.GzipFile(fileobj=raw, mode="wb", compresslevel=6, mtime=0) as out,
        ):
            out.write(payload)
        with temporary.open("rb") as handle:
            os.fsync(handle.fileno())
        temporary.replace(path)
        self.parts_written.append(path)
        self.records_written += len(self._buffer)
        self.bytes_written += path.stat().st_size
        if self.on_part_written is not None:
            self.on_part_written(self._records)
        self._buffer.clear()
        self._records = []
        return path


def part_paths(root: Path, run_ids: Iterable[str] | None = None) -> list[Path]:
    """Complete parts under `root/text`, oldest run first; temporary files are ignored."""
    text_root = root / "text"
    if not text_root.is_dir():
        return []
    runs = sorted(p for p in text_root.iterdir() if p.is_dir())
    if run_ids is not None:
        wanted = set(run_ids)
        runs = [run for run in runs if run.name in wanted]
    return [part for run in runs for part in sorted(run.glob(PART_GLOB))]


def read_parts(paths: Iterable[Path]) -> Iterator[dict[str, Any]]:
    for path in paths:
        with gzip_ng.open(path, "rb") as lines:
            for line in lines:
                if line.strip():
                    yield orjson.loads(line)
