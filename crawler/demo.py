"""`make demo`: serve a replica of every shipped site, crawl them all at once, show the result.

Each replica gets its own loopback address (127.0.0.1, 127.0.0.2, ...), so each site is its
own host with its own politeness slot, as on the real web. The crawl is the real
`scrapy crawl news -a sites=all`, with politeness turned down because the targets are our own
loopback servers. It prints, per site, what the crawl found against the replica's ground
truth, the fill rates and the drift alarm, then the WARC files, text store and Parquet corpus
(read back with DuckDB), and writes the corpus report page.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import Any

#: Loopback only: no delay, no AutoThrottle, more parallel requests.
LOOPBACK_SETTINGS = {
    "DOWNLOAD_DELAY": "0",
    "AUTOTHROTTLE_ENABLED": "False",
    "CONCURRENT_REQUESTS": "16",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
    "LOG_LEVEL": "INFO",
}


def crawl_command(
    bases: dict[str, str], output_dir: Path, *, since: str, extra: dict[str, str] | None = None
) -> list[str]:
    """`scrapy crawl news` over the named sites, each moved onto its replica's base URL."""
    command = [sys.executable, "-m", "scrapy", "crawl", "news"]
    command += ["-a", "sites=" + ",".join(bases)]
    command += ["-a", "base_url=" + ",".join(f"{name}={url}" for name, url in bases.items())]
    command += ["-a", f"since={since}"]
    for name, value in {
        **LOOPBACK_SETTINGS,
        "OUTPUT_DIR": str(output_dir),
        **(extra or {}),
    }.items():
        command += ["-s", f"{name}={value}"]
    return command


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=150, help="articles per replica")
    parser.add_argument("--output", type=Path, default=Path("output/demo"))
    parser.add_argument("--since", default="2011-01-01", help="window start (all by default)")
    args = parser.parse_args(argv)
    from crawler.replica import ReplicaServer
    from crawler.replica.__main__ import build_site
    from crawler.replica.site import DEFAULT_NOW
    from crawler.sites import shipped_profiles

    output_dir = args.output.resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    log_path = output_dir / "crawl.log"
    expected: dict[str, int] = {}
    with ExitStack() as servers:
        bases = {}
        for number, name in enumerate(shipped_profiles(), start=1):
            site = build_site(name, args.articles, None, DEFAULT_NOW)
            server = servers.enter_context(ReplicaServer(site, host=f"127.0.0.{number}"))
            bases[name] = server.base_url
            expected[name] = len(site.ground_truth())
            print(f"replica of {name} with {expected[name]} articles at {server.base_url}")
        command = crawl_command(
            bases, output_dir, since=args.since, extra={"CRAWL_NOW": DEFAULT_NOW.isoformat()}
        )
        print(f"crawling them: scrapy crawl news -a sites={','.join(bases)} ...")
        with log_path.open("w") as log:
            finished = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, check=False)
    if finished.returncode != 0:
        print(f"crawl failed with exit code {finished.returncode}; see {log_path}")
        return finished.returncode
    print(summarise(output_dir, expected))
    from crawler.report import DriftFloor, write_report

    report = write_report(output_dir, DriftFloor())
    print(f"corpus report (open in a browser): {report.as_uri()}")
    return 0


def _size(paths: list[Path]) -> str:
    return f"{sum(path.stat().st_size for path in paths) / 1e6:.1f} MB"


def _site_lines(name: str, part: dict[str, Any], expected: int, rows: int) -> list[str]:
    stats = part["stats"]
    no_body = sum(value for key, value in stats.items() if key.startswith("extract/no_body"))
    duplicates = sum(v for k, v in stats.items() if k.startswith("export/duplicates/"))
    lines = [
        f"[{name}] pages fetched {stats.get('response_count', 0)}, articles extracted"
        f" {stats.get('extract/articles', 0)} of {expected} in the replica, pages without a"
        f" body {no_body}; Parquet rows {rows}, duplicates dropped {duplicates};"
        f" WARC {stats.get('warc/bytes_written', 0) / 1e6:.1f} MB;"
        f" drift alarm {'ON' if part['drift_alarm'] else 'off'}"
    ]
    for template, rates in sorted(part["fill_rates"].items()):
        fields = ", ".join(f"{k} {v:.0%}" for k, v in rates.items() if k != "pages")
        lines.append(f"[{name}] fill rates [{template}, {rates['pages']} pages]: {fields}")
    lines += [f"[{name}] drift: {alarm}" for alarm in part["drift_alarms"]]
    return lines


def summarise(output_dir: Path, expected: dict[str, int]) -> str:
    import duckdb

    reports = sorted((output_dir / "runs").glob("*.json"), key=lambda path: path.stat().st_mtime)
    report = json.loads(reports[-1].read_text())
    stats = report["stats"]
    warcs = sorted((output_dir / "warc").glob("*.warc.gz"))
    texts = sorted((output_dir / "text" / report["run_id"]).glob("*.jsonl.gz"))
    parquet = sorted((output_dir / "parquet").rglob("*.parquet"))
    corpus = f"read_parquet('{output_dir}/parquet/**/*.parquet', hive_partitioning=true)"
    with duckdb.connect() as db:
        rows = dict(db.execute(f"SELECT site, count(*) FROM {corpus} GROUP BY 1").fetchall())
        newest = db.execute(
            f"SELECT site, article_id, title, published_at, authors, word_count, extractor"
            f" FROM {corpus} QUALIFY row_number() OVER"
            f" (PARTITION BY site ORDER BY published_at DESC) = 1 ORDER BY site"
        ).fetchall()
    lines = [f"run {report['run_id']}: {report['finish_reason']}"]
    for name, part in sorted(report["sites"].items()):
        lines += _site_lines(name, part, expected.get(name, 0), rows.get(name, 0))
    lines += [
        f"WARC: {len(warcs)} files (one set per site), {_size(warcs)}"
        f" ({stats.get('warc/records_written', 0)} records) in {output_dir / 'warc'}",
        f"text store: {stats.get('textstore/records', 0)} records in {len(texts)} parts,"
        f" {_size(texts)} in {output_dir / 'text' / report['run_id']}",
        f"parquet: {sum(rows.values())} rows in {len(parquet)} files, {_size(parquet)},"
        " partitioned by site and crawl date",
        "newest article per site:",
    ]
    for site, article_id, title, published, authors, words, extractor in newest:
        lines.append(
            f"  {site} {article_id} | {published:%Y-%m-%d %H:%M}Z | {title}"
            f" | {', '.join(authors) or '-'} | {words} words | {extractor}"
        )
    lines.append(f"run report: {reports[-1]}   log: {output_dir / 'crawl.log'}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
