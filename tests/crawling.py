"""Run the real `scrapy crawl` in a subprocess against a loopback server, for tests."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from crawler.demo import LOOPBACK_SETTINGS
from crawler.sites import find_profile

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED = REPO_ROOT.parent / "shared"


def koreaherald_id(path: str) -> str | None:
    """The Korea Herald article id of a request path the replica logged, or None."""
    return find_profile("koreaherald").article_id(f"https://www.koreaherald.com{path}")


@dataclass
class CrawlResult:
    returncode: int
    log: str
    items: list[dict[str, Any]]
    report: dict[str, Any]
    output_dir: Path

    @property
    def stats(self) -> dict[str, Any]:
        return self.report.get("stats", {})


def run_crawl(
    base_url: str,
    output_dir: Path,
    *args: str,
    settings: dict[str, str] | None = None,
    now: datetime | None = None,
    timeout: float = 300,
) -> CrawlResult:
    """`scrapy crawl koreaherald -a base_url=... ARGS`, items to a JSON-lines feed.

    `now` pins the crawl's clock (the replica's), for windows and re-check ages.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    items_path = output_dir / "items.jsonl"
    feeds = json.dumps({str(items_path): {"format": "jsonlines", "overwrite": True}})
    command = [sys.executable, "-m", "scrapy", "crawl", "koreaherald", "-a", f"base_url={base_url}"]
    for arg in args:
        command += ["-a", arg]
    clock = {"CRAWL_NOW": now.isoformat()} if now else {}
    merged = {
        **clock,
        **LOOPBACK_SETTINGS,
        "OUTPUT_DIR": str(output_dir),
        "FEEDS": feeds,
        **(settings or {}),
    }
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    finished = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )
    items = []
    if items_path.exists():
        items = [json.loads(line) for line in items_path.read_text().splitlines() if line]
    reports = sorted((output_dir / "runs").glob("*.json"), key=lambda path: path.stat().st_mtime)
    report = json.loads(reports[-1].read_text()) if reports else {}
    return CrawlResult(finished.returncode, finished.stderr, items, report, output_dir)
