"""The nightly runner end to end: incremental runs, lock, SIGTERM and SIGKILL (issue 6)."""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.nightly import ExitCode
from crawler.replica import ReplicaServer, ReplicaSite
from tests.crawling import REPO_ROOT, koreaherald_id

NIGHTLY = [sys.executable, "-m", "crawler.nightly", "koreaherald"]
FAST = [
    "-s",
    "DOWNLOAD_DELAY=0",
    "-s",
    "AUTOTHROTTLE_ENABLED=False",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=16",
]


def nightly_command(base_url: str, output: Path, now: datetime, *extra: str) -> list[str]:
    return [
        *NIGHTLY,
        "--output-dir",
        str(output),
        "-a",
        f"base_url={base_url}",
        "-s",
        f"CRAWL_NOW={now.isoformat()}",
        *FAST,
        *extra,
    ]


def run_nightly(base_url: str, output: Path, now: datetime, *extra: str):
    return subprocess.run(
        nightly_command(base_url, output, now, *extra),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def corpus_keys(output: Path) -> Counter:
    glob = output / "parquet" / "**" / "*.parquet"
    with duckdb.connect() as db:
        rows = db.execute(
            f"SELECT article_id, version, content_hash FROM read_parquet('{glob}')"
        ).fetchall()
    return Counter(rows)


def last_report(output: Path) -> dict:
    reports = sorted((output / "runs").glob("*.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(reports[-1].read_text())


def warc_records(output: Path) -> list[tuple[str, str | None, str]]:
    records = []
    for path in sorted((output / "warc").glob("*.warc.gz")):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                headers = record.rec_headers
                records.append(
                    (
                        record.rec_type,
                        headers.get_header("WARC-Profile"),
                        headers.get_header("WARC-Target-URI"),
                    )
                )
    return records


def test_second_run_fetches_new_and_rechecks_only(tmp_path: Path) -> None:
    site = ReplicaSite(n_articles=120, seed=5)
    output = tmp_path / "out"
    with ReplicaServer(site) as server:
        first = run_nightly(server.base_url, output, site.now)
        assert first.returncode == ExitCode.OK, first.stdout + first.stderr
        first_report = last_report(output)
        first_rows = corpus_keys(output)
        revisits_before = sum(1 for kind, *_ in warc_records(output) if kind == "revisit")
        assert (
            first_report["sites"]["koreaherald"]["summary"]["new_articles"] == len(first_rows) > 0
        )

        change = site.advance(days=1, new_articles=5)
        start = len(server.requests)
        second = run_nightly(server.base_url, output, site.now)
        assert second.returncode == ExitCode.OK, second.stdout + second.stderr
        requests = server.requests[start:]
    summary = last_report(output)["sites"]["koreaherald"]["summary"]
    article_fetches = [r for r in requests if koreaherald_id(r.path) and r.status in (200, 304)]
    conditional = {koreaherald_id(r.path) for r in article_fetches if "If-None-Match" in r.headers}
    fresh = {koreaherald_id(r.path) for r in article_fetches if "If-None-Match" not in r.headers}
    assert fresh == set(change["new_ids"])
    assert change["changed_id"] in conditional
    assert summary["new_articles"] == 5
    assert summary["updated_articles"] == 1
    assert summary["unchanged_rechecks"] == len(conditional) - 1 > 0
    records = warc_records(output)
    not_modified = [
        r for r in records if r[0] == "revisit" and r[1].endswith("server-not-modified")
    ]
    assert len(not_modified) - revisits_before == summary["unchanged_rechecks"]
    added = corpus_keys(output) - first_rows
    assert {key[0] for key in added if key[1] == 1} == set(change["new_ids"])
    assert [key[0] for key in added if key[1] > 1] == [change["changed_id"]]
    assert "5 new, 1 updated" in second.stdout


def test_recheck_of_a_server_ignoring_conditionals_is_an_identical_payload_revisit(
    tmp_path: Path,
) -> None:
    site = ReplicaSite(n_articles=60, seed=8)
    output = tmp_path / "out"
    with ReplicaServer(site) as server:
        first = run_nightly(server.base_url, output, site.now)
        assert first.returncode == ExitCode.OK, first.stdout + first.stderr
        rows_before = corpus_keys(output)
        server.honour_conditionals = False
        start = len(server.requests)
        second = run_nightly(server.base_url, output, site.now)
        assert second.returncode == ExitCode.OK, second.stdout + second.stderr
        requests = server.requests[start:]
    rechecks = [r for r in requests if koreaherald_id(r.path) and "If-None-Match" in r.headers]
    assert rechecks and {r.status for r in rechecks} == {200}, "the server ignored them"
    summary = last_report(output)["sites"]["koreaherald"]["summary"]
    assert summary["new_articles"] == summary["updated_articles"] == 0
    assert summary["unchanged_rechecks"] == len(rechecks)
    identical = [
        r
        for r in warc_records(output)
        if r[0] == "revisit" and r[1].endswith("identical-payload-digest")
    ]
    assert len(identical) == len(rechecks)
    assert corpus_keys(output) == rows_before


def test_second_start_exits_with_lock_held_and_touches_nothing(tmp_path: Path) -> None:
    output = tmp_path / "out"
    (output / "state").mkdir(parents=True)
    with (output / "state" / "nightly.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        before = sorted(str(p) for p in output.rglob("*"))
        result = run_nightly("http://127.0.0.1:9", output, datetime.now().astimezone())
        after = sorted(str(p) for p in output.rglob("*"))
    assert result.returncode == ExitCode.LOCKED
    assert "another run holds" in result.stderr
    assert after == before


def test_bad_configuration_exit_code(tmp_path: Path) -> None:
    result = run_nightly(
        "http://127.0.0.1:9",
        tmp_path / "out",
        datetime.now().astimezone(),
        "-a",
        "sections=Nowhere",
    )
    assert result.returncode == ExitCode.BAD_CONFIG
    bad_flag = subprocess.run(
        [*NIGHTLY, "-s", "NOEQUALS"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert bad_flag.returncode == ExitCode.BAD_CONFIG


def test_unreachable_site_exit_code(tmp_path: Path) -> None:
    result = run_nightly(
        "http://127.0.0.1:9", tmp_path / "out", datetime.now().astimezone(), "-s", "RETRY_TIMES=0"
    )
    assert result.returncode == ExitCode.UNREACHABLE, result.stdout + result.stderr
    assert last_report(tmp_path / "out")["status"] == "unreachable"


SINCE = "since=2026-01-01"
SLOW = [
    "-s",
    "CONCURRENT_REQUESTS=2",
    "-s",
    "CONCURRENT_REQUESTS_PER_DOMAIN=2",
    "-s",
    "DOWNLOAD_DELAY=0.02",
    "-s",
    "TEXTSTORE_RECORDS_PER_PART=10",
]


def _start(base_url: str, output: Path, now: datetime) -> subprocess.Popen:
    return subprocess.Popen(
        nightly_command(base_url, output, now, *SLOW),
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _wait_for(condition, seconds: float = 300, every: float = 0.01) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(every)
    return False


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> tuple[ReplicaSite, Counter]:
    """An uninterrupted run's corpus, to compare interrupted ones with."""
    site = ReplicaSite(n_articles=200, seed=9)
    output = tmp_path_factory.mktemp("reference")
    with ReplicaServer(site) as server:
        result = run_nightly(server.base_url, output, site.now, "-a", SINCE)
        assert result.returncode == ExitCode.OK, result.stdout + result.stderr
    keys = corpus_keys(output)
    assert sum(keys.values()) > 20
    return site, keys


def _text_parts(output: Path) -> int:
    return len(list((output / "text").rglob("part-*.jsonl.gz")))


KILL_POINTS = {
    "crawl": lambda out: (
        any((out / "warc").glob("*.open"))
        and next((out / "warc").glob("*.open")).stat().st_size > 30_000
    ),
    "extraction": lambda out: _text_parts(out) >= 1,
    "export": lambda out: (
        any((out / "parquet").rglob(".*.tmp"))
        or any((out / "parquet" / "_manifests").glob("*.json"))
    ),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_sigkill_then_rerun_equals_an_uninterrupted_run(
    reference, tmp_path: Path, point: str
) -> None:
    site, expected = reference
    with ReplicaServer(site) as server:
        for attempt in range(3):  # bounded: the export point is a short moment to hit
            output = tmp_path / f"attempt-{attempt}"
            process = _start(server.base_url, output, site.now)
            _wait_for(
                lambda out=output, run=process: KILL_POINTS[point](out) or run.poll() is not None
            )
            hit = process.poll() is None and KILL_POINTS[point](output)
            with contextlib.suppress(ProcessLookupError):  # the run may have just ended
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            if hit:
                break
        assert hit, f"never caught the run during {point}"
        rerun = run_nightly(server.base_url, output, site.now, "-a", SINCE)
        assert rerun.returncode == ExitCode.OK, rerun.stdout + rerun.stderr
    assert corpus_keys(output) == expected
    assert not list(output.rglob("*.open"))
    assert not list((output / "parquet").rglob(".*.tmp"))
    for part in (output / "text").rglob("part-*.jsonl.gz"):
        gzip.decompress(part.read_bytes())
    for path in (output / "warc").glob("*.warc.gz"):
        list(ArchiveIterator(io.BytesIO(path.read_bytes())))


def test_sigterm_exits_cleanly_with_a_report_and_the_next_run_resumes(
    reference, tmp_path: Path
) -> None:
    site, expected = reference
    output = tmp_path / "out"
    with ReplicaServer(site) as server:
        process = subprocess.Popen(
            nightly_command(server.base_url, output, site.now, "-a", SINCE, *SLOW),
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert _wait_for(lambda: _text_parts(output) >= 1 or process.poll() is not None)
        process.send_signal(signal.SIGTERM)
        stdout, _ = process.communicate(timeout=120)
        assert process.returncode in (ExitCode.OK, ExitCode.PARTIAL), stdout
        report = last_report(output)
        assert report["sites"]["koreaherald"]["summary"]["pages_fetched"] > 0
        interrupted = corpus_keys(output)
        start = len(server.requests)
        rerun = run_nightly(server.base_url, output, site.now, "-a", SINCE)
        assert rerun.returncode == ExitCode.OK, rerun.stdout + rerun.stderr
        refetched = Counter(
            koreaherald_id(r.path)
            for r in server.requests[start:]
            if koreaherald_id(r.path) and r.status == 200
        )
    assert corpus_keys(output) == expected
    stored_before = {key[0] for key in interrupted}
    assert not set(refetched) & {i for i in stored_before if not _recent(site, i)}


def _recent(site: ReplicaSite, ident: str) -> bool:
    published = site.get(ident).published
    return (site.now - published).total_seconds() <= 3 * 86400


def test_drift_alarm_exit_code(tmp_path: Path) -> None:
    site = ReplicaSite(n_articles=60, seed=3)
    with ReplicaServer(site) as server:
        result = run_nightly(
            server.base_url,
            tmp_path / "out",
            site.now,
            "-s",
            "DRIFT_MIN_FILL_RATE=1.01",
            "-s",
            "DRIFT_MIN_PAGES=1",
        )
    assert result.returncode == ExitCode.DRIFT, result.stdout + result.stderr
    assert last_report(tmp_path / "out")["drift_alarms"]


def test_out_of_disk_exit_code(tmp_path: Path) -> None:
    result = run_nightly(
        "http://127.0.0.1:9", tmp_path / "out", datetime.now().astimezone(), "--min-free-mb", "1e12"
    )
    assert result.returncode == ExitCode.DISK_FULL
    assert "free" in result.stderr


def test_safety_margin_comes_from_the_setting(tmp_path: Path) -> None:
    site = ReplicaSite(n_articles=60, seed=3)
    output = tmp_path / "out"
    with ReplicaServer(site) as server:
        first = run_nightly(server.base_url, output, site.now)
        assert first.returncode == ExitCode.OK, first.stdout + first.stderr
        second = run_nightly(
            server.base_url, output, site.now, "-s", "NIGHTLY_SAFETY_MARGIN_HOURS=30"
        )
        assert second.returncode == ExitCode.OK, second.stdout + second.stderr
    since = datetime.fromisoformat(last_report(output)["sites"]["koreaherald"]["window_since"])
    assert (site.now - since).total_seconds() == 30 * 3600
