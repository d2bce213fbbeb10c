"""`make bench` (second part): one crawl process against one and two workers on a shared
crawl in Redis, on the replica over loopback, politeness off.

Scenarios, each a `newscrawl-nightly` run (crawl, export and report; medians of `--repeat`):
`single` (one process, SQLite state), `workers_1` and `workers_2` (`--workers N
--redis-url`, a redis-server this benchmark starts). Pages are padded to `--pad-kb` (120 KB,
the weight of real news pages) with boilerplate that leaves what the parsers find unchanged.
CPU is the nightly's whole process tree (coordinator, workers, their extraction pools) plus
the redis-server's own CPU during the run; it is also split by role: the crawl processes
(Scrapy's reactor thread), the extraction pools, the coordinator (start-up, export, report)
and Redis. Results go to `bench/results/workers-<date>-<rev>.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

from bench.pipeline import (
    PY,
    ROOT,
    Measure,
    Replica,
    TreeSampler,
    cpu_ms_by_role,
    median,
    save_results,
    settings_args,
)
from crawler.demo import LOOPBACK_SETTINGS
from crawler.shared import connect
from crawler.shared.server import LocalRedis


def role(command: list[str], is_root: bool) -> str:
    """Which part of the run a process is: a crawl's reactor, the coordinator, or extraction."""
    text = " ".join(command)
    if "scrapy" in text and " crawl " in text:
        return "crawl"
    if "crawler.nightly" in text:
        return "coordinator"
    return "extraction"


def timed(command: list[str]) -> Measure:
    """Wall time and CPU of the command's process tree, and that CPU by role."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    sampler = TreeSampler(process.pid, role)
    _, stderr = process.communicate()
    seconds = time.perf_counter() - start
    sampler.stop()
    if process.returncode != 0:
        raise RuntimeError(f"{command} failed: {stderr.decode()[-2000:]}")
    return Measure(seconds, sampler.cpu_seconds, 0.0, sampler.cpu_by_role())


def nightly(base_url: str, output: Path, workers: int, redis_url: str | None) -> list[str]:
    command = [PY, "-m", "crawler.nightly", "koreaherald", "--output-dir", str(output)]
    command += ["--min-free-mb", "1", "-a", f"base_url={base_url}", "-a", "since=2011-01-01"]
    if redis_url:
        command += ["--workers", str(workers), "--redis-url", redis_url]
    return command + settings_args({**LOOPBACK_SETTINGS, "LOG_LEVEL": "WARNING"})


def run(articles: int, repeat: int, pad_kb: int) -> dict[str, Any]:
    scenarios: dict[str, Any] = {}
    with Replica(articles, pad_kb) as replica, LocalRedis() as redis:
        server = psutil.Process(redis.pid)
        client = connect(redis.url)
        for name, workers, url in [
            ("single", 1, None),
            ("workers_1", 1, redis.url),
            ("workers_2", 2, redis.url),
        ]:
            runs: list[Measure] = []
            redis_cpu: list[float] = []
            for _ in range(repeat):
                client.flushall()
                output = Path(tempfile.mkdtemp(prefix="bench-workers-"))
                before = sum(server.cpu_times()[:2])
                measured = timed(nightly(replica.base_url, output, workers, url))
                redis_cpu.append(sum(server.cpu_times()[:2]) - before)
                measured.cpu_seconds += redis_cpu[-1]
                runs.append(measured)
                report = json.loads(
                    max(
                        (output / "runs").glob("*.json"), key=lambda p: p.stat().st_mtime
                    ).read_text()
                )
                extracted = report["stats"].get("extract/articles", 0)
                shutil.rmtree(output)
            middle = median(runs)
            scenarios[name] = {
                "scenario": name,
                "workers": workers if url else 0,
                "articles": extracted,
                "articles_per_s": round(extracted / middle.seconds, 1),
                "cpu_ms_per_article": round(1000 * middle.cpu_seconds / extracted, 2),
                "redis_cpu_ms_per_article": round(
                    1000 * sorted(redis_cpu)[len(redis_cpu) // 2] / extracted, 3
                ),
                "cpu_ms_per_article_by_role": cpu_ms_by_role(runs, extracted),
                "runs": [vars(run) for run in runs],
            }
    return {
        "replica_articles": articles,
        "repeat": repeat,
        "page_kb": pad_kb or "as built (about 10)",
        "scenarios": scenarios,
    }


def table(results: dict[str, Any]) -> str:
    lines = [
        f"{'scenario':12} {'articles':>8} {'art/s':>8} {'CPU ms/art':>11} {'crawl':>7}"
        f" {'extract':>8} {'coord':>6} {'redis':>6}"
    ]
    for item in results["scenarios"].values():
        roles = item["cpu_ms_per_article_by_role"]
        lines.append(
            f"{item['scenario']:12} {item['articles']:>8} {item['articles_per_s']:>8}"
            f" {item['cpu_ms_per_article']:>11} {roles['crawl']:>7} {roles['extraction']:>8}"
            f" {roles['coordinator']:>6} {item['redis_cpu_ms_per_article']:>6}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--pad-kb", type=int, default=120, help="HTML page weight; real news pages weigh 100-250"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    results = run(args.articles, args.repeat, args.pad_kb)
    path = save_results(results, args.out, "workers")
    print(table(results))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
