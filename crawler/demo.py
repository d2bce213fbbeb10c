"""`make demo`: serve the bundled replica on 127.0.0.1, crawl it, and show what came out.

The crawl is the real `scrapy crawl koreaherald`, with politeness turned down because the
target is our own loopback server. It prints the run's outputs: WARC files, the clean-text
store, the Parquet corpus (read back with DuckDB) and the run report.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
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
    base_url: str, output_dir: Path, *, since: str, extra: dict[str, str] | None = None
) -> list[str]:
    command = [sys.executable, "-m", "scrapy", "crawl", "koreaherald"]
    command += ["-a", f"base_url={base_url}", "-a", f"since={since}"]
    for name, value in {
        **LOOPBACK_SETTINGS,
        "OUTPUT_DIR": str(output_dir),
        **(extra or {}),
    }.items():
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
    log_path = output_dir / "crawl.log"
    with ReplicaServer(site) as server:
        print(f"replica of koreaherald.com with {args.articles} articles at {server.base_url}")
        print(f"crawling it: scrapy crawl koreaherald -a base_url={server.base_url} ...")
        with log_path.open("w") as log:
            finished = subprocess.run(
                crawl_command(server.base_url, output_dir, since=args.since),
                stdout=log,
                stderr=subprocess.STDOUT,
                check=False,
            )
    if finished.returncode != 0:
        print(f"crawl failed with exit code {finished.returncode}; see {log_path}")
        return finished.returncode
    print(summarise(output_dir, len(site.ground_truth())))
    return 0


def _size(paths: list[Path]) -> str:
    return f"{sum(path.stat().st_size for path in paths) / 1e6:.1f} MB"


def summarise(output_dir: Path, expected: int) -> str:
    import duckdb

    reports = sorted((output_dir / "runs").glob("*.json"), key=lambda path: path.stat().st_mtime)
    report = json.loads(reports[-1].read_text())
    stats = report["stats"]
    warcs = sorted((output_dir / "warc").glob("*.warc.gz"))
    texts = sorted((output_dir / "text" / report["run_id"]).glob("*.jsonl.gz"))
    parquet = sorted((output_dir / "parquet").rglob("*.parquet"))
    corpus = f"read_parquet('{output_dir}/parquet/**/*.parquet', hive_partitioning=true)"
    with duckdb.connect() as db:
        rows = db.execute(f"SELECT count(*) FROM {corpus}").fetchone()[0]
        by_section = db.execute(
            f"SELECT section, count(*) AS n FROM {corpus} GROUP BY 1 ORDER BY n DESC LIMIT 8"
        ).fetchall()
        sample = db.execute(
            f"SELECT article_id, title, published_at, authors, word_count, extractor "
            f"FROM {corpus} ORDER BY published_at DESC LIMIT 3"
        ).fetchall()
    no_body = sum(value for key, value in stats.items() if key.startswith("extract/no_body"))
    lines = [
        f"run {report['run_id']}: {report['finish_reason']}",
        f"pages fetched: {stats.get('downloader/response_count', 0)}, "
        f"articles extracted: {stats.get('extract/articles', 0)}, "
        f"pages without a body: {no_body}, listings rendered by Chromium:"
        f" {stats.get('discovery/listings_rendered', 0)}",
        f"WARC: {len(warcs)} files, {_size(warcs)} ({stats.get('warc/records_written', 0)} records)"
        f" in {output_dir / 'warc'}",
        f"text store: {stats.get('textstore/records', 0)} records in {len(texts)} parts,"
        f" {_size(texts)} in {output_dir / 'text' / report['run_id']}",
        f"parquet: {rows} rows in {len(parquet)} files, {_size(parquet)};"
        f" replica has {expected} articles, duplicates dropped:"
        f" {sum(v for k, v in stats.items() if k.startswith('export/duplicates/'))}",
        "rows per section: " + ", ".join(f"{name} {count}" for name, count in by_section),
        f"drift alarm: {'ON' if report['drift_alarm'] else 'off'}",
    ]
    for template, rates in sorted(report.get("fill_rates", {}).items()):
        fields = ", ".join(f"{k} {v:.0%}" for k, v in rates.items() if k != "pages")
        lines.append(f"fill rates [{template}, {rates['pages']} pages]: {fields}")
    lines.append("newest articles:")
    for article_id, title, published, authors, words, extractor in sample:
        lines.append(
            f"  {article_id} | {published:%Y-%m-%d %H:%M}Z | {title} | {', '.join(authors)}"
            f" | {words} words | {extractor}"
        )
    lines.append(f"run report: {reports[-1]}   log: {output_dir / 'crawl.log'}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
