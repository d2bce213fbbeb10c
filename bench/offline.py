"""The offline path on the extraction benchmark: `scrapy rebuild` + `scrapy export`, end to end.

The benchmark's pages are packed into one WARC (a response record per page, under the ground
truth's URL), the two commands run on it as they run anywhere (subprocesses, a temporary
OUTPUT_DIR), and the Parquet is read back with DuckDB. A page whose URL has no row of its own
never reached the corpus, and is scored as an empty prediction.
"""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

REPO_ROOT = Path(__file__).resolve().parent.parent
#: Every record gets this capture time, so the same pages always give the same WARC.
WARC_DATE = "2026-01-01T00:00:00Z"


@dataclass
class OfflineRun:
    """What reached the corpus, per ground-truth id, and what the two commands dropped."""

    texts: dict[str, str | None]  # id -> text of its row; None if the page has no row
    skipped: dict[str, int]  # rebuild's skip reasons and counts
    duplicates: dict[str, int]  # export's dropped duplicates by kind
    folded: dict[str, str] = field(default_factory=dict)  # id -> URL of the row that absorbed it
    seconds: float = 0.0  # wall clock of both commands, start-up included

    @property
    def in_corpus(self) -> int:
        return sum(text is not None for text in self.texts.values())


def pack_warc(pages: Iterable[tuple[str, bytes]], path: Path) -> None:
    """One gzipped WARC of `(url, html)` pages: 200 responses with an HTML content type."""
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for url, html in pages:
            http = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            record = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(html),
                http_headers=http,
                warc_headers_dict={"WARC-Date": WARC_DATE},
            )
            writer.write_record(record)


def scrapy(command: str, *args: str, output_dir: Path, workers: int) -> str:
    """Run `scrapy COMMAND ARGS` in the project, as a user would; its standard output."""
    settings = ["-s", f"OUTPUT_DIR={output_dir}", "-s", f"EXTRACT_WORKERS={workers}"]
    finished = subprocess.run(
        [sys.executable, "-m", "scrapy", command, *args, *settings],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if finished.returncode != 0:
        raise RuntimeError(
            f"scrapy {command} exited {finished.returncode}: {finished.stderr[-2000:]}"
        )
    return finished.stdout


def summary_counts(stdout: str, label: str) -> dict[str, int]:
    """`{reason: n}` from the `LABEL: reason n, reason n` part of a command's summary line."""
    for line in stdout.splitlines():
        if f"{label}: " in line:
            listed = line.rsplit(f"{label}: ", 1)[1].strip()
            if listed == "none":
                return {}
            pairs = (item.rsplit(" ", 1) for item in listed.split(", "))
            return {reason: int(count) for reason, count in pairs}
    raise ValueError(f"no {label!r} in the command's output: {stdout[-500:]!r}")


def read_corpus(output_dir: Path) -> list[tuple[str, str, list[str]]]:
    """(url, text, duplicate_urls) of every Parquet row, read with DuckDB."""
    import duckdb

    rows = duckdb.sql(
        "SELECT url, text, duplicate_urls FROM read_parquet(?)",
        params=[str(output_dir / "parquet" / "**" / "*.parquet")],
    ).fetchall()
    return [(url, text, list(duplicates or [])) for url, text, duplicates in rows]


def run_offline(dataset: Path, urls: dict[str, str], workers: int) -> OfflineRun:
    """Pack the pages of `urls` (id -> URL), rebuild and export them, read the rows back."""
    with tempfile.TemporaryDirectory(prefix="bench-offline-") as temporary:
        root = Path(temporary)
        warc = root / "benchmark.warc.gz"
        pack_warc(
            (
                (urls[key], gzip.decompress((dataset / "html" / f"{key}.html.gz").read_bytes()))
                for key in sorted(urls)
            ),
            warc,
        )
        output_dir = root / "output"
        start = time.perf_counter()
        rebuilt = scrapy(
            "rebuild", str(warc), "--run-id", "bench", output_dir=output_dir, workers=workers
        )
        exported = scrapy(
            "export", "--run-id", "bench-export", output_dir=output_dir, workers=workers
        )
        seconds = time.perf_counter() - start
        rows = read_corpus(output_dir)
    ids = {url: key for key, url in urls.items()}
    texts: dict[str, str | None] = dict.fromkeys(urls)
    folded: dict[str, str] = {}
    for url, text, duplicate_urls in rows:
        if url in ids:
            texts[ids[url]] = text
        folded |= {ids[copy]: url for copy in duplicate_urls if copy in ids}
    return OfflineRun(
        texts=texts,
        skipped=summary_counts(rebuilt, "skipped"),
        duplicates=summary_counts(exported, "duplicates dropped"),
        folded=folded,
        seconds=seconds,
    )
