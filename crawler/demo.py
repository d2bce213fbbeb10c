"""`make demo`: serve the bundled replica on 127.0.0.1, crawl it, and show what came out.

The crawl is the real `scrapy crawl koreaherald`, with politeness turned down because the
target is our own loopback server.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

#: Loopback only: no delay, no AutoThrottle, more parallel requests.
LOOPBACK_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "LOG_LEVEL": "INFO",
}


def crawl_command(
    base_url: str, output_dir: Path, *, since: str, extra: dict[str, str]
) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "koreaherald",
        "-a",
        f"base_url={base_url}",
        "-a",
        f"since={since}",
        "-s",
        f"OUTPUT_DIR={output_dir}",
    ]
    for name, value in {**LOOPBACK_SETTINGS, **extra}.items():
        command += ["-s", f"{name}={value}"]
    return command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=300, help="articles in the replica")
    parser.add_argument("--output", type=Path, default=Path("output/demo"))
    parser.add_argument("--since", default="2011-01-01", help="window start (all by default)")
    args = parser.parse_args(argv)
    from crawler.replica import ReplicaServer, ReplicaSite

    site = ReplicaSite(n_articles=args.articles)
    output_dir = args.output.resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    site.write_ground_truth(output_dir / "ground-truth.jsonl")
    items_path = output_dir / "items.jsonl"
    feeds = json.dumps({str(items_path): {"format": "jsonlines", "overwrite": True}})
    with ReplicaServer(site) as server:
        print(f"replica of koreaherald.com with {args.articles} articles at {server.base_url}")
        command = crawl_command(
            server.base_url, output_dir, since=args.since, extra={"FEEDS": feeds}
        )
        log_path = output_dir / "crawl.log"
        with log_path.open("w") as log:
            finished = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
    if finished.returncode != 0:
        print(f"crawl failed with exit code {finished.returncode}; see {log_path}")
        return finished.returncode
    print(summarise(output_dir, items_path, len(site.ground_truth())))
    return 0


def summarise(output_dir: Path, items_path: Path, expected: int) -> str:
    rows = [json.loads(line) for line in items_path.read_text().splitlines() if line.strip()]
    reports = sorted((output_dir / "runs").glob("*.json"), key=lambda path: path.stat().st_mtime)
    report = json.loads(reports[-1].read_text()) if reports else {}
    stats = report.get("stats", {})
    templates = Counter(row["template"] for row in rows)
    lines = [
        f"articles extracted: {len(rows)} (replica ground truth: {expected})",
        f"pages fetched: {stats.get('downloader/response_count', 0)}",
        "by template: " + ", ".join(f"{name} {count}" for name, count in templates.most_common()),
        f"items: {items_path}",
        f"run report: {reports[-1] if reports else 'none'}",
        f"drift alarm: {report.get('drift_alarm')}",
    ]
    for template, rates in sorted(report.get("fill_rates", {}).items()):
        fields = ", ".join(
            f"{name} {value:.0%}" for name, value in rates.items() if name != "pages"
        )
        lines.append(f"fill rates [{template}, {rates['pages']} pages]: {fields}")
    if rows:
        sample = rows[0]
        lines.append(
            f"sample: {sample['article_id']} | {sample['title']} | {sample['published_at']}"
            f" | {', '.join(sample['authors'])} | {sample['word_count']} words"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
