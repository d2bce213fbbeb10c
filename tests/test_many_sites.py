"""Many sites in one OUTPUT_DIR: real crawls of several replicas, each on its own loopback host.

- Two sites with the same `/article/N` numbers lose nothing to each other's ids.
- A site added by a profile file alone (the README's example) is crawled and read right.
- The shipped sites crawl together, each judged in its own part of the report.
- State written by the single-site release is migrated and its stored articles not refetched.
- The nightly runner keeps a window per site and exits with the worst site's code.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from crawler.demo import LOOPBACK_SETTINGS
from crawler.nightly import ExitCode
from crawler.replica import ReplicaServer, ReplicaSite
from crawler.replica.__main__ import build_site
from crawler.replica.lookalike import LookalikeSite
from crawler.replica.site import DEFAULT_NOW
from crawler.replica.wpnews import WordPressSite
from crawler.sites import shipped_profiles
from tests.crawling import REPO_ROOT, koreaherald_id

FIXTURES = Path(__file__).parent / "fixtures"
LOOKALIKE_PROFILE = FIXTURES / "sites" / "lookalike" / "profile.toml"
WORDPRESS_PROFILE = FIXTURES / "sites" / "wpnews" / "profile.toml"


def crawl_news(
    output: Path, bases: dict[str, str], *args: str, profiles: list[Path] = ()
) -> subprocess.CompletedProcess[str]:
    """`scrapy crawl news` over shipped sites and profile files, moved onto the replicas."""
    shipped = [name for name in bases if name in shipped_profiles()]
    command = [sys.executable, "-m", "scrapy", "crawl", "news"]
    if shipped:
        command += ["-a", "sites=" + ",".join(shipped)]
    if profiles:
        command += ["-a", "profile=" + ",".join(str(p) for p in profiles)]
    command += ["-a", "base_url=" + ",".join(f"{n}={url}" for n, url in bases.items())]
    for arg in args:
        command += ["-a", arg]
    settings = {
        **LOOPBACK_SETTINGS,
        "CRAWL_NOW": DEFAULT_NOW.isoformat(),
        "OUTPUT_DIR": str(output),
        "EXTRACT_WORKERS": "1",
    }
    for name, value in settings.items():
        command += ["-s", f"{name}={value}"]
    return subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
    )


def corpus(output: Path) -> list[tuple]:
    glob = output / "parquet" / "**" / "*.parquet"
    with duckdb.connect() as db:
        return db.execute(
            "SELECT site, article_id, title, text, near_dup_cluster, duplicate_urls"
            f" FROM read_parquet('{glob}', hive_partitioning = true)"
        ).fetchall()


def last_report(output: Path) -> dict:
    reports = sorted((output / "runs").glob("*.json"), key=lambda p: p.stat().st_mtime)
    return json.loads(reports[-1].read_text())


@pytest.fixture()
def herald_and_lookalike() -> Iterator[tuple[ReplicaSite, LookalikeSite, dict[str, str]]]:
    herald = ReplicaSite(n_articles=80)
    lookalike = LookalikeSite(herald, n_articles=30)
    with (
        ReplicaServer(herald) as herald_server,
        ReplicaServer(lookalike, host="127.0.0.2") as lookalike_server,
    ):
        yield (
            herald,
            lookalike,
            {
                "koreaherald": herald_server.base_url,
                "lookalike": lookalike_server.base_url,
            },
        )


def test_two_sites_with_the_same_article_numbers_lose_nothing(
    tmp_path: Path, herald_and_lookalike
) -> None:
    herald, lookalike, bases = herald_and_lookalike
    herald_ids = {r["article_id"] for r in herald.ground_truth()}
    twin_ids = {r["article_id"] for r in lookalike.ground_truth()}
    assert twin_ids <= herald_ids  # every look-alike number is also a Korea Herald number
    output = tmp_path / "out"
    # The Korea Herald alone first, so its ids are in the state, dedup and Parquet...
    first = crawl_news(output, {"koreaherald": bases["koreaherald"]}, "since=2011-01-01")
    assert first.returncode == 0, first.stderr[-3000:]
    # ...then both sites in one process, into the same OUTPUT_DIR.
    second = crawl_news(output, bases, "since=2011-01-01", profiles=[LOOKALIKE_PROFILE])
    assert second.returncode == 0, second.stderr[-3000:]

    rows = corpus(output)
    kept = Counter(site for site, *_ in rows)
    herald_dropped = sum(1 for r in herald.ground_truth() if r["duplicate_kind"])
    assert kept == {"koreaherald": len(herald_ids) - herald_dropped, "lookalike": len(twin_ids)}
    by_key = {(site, ident): title for site, ident, title, *_ in rows}
    for record in lookalike.ground_truth():
        assert by_key[("lookalike", record["article_id"])] == record["title"]
    clusters = {cluster for site, *_, cluster, _ in rows if site == "lookalike"}
    assert all(cluster.startswith("lookalike:") for cluster in clusters)
    # The second run fetched every look-alike article once and skipped the stored Herald ones.
    report = last_report(output)
    assert report["sites"]["lookalike"]["stats"]["extract/articles"] == len(twin_ids)
    assert report["sites"]["koreaherald"]["stats"].get("extract/articles", 0) <= 20
    warcs = {path.name.split("-", 1)[0] for path in (output / "warc").glob("*.warc.gz")}
    assert warcs == {"koreaherald", "lookalike"}


def test_a_site_added_by_a_profile_file_alone(tmp_path: Path) -> None:
    """The README's example profile, no code: a WordPress blog the code has never seen."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    example = re.search(r"## Adding a site.*?```toml\n(.*?)```", readme, re.S)
    assert example is not None, "README has an example profile under 'Adding a site'"
    assert example.group(1) == WORDPRESS_PROFILE.read_text(encoding="utf-8")
    profile_path = tmp_path / "harborledger.toml"
    profile_path.write_text(example.group(1), encoding="utf-8")
    site = WordPressSite(n_articles=30)
    output = tmp_path / "out"
    with ReplicaServer(site, host="127.0.0.4") as server:
        done = crawl_news(
            output, {"wpnews": server.base_url}, "since=2011-01-01", profiles=[profile_path]
        )
    assert done.returncode == 0, done.stderr[-3000:]
    glob = output / "parquet" / "**" / "*.parquet"
    with duckdb.connect() as db:
        rows = db.execute(
            "SELECT article_id, title, published_at, authors, text, field_sources"
            f" FROM read_parquet('{glob}', hive_partitioning = true)"
        ).fetchall()
    truth = {r["article_id"]: r for r in site.ground_truth()}
    # Short links (?p=N), AMP twins and tracking variants are all linked: one row each.
    assert sorted(row[0] for row in rows) == sorted(truth)
    linked = [url for r in truth.values() for url in r["urls"]]
    assert any("?p=" in url for url in linked) and any("/amp/" in url for url in linked)
    for article_id, title, published, authors, text, sources in rows:
        expected = truth[article_id]
        assert title == expected["title"]
        assert published == datetime.fromisoformat(expected["published_at"])
        assert authors == expected["authors"]
        assert text.split("\n\n") == expected["paragraphs"]
        assert sources["paragraphs"] == sources["authors"] == "selectors"
        for boilerplate in ("Related:", "Share this", "morning brief", "says:", "Leave a Reply"):
            assert boilerplate not in text
    stats = last_report(output)["sites"]["wpnews"]
    assert stats["drift_alarm"] is False
    assert stats["fill_rates"]["selectors"]["pages"] == len(truth)


def test_the_shipped_sites_crawl_together_and_report_apart(tmp_path: Path) -> None:
    names = list(shipped_profiles())
    assert {"koreaherald", "koreatimes", "yonhap"} <= set(names)
    sites = {name: build_site(name, 40, None, DEFAULT_NOW) for name in names}
    output = tmp_path / "out"
    with ExitStack() as stack:
        servers = {
            name: stack.enter_context(ReplicaServer(site, host=f"127.0.0.{number}"))
            for number, (name, site) in enumerate(sites.items(), start=11)
        }
        done = crawl_news(output, {n: s.base_url for n, s in servers.items()}, "since=2011-01-01")
    assert done.returncode == 0, done.stderr[-3000:]
    report = last_report(output)
    keys = Counter((site, ident) for site, ident, *_ in corpus(output))
    # AMP twins, old URLs that redirect and tracking variants are linked too: one row each.
    assert max(keys.values()) == 1
    for name, site in sites.items():
        truth = site.ground_truth()
        part = report["sites"][name]
        assert part["stats"]["extract/articles"] == len(truth), name
        kept = {ident for site_name, ident in keys if site_name == name}
        copies = {r["article_id"] for r in truth if r["duplicate_kind"]}
        assert {r["article_id"] for r in truth} - copies <= kept, name
        assert part["drift_alarm"] is False, (name, part["drift_alarms"])
        # Each host was asked only for its own site (Chromium's requests for a rendered
        # listing come on top of the crawl's own).
        host = servers[name].base_url.removeprefix("http://")
        assert {r.headers.get("Host") for r in servers[name].requests} == {host}
        assert 0 < part["stats"]["response_count"] <= len(servers[name].requests), name
    assert report["drift_alarm"] is False


def test_state_of_the_single_site_release_is_migrated_and_not_refetched(tmp_path: Path) -> None:
    """tests/fixtures/state-v1 holds what the previous release stored of this very replica."""
    output = tmp_path / "out"
    shutil.copytree(FIXTURES / "state-v1", output / "state")
    site = ReplicaSite(n_articles=60)
    with ReplicaServer(site) as server:
        done = crawl_news(output, {"koreaherald": server.base_url}, "since=2011-01-01")
        requests = list(server.requests)
    assert done.returncode == 0, done.stderr[-3000:]
    stats = last_report(output)["sites"]["koreaherald"]["stats"]
    with sqlite3.connect(FIXTURES / "state-v1" / "crawl.sqlite3") as db:
        stored = dict(db.execute("SELECT article_id, published_at FROM articles WHERE stored"))
    horizon = DEFAULT_NOW - timedelta(days=3)  # RECHECK_DAYS
    past = {
        ident for ident, published in stored.items() if datetime.fromisoformat(published) < horizon
    }
    requested = [(koreaherald_id(r.path), r) for r in requests if koreaherald_id(r.path)]
    # Stored articles past the re-check window are not requested at all...
    assert past and not past & {ident for ident, _ in requested}
    assert stats["incremental/skipped_stored"] >= len(past)
    # ...and recent ones only with a conditional GET (this replica's port is new, so its
    # ETags are too: the same text comes back and is recognised as the same article).
    recent = {ident for ident, r in requested if ident in stored}
    assert recent == set(stored) - past
    assert all("If-None-Match" in r.headers for ident, r in requested if ident in stored)
    assert last_report(output)["stats"]["export/rows"] == 0  # nothing new to export
    assert not list((output / "parquet").glob("**/*.parquet"))


def test_nightly_judges_each_site_and_exits_with_the_worst(
    tmp_path: Path, herald_and_lookalike
) -> None:
    herald, _, bases = herald_and_lookalike
    dead = ReplicaServer(ReplicaSite(n_articles=30), host="127.0.0.3")
    dead_url = dead.base_url
    dead.stop()  # nothing listens there any more: the look-alike site is unreachable
    output = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "crawler.nightly",
        "koreaherald",
        "--profile",
        str(LOOKALIKE_PROFILE),
        "--output-dir",
        str(output),
        "-a",
        f"base_url=koreaherald={bases['koreaherald']},lookalike={dead_url}",
        "-s",
        f"CRAWL_NOW={herald.now.isoformat()}",
        "-s",
        "DOWNLOAD_DELAY=0",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "RETRY_TIMES=0",
    ]
    done = subprocess.run(
        command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == ExitCode.UNREACHABLE, done.stdout + done.stderr[-2000:]
    lines = done.stdout.strip().splitlines()
    assert lines[0].startswith("koreaherald ok:")
    assert lines[1].startswith("lookalike unreachable:")
    assert "unreachable (from lookalike)" in lines[-1]
    report = last_report(output)
    assert report["exit_code_site"] == "lookalike"
    assert report["sites"]["koreaherald"]["exit_code"] == ExitCode.OK
    state = json.loads((output / "state" / "nightly.json").read_text())
    assert "last_success_started_at" in state["sites"]["koreaherald"]
    assert "last_success_started_at" not in state["sites"]["lookalike"]
    assert state["last_run"]["site"] == "lookalike"
