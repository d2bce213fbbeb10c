"""Several workers on one shared crawl (Redis), against three replicas on three loopback hosts.

- 2 and 3 workers together produce the same (site, article_id, version, content_hash) set
  as one process, and no URL is fetched more often than one process fetches it.
- The combined request rate per host, from the replicas' access-log timestamps, never
  exceeds what one process is allowed.
- A worker killed mid-crawl: the others finish, the next run completes the set, nothing is
  lost or doubled.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb
import pytest
from scrapy.settings import Settings

from crawler.demo import LOOPBACK_SETTINGS
from crawler.replica import ReplicaServer
from crawler.replica.__main__ import build_site
from crawler.replica.server import RequestLog
from crawler.replica.site import DEFAULT_NOW
from crawler.shared import SharedConfig, connect
from crawler.shared.state import RedisCrawlState
from crawler.sites import find_profile
from crawler.textstore import part_paths, read_parts
from tests.crawling import REPO_ROOT

SITES = ("koreaherald", "koreatimes", "yonhap")
ARTICLES = 30


@pytest.fixture(scope="module")
def replicas() -> Iterator[dict[str, ReplicaServer]]:
    with ExitStack() as stack:
        yield {
            name: stack.enter_context(
                ReplicaServer(build_site(name, ARTICLES, None, DEFAULT_NOW), host=f"127.0.0.{n}")
            )
            for n, name in enumerate(SITES, start=1)
        }


def crawl_command(output: Path, replicas: dict[str, ReplicaServer], **settings: str) -> list[str]:
    command = [sys.executable, "-m", "scrapy", "crawl", "news", "-a", "sites=" + ",".join(SITES)]
    command += ["-a", "base_url=" + ",".join(f"{n}={s.base_url}" for n, s in replicas.items())]
    command += ["-a", "since=2011-01-01"]
    merged = {
        **LOOPBACK_SETTINGS,
        "CRAWL_NOW": DEFAULT_NOW.isoformat(),
        "OUTPUT_DIR": str(output),
        "EXTRACT_WORKERS": "0",
        "NEWS_RENDER_JS": "False",
        "TEXTSTORE_RECORDS_PER_PART": "5",
        "SHARED_HEARTBEAT": "2",
        **settings,
    }
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    return command


def nightly_command(
    output: Path, replicas: dict[str, ReplicaServer], flags: list[str], **settings: str
) -> list[str]:
    """`newscrawl-nightly` over every replica with `flags` (workers, Redis), politeness off."""
    command = [sys.executable, "-m", "crawler.nightly", *SITES, *flags]
    command += ["--output-dir", str(output), "--min-free-mb", "1"]
    command += ["-a", "base_url=" + ",".join(f"{n}={s.base_url}" for n, s in replicas.items())]
    command += ["-a", "since=2011-01-01"]
    for name, value in {
        **LOOPBACK_SETTINGS,
        "CRAWL_NOW": DEFAULT_NOW.isoformat(),
        "EXTRACT_WORKERS": "0",
        "NEWS_RENDER_JS": "False",
        "SHARED_HEARTBEAT": "2",
        **settings,
    }.items():
        command += ["-s", f"{name}={value}"]
    return command


def start_workers(
    count: int,
    output: Path,
    replicas: dict[str, ReplicaServer],
    redis_url: str,
    crawl_id: str,
    **settings: str,
) -> list[subprocess.Popen[bytes]]:
    output.mkdir(parents=True, exist_ok=True)
    workers = []
    for number in range(count):
        shared = {
            "REDIS_URL": redis_url,
            "SHARED_CRAWL_ID": crawl_id,
            "SHARED_WORKER_ID": f"w{number}",
            "RUN_ID": f"{crawl_id}-w{number}",
            "LOG_FILE": str(output / f"{crawl_id}-w{number}.log"),
        }
        command = crawl_command(output, replicas, **shared, **settings)
        workers.append(subprocess.Popen(command, cwd=REPO_ROOT))
    return workers


@contextmanager
def held(replicas: dict[str, ReplicaServer]) -> Iterator[None]:
    """No replica answers until the block is left: the test's start line, or its pause."""
    for server in replicas.values():
        server.released.clear()
    try:
        yield
    finally:
        for server in replicas.values():
            server.released.set()


def wait_until_joined(redis_url: str, crawl_id: str, count: int, timeout: float = 120) -> None:
    """Until `count` workers have opened their spider on the crawl (its `runs` hash)."""
    server = connect(redis_url)
    deadline = time.monotonic() + timeout
    while server.hlen(f"newscrawl:crawl:{crawl_id}:runs") < count:
        assert time.monotonic() < deadline, f"{count} workers did not join {crawl_id}"
        time.sleep(0.05)


def wait_until_recorded(redis_url: str, output: Path, run: str, timeout: float = 120) -> None:
    """Until the run's text parts are the same as half a second ago, and every article in
    them is recorded as stored in the crawl state."""
    config = SharedConfig.from_settings(Settings({"REDIS_URL": redis_url, "SHARED_CRAWL_ID": run}))
    state = RedisCrawlState.from_config(config)
    deadline = time.monotonic() + timeout
    seen = None
    while (parts := part_paths(output, [run])) != seen or not all(
        (known := state.lookup(record["site"], record["article_id"])) and known.stored
        for record in read_parts(parts)
    ):
        assert time.monotonic() < deadline, f"{run}'s parts were not recorded in {timeout:g} s"
        seen = parts
        time.sleep(0.5)


def export(output: Path) -> None:
    command = [sys.executable, "-m", "scrapy", "export", "-s", f"OUTPUT_DIR={output}"]
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr[-3000:]


def corpus(output: Path) -> list[tuple[str, str, int, str]]:
    glob = output / "parquet" / "**" / "*.parquet"
    with duckdb.connect() as db:
        return db.execute(
            "SELECT site, article_id, version, content_hash"
            f" FROM read_parquet('{glob}', hive_partitioning = true) ORDER BY ALL"
        ).fetchall()


def since(servers: dict[str, ReplicaServer], marks: dict[str, int]) -> dict[str, list[RequestLog]]:
    return {name: server.requests[marks[name] :] for name, server in servers.items()}


def marks(servers: dict[str, ReplicaServer]) -> dict[str, int]:
    return {name: len(server.requests) for name, server in servers.items()}


@pytest.fixture(scope="module")
def single_process(
    replicas: dict[str, ReplicaServer], tmp_path_factory: pytest.TempPathFactory
) -> tuple[list[tuple[str, str, int, str]], dict[str, Counter[str]]]:
    """One process, no Redis: the set every shared crawl must reproduce."""
    output = tmp_path_factory.mktemp("single")
    before = marks(replicas)
    done = subprocess.run(
        crawl_command(output, replicas),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    fetched = {
        name: Counter(r.path for r in logs) for name, logs in since(replicas, before).items()
    }
    return corpus(output), fetched


@pytest.mark.parametrize("workers", [2, 3])
def test_workers_together_equal_one_process(
    workers: int,
    replicas: dict[str, ReplicaServer],
    single_process: tuple[list, dict[str, Counter[str]]],
    redis_url: str,
    tmp_path: Path,
) -> None:
    expected, single_fetches = single_process
    output = tmp_path / "out"
    before = marks(replicas)
    crawl_id = f"crawl{workers}"
    # Every worker must have joined before the first response goes out: on a loaded machine
    # one worker can start seconds after the others, when they have already done the work.
    # Four requests at a time each, and idle workers polling often, so none takes it all.
    with held(replicas):
        processes = start_workers(
            workers,
            output,
            replicas,
            redis_url,
            crawl_id,
            CONCURRENT_REQUESTS="4",
            SHARED_POLL_INTERVAL="0.1",
        )
        wait_until_joined(redis_url, crawl_id, workers)
    assert [p.wait(timeout=300) for p in processes] == [0] * workers
    fetched = since(replicas, before)
    export(output)

    assert corpus(output) == expected
    assert {site for site, *_ in expected} == set(SITES)
    for name, logs in fetched.items():
        counts = Counter(r.path for r in logs)
        twice = {path: n for path, n in counts.items() if n > 1 and path != "/robots.txt"}
        assert not twice, (name, twice)
        # robots.txt as often as one process reads it: once for Scrapy's robots.txt
        # middleware (one worker fetches, the others read its body from Redis), once for the
        # spider's sitemaps.
        assert counts["/robots.txt"] == single_fetches[name]["/robots.txt"], name
    # Every worker took part: each wrote text parts of its own.
    runs = {path.parent.name for path in part_paths(output)}
    assert runs == {f"{crawl_id}-w{n}" for n in range(workers)}


def test_the_combined_rate_per_host_stays_within_one_process_allowance(
    replicas: dict[str, ReplicaServer], redis_url: str, tmp_path: Path
) -> None:
    """A 0.1 s delay and one request at a time per host: two workers together still send
    at most one request per 0.1 s to each host."""
    delay = 0.1
    before = marks(replicas)
    processes = start_workers(
        2,
        tmp_path / "out",
        replicas,
        redis_url,
        "polite",
        DOWNLOAD_DELAY=str(delay),
        RANDOMIZE_DOWNLOAD_DELAY="False",
        CONCURRENT_REQUESTS_PER_DOMAIN="1",
    )
    assert [p.wait(timeout=300) for p in processes] == [0, 0]
    for name, logs in since(replicas, before).items():
        arrivals = sorted(r.arrived for r in logs)
        assert len(arrivals) > 20, name
        gaps = [later - earlier for earlier, later in itertools.pairwise(arrivals)]
        # The gate grants on Redis' clock just before the wire; the time from the grant to the
        # server's accept varies on a busy machine and may shave the gap after a late request
        # (57 ms once, in a full CI run), but never the rate: any 11 consecutive requests span
        # at least 10 delays, which a second grant in one slot would break.
        short = [i for i, gap in enumerate(gaps) if gap < delay / 2]
        assert len(short) <= 1, (name, sorted(gaps)[:5])
        # A late request shortens the gap after it by what it added to the gap before.
        late = [(gaps[i - 1], gaps[i]) for i in short]
        assert all(sum(pair) >= 2 * delay - 0.03 for pair in late) and 0 not in short, late
        # Without the late request, which would shorten every span that starts at it.
        punctual = [at for i, at in enumerate(arrivals) if i not in short]
        spans = [later - earlier for earlier, later in zip(punctual, punctual[10:], strict=False)]
        assert min(spans) >= 10 * delay - 0.03, (name, min(spans))


def test_a_killed_worker_loses_nothing_and_doubles_nothing(
    replicas: dict[str, ReplicaServer],
    single_process: tuple[list, dict[str, Counter[str]]],
    redis_url: str,
    tmp_path: Path,
) -> None:
    expected, _ = single_process
    output = tmp_path / "out"
    slow = {"DOWNLOAD_DELAY": "0.05", "RANDOMIZE_DOWNLOAD_DELAY": "False"}
    with held(replicas):  # both join before any work is done, or one may do it all
        first = start_workers(2, output, replicas, redis_url, "night1", **slow)
        wait_until_joined(redis_url, "night1", 2)
    # Kill worker 0 once both have stored something, and before it can finish.
    deadline = time.monotonic() + 120
    while {"night1-w0", "night1-w1"} - {path.parent.name for path in part_paths(output)}:
        assert time.monotonic() < deadline, "both workers did not store within 120 s"
        time.sleep(0.05)
    with held(replicas):
        # A part is renamed into place, then recorded in the state: a kill between the two
        # would leave the next run to store its articles again. Held, worker 0 only finishes
        # the responses it has; kill it once its parts stand still and are all recorded.
        wait_until_recorded(redis_url, output, "night1-w0")
        os.kill(first[0].pid, signal.SIGKILL)
        assert first[0].wait(timeout=30) == -signal.SIGKILL
    assert first[1].wait(timeout=300) == 0  # the other one finishes the crawl
    # The next run (a new crawl over the same state) fetches what the dead worker lost.
    second = start_workers(2, output, replicas, redis_url, "night2", **slow)
    assert [p.wait(timeout=300) for p in second] == [0, 0]
    export(output)

    assert corpus(output) == expected
    stored = Counter(
        (record["site"], record["article_id"]) for record in read_parts(part_paths(output))
    )
    assert max(stored.values()) == 1  # nothing stored twice
    # Every row's article was stored (exact and near copies are stored too, then folded).
    assert {(site, ident) for site, ident, *_ in expected} <= set(stored)


def test_nightly_with_workers_reports_and_exits_as_one_run(
    replicas: dict[str, ReplicaServer],
    single_process: tuple[list, dict[str, Counter[str]]],
    tmp_path: Path,
) -> None:
    """`--workers 2` without `--redis-url`: a private Redis keeps the state in OUTPUT_DIR, so
    the second night fetches no stored article again."""
    expected, _ = single_process
    output = tmp_path / "out"
    command = nightly_command(output, replicas, ["--workers", "2"])
    first = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert first.returncode == 0, first.stdout + first.stderr[-3000:]
    lines = first.stdout.strip().splitlines()
    assert [line.split(" ", 1)[0] for line in lines[:3]] == sorted(SITES)
    assert all(" ok: " in line for line in lines[:3]) and lines[-1].split()[1] == "ok:"
    assert corpus(output) == expected
    reports = sorted((output / "runs").glob("*.json"))
    [merged] = [path for path in reports if "-w" not in path.stem]
    report = json.loads(merged.read_text())
    assert len(report["workers"]) == 2
    rows = sum(part["stats"]["export/rows"] for part in report["sites"].values())
    assert rows == len(expected) == report["stats"]["export/rows"]
    assert (output / "state" / "redis").is_dir()

    before = marks(replicas)
    second = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
    assert second.returncode == 0, second.stdout + second.stderr[-3000:]
    stored = {(site, ident) for site, ident, *_ in expected}
    refetched = []
    for name, logs in since(replicas, before).items():
        profile = find_profile(name).with_base_url(replicas[name].base_url)
        for request in logs:
            ident = profile.article_id(replicas[name].base_url + request.path)
            if (name, ident) in stored:
                refetched.append(request)
    # Stored articles past the re-check window are not asked for again; recent ones only
    # with a conditional GET (RECHECK_DAYS): the state outlived the first night's Redis.
    assert len(refetched) < len(stored) / 2
    assert all("If-None-Match" in r.headers for r in refetched)
    assert corpus(output) == expected


def test_a_stopped_crawl_resumes_from_its_persisted_queue(
    replicas: dict[str, ReplicaServer],
    single_process: tuple[list, dict[str, Counter[str]]],
    redis_url: str,
    tmp_path: Path,
) -> None:
    """SIGINT stops a worker cleanly; started again with the same SHARED_CRAWL_ID it goes on
    from the queue in Redis instead of starting over, and fetches nothing it had fetched."""
    expected, _ = single_process
    output = tmp_path / "out"
    slow = {"DOWNLOAD_DELAY": "0.05", "RANDOMIZE_DOWNLOAD_DELAY": "False"}
    before = marks(replicas)
    [first] = start_workers(1, output, replicas, redis_url, "paused", **slow)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not part_paths(output):
        time.sleep(0.05)
    first.send_signal(signal.SIGINT)
    assert first.wait(timeout=120) == 0
    queued = connect(redis_url).zcard("newscrawl:crawl:paused:requests")
    assert queued > 0
    [again] = start_workers(1, output, replicas, redis_url, "paused", **slow)
    assert again.wait(timeout=300) == 0
    log = (output / "paused-w0.log").read_text()
    assert f"crawl paused: resuming, {queued} requests queued" in log
    assert "was seeded by worker w0" in log  # start() did not run again
    for name, logs in since(replicas, before).items():
        counts = Counter(r.path for r in logs if r.path != "/robots.txt")
        assert max(counts.values()) == 1, name
    export(output)
    # Requests in flight at the stop may be lost to this crawl (the next one fetches them).
    got = corpus(output)
    assert set(got) <= set(expected)
    assert len(got) >= len(expected) - 5


def test_a_worker_from_another_machine_joins_the_nightly_crawl(
    replicas: dict[str, ReplicaServer],
    single_process: tuple[list, dict[str, Counter[str]]],
    redis_url: str,
    tmp_path: Path,
) -> None:
    """The README's several-machines recipe on one machine: a coordinator with one worker on
    a given Redis, and `python -m crawler.shared.join` as the second machine."""
    expected, _ = single_process
    output = tmp_path / "out"
    command = nightly_command(
        output,
        replicas,
        ["--workers", "1", "--redis-url", redis_url],
        SHARED_CRAWL_ID="nightly",
        DOWNLOAD_DELAY="0.02",
    )
    # The joiner polls for the crawl, then starts Scrapy: both workers join before any
    # response goes out, or the coordinator's worker may finish the crawl alone first.
    with held(replicas):
        joiner = subprocess.Popen(
            [sys.executable, "-m", "crawler.shared.join", redis_url, "nightly", "--wait", "60"],
            cwd=REPO_ROOT,
        )
        coordinator = subprocess.Popen(
            command, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        wait_until_joined(redis_url, "nightly", 2)
    stdout, stderr = coordinator.communicate(timeout=300)
    assert joiner.wait(timeout=120) == 0
    assert coordinator.returncode == 0, stdout + stderr[-3000:]
    assert corpus(output) == expected
    [merged] = [p for p in (output / "runs").glob("*.json") if p.stem.count("-") == 1]
    report = json.loads(merged.read_text())
    assert len(report["workers"]) == 2  # the joiner's report is merged too
    assert all(report["sites"][site]["stats"]["extract/articles"] for site in SITES)
    assert not connect(redis_url).keys("newscrawl:crawl:nightly:*")  # the frontier is gone
