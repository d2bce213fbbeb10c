"""Run the real `scrapy crawl` in a subprocess against a loopback server, for tests."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
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
    #: Largest RSS of the crawl's process tree seen while it ran (bytes), when measured.
    peak_rss: int = 0

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
    measure_rss: bool = False,
) -> CrawlResult:
    """`scrapy crawl koreaherald -a base_url=... ARGS`, items to a JSON-lines feed.

    `now` pins the crawl's clock (the replica's), for windows and re-check ages.
    `measure_rss` samples the RSS of the crawl and all its children (workers, Chromium).
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
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = [0]
    sampler = threading.Thread(target=_sample_rss, args=(process, peak), daemon=True)
    if measure_rss:
        sampler.start()
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    if measure_rss:
        sampler.join()
    items = []
    if items_path.exists():
        items = [json.loads(line) for line in items_path.read_text().splitlines() if line]
    reports = sorted((output_dir / "runs").glob("*.json"), key=lambda path: path.stat().st_mtime)
    report = json.loads(reports[-1].read_text()) if reports else {}
    return CrawlResult(process.returncode, stderr, items, report, output_dir, peak[0])


def _sample_rss(process: subprocess.Popen, peak: list[int]) -> None:
    """Every 0.2 s until `process` ends, the sum of its tree's RSS; the largest in `peak`."""
    import psutil

    try:
        root = psutil.Process(process.pid)
    except psutil.NoSuchProcess:
        return
    while process.poll() is None:
        total = 0
        try:
            tree = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for member in tree:
            try:
                total += member.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        peak[0] = max(peak[0], total)
        time.sleep(0.2)
