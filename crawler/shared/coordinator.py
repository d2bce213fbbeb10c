"""`newscrawl-nightly --workers N [--redis-url URL]`: one run as N worker processes on one
shared crawl, then one export, then one report in the nightly's own format.

The coordinator names the crawl after the run (`SHARED_CRAWL_ID = run id`), starts the
workers (`RUN_ID = <run id>-w<N>`, so each writes its own text parts and report; WARC names
carry host and pid), waits for them, exports every text part once, and merges the workers'
reports (counters summed, fill rates and drift recomputed from the sums) into
`runs/<run id>.json`. Without `--redis-url` it starts a private redis-server whose data live
in `OUTPUT_DIR/state/redis/`, so the crawl state outlives the run. With one, the run's lock
is a Redis key (`<prefix>:nightly:lock`, renewed while the run lasts), so coordinators on
several machines never overlap; workers on other machines join with the same `REDIS_URL`
and `SHARED_CRAWL_ID` (the README shows how).
"""

from __future__ import annotations

import json
import secrets
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from crawler.export import ExportConfig, ExportResult, export_corpus
from crawler.extensions.report import DriftConfig, site_sections
from crawler.files import write_json_atomic
from crawler.shared import SharedConfig, connect
from crawler.shared.server import LocalRedis

LOCK_SECONDS = 60  # the lock expires this long after a coordinator stops renewing it


def worker_run_id(run_id: str, number: int) -> str:
    return f"{run_id}-w{number}"


def worker_settings(
    run_id: str, crawl_id: str, number: int, redis_url: str, log_dir: Path
) -> dict[str, str]:
    worker = worker_run_id(run_id, number)
    return {
        "REDIS_URL": redis_url,
        "SHARED_CRAWL_ID": crawl_id,
        "SHARED_WORKER_ID": f"w{number}",
        "RUN_ID": worker,
        "LOG_FILE": str(log_dir / f"{worker}.log"),
        "PARQUET_EXPORT_ENABLED": "False",
    }


@contextmanager
def shared_redis(redis_url: str | None, state_dir: Path) -> Iterator[str]:
    """The given Redis, or a private one keeping its data under `state_dir/redis`."""
    if redis_url:
        yield redis_url
        return
    with LocalRedis(data_dir=state_dir / "redis") as server:
        yield server.url


@contextmanager
def redis_lock(redis_url: str, key_prefix: str) -> Iterator[bool]:
    """The run's lock as a Redis key; yields False when another coordinator holds it."""
    server = connect(redis_url)
    key = f"{key_prefix}:nightly:lock"
    token = secrets.token_hex(8)
    if not server.set(key, token, nx=True, ex=LOCK_SECONDS):
        yield False
        return
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(LOCK_SECONDS / 3):
            if server.get(key) == token.encode():
                server.expire(key, LOCK_SECONDS)

    renewer = threading.Thread(target=renew, daemon=True)
    renewer.start()
    try:
        yield True
    finally:
        stop.set()
        renewer.join()
        if server.get(key) == token.encode():
            server.delete(key)


def run_workers(commands: list[list[str]]) -> tuple[int, str]:
    """Run the workers side by side; SIGINT/SIGTERM go to all of them. Returns the worst exit
    code and their stderr (the logs go to LOG_FILE), which holds a bad setting's one line."""
    with ExitStack() as stack:
        errors = [
            stack.enter_context(tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace"))
            for _ in commands
        ]
        processes = [
            subprocess.Popen(command, stderr=stderr)
            for command, stderr in zip(commands, errors, strict=True)
        ]

        def forward(signum: int, _frame: Any) -> None:
            for process in processes:
                if process.poll() is None:
                    process.send_signal(signum)

        previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            codes = [process.wait() for process in processes]
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        text = []
        for stderr in errors:
            stderr.seek(0)
            text.append(stderr.read())
    return next((code for code in codes if code != 0), 0), "".join(text)


def wait_for_workers(redis_url: str, key_prefix: str, crawl_id: str, timeout: float) -> bool:
    """Until every worker of the crawl, on any machine, has left it (its heartbeat key is
    deleted after its text parts and run report are written, or expires if it died); False on
    timeout."""
    server = connect(redis_url)
    pattern = f"{key_prefix}:crawl:{crawl_id}:alive:*"
    deadline = time.monotonic() + timeout
    while next(iter(server.scan_iter(pattern)), None) is not None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)
    return True


def forget_crawl(redis_url: str, key_prefix: str, crawl_id: str) -> None:
    """The run's frontier (queue, dupefilter, seed flag, scheduled ids) is done with."""
    server = connect(redis_url)
    pattern = f"{key_prefix}:crawl:{crawl_id}:*"
    for key in server.scan_iter(pattern, count=1000):
        server.delete(key)


def export_stats(result: ExportResult) -> dict[str, Any]:
    """The export's figures under the keys a single crawl's close-time export uses."""
    stats: dict[str, Any] = {
        "export/rows": result.rows,
        "export/versions": result.versions,
        "export/files": len(result.files),
        "export/bytes": result.bytes,
        "export/text_parts": result.text_parts,
        "export/recovered_runs": len(result.recovered),
    }
    for kind, count in result.duplicates.items():
        stats[f"export/duplicates/{kind}"] = count
    for site, counts in result.by_site.items():
        for key, value in counts.items():
            stats[f"site/{site}/export/{key}"] = value
    return stats


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def merge_reports(
    run_id: str,
    reports: list[dict[str, Any]],
    extra_stats: dict[str, Any],
    floors: dict[str, dict[str, float]],
    drift: DriftConfig,
) -> dict[str, Any]:
    """One report from the workers': counters summed, per-site parts recomputed from them.
    A worker's null (Scrapy's rates of a run too short to have one) counts as nothing, in
    whichever order the reports come."""
    stats: dict[str, Any] = {}
    for report in reports:
        for key, value in report.get("stats", {}).items():
            current = stats.get(key)
            if _is_number(value):
                stats[key] = value + (current if _is_number(current) else 0)
            elif current is None:
                stats[key] = value
    stats.update(extra_stats)
    sites = site_sections(stats, floors, drift)
    alarms = [f"{site}: {alarm}" for site, part in sites.items() for alarm in part["drift_alarms"]]
    reasons = {report.get("finish_reason") for report in reports}
    return {
        "run_id": run_id,
        "spider": "news",
        "finish_reason": "finished" if reasons == {"finished"} else "interrupted",
        "workers": [report.get("run_id") for report in reports],
        "sites": sites,
        "drift_alarm": bool(alarms),
        "drift_alarms": alarms,
        "stats": dict(sorted(stats.items())),
    }


def run_shared(
    worker_commands: list[list[str]],
    run_id: str,
    output_dir: Path,
    settings: Any,
    floors: dict[str, dict[str, float]],
) -> tuple[int, str]:
    """Workers, then one export, then `runs/<run_id>.json`; returns the workers' worst code
    and their stderr."""
    returncode, errors = run_workers(worker_commands)
    shared = SharedConfig.from_settings(settings)
    # Workers on other machines may still be writing their last text parts and report.
    waited = 3 * shared.heartbeat
    if not wait_for_workers(shared.redis_url, shared.key_prefix, shared.crawl_id, waited):
        errors += f"newscrawl-nightly: {shared.crawl_id}: workers alive after {waited:g} s\n"
    runs = output_dir / "runs"
    # This coordinator's workers, and any that joined from other machines.
    joined = connect(shared.redis_url).hgetall(f"{shared.key_prefix}:crawl:{shared.crawl_id}:runs")
    names = {worker_run_id(run_id, n) for n in range(len(worker_commands))}
    names |= {name.decode() for name in joined.values()}
    missing = sorted(name for name in names if not (runs / f"{name}.json").exists())
    if missing:
        errors += f"newscrawl-nightly: no report from {', '.join(missing)}: not merged\n"
    reports = [
        json.loads((runs / f"{name}.json").read_text())
        for name in sorted(names)
        if name not in missing
    ]
    if not reports:
        return returncode or 1, errors
    result = export_corpus(output_dir, run_id, config=ExportConfig.from_settings(settings))
    drift = DriftConfig(
        min_fill_rate=settings.getfloat("DRIFT_MIN_FILL_RATE", 0.9),
        min_pages=settings.getint("DRIFT_MIN_PAGES", 10),
    )
    report = merge_reports(run_id, reports, export_stats(result), floors, drift)
    write_json_atomic(runs / f"{run_id}.json", report)
    if report["finish_reason"] != "finished":
        returncode = returncode or 1
    return returncode, errors
