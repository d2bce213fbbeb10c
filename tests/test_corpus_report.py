"""The corpus report from two real nightly runs of the replica, checked in Debian's Chromium.

Set NEWSCRAWL_REPORT_SCREENSHOT=path to keep the browser's screenshot (the README's picture
is one: crawler/report/screenshot.png).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from crawler.nightly import ExitCode
from crawler.replica import ReplicaServer, ReplicaSite
from crawler.report import REPORT_PATH, DriftFloor
from crawler.report.data import Corpus, Run, Site, load
from crawler.report.page import render
from crawler.sites import shipped_profiles
from tests.crawling import REPO_ROOT
from tests.test_nightly import run_nightly

CHROMIUM = next(
    (p for p in ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium") if Path(p).exists()),
    None,
)
CHARTS = ("articles-per-day", "fill-rates", "outcomes", "errors", "bytes", "speed", "authors")


@pytest.fixture(scope="module")
def nightly_output(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """Two nightly runs, the second after the replica gained articles and changed one."""
    output = tmp_path_factory.mktemp("report") / "out"
    site = ReplicaSite(n_articles=150, seed=11)
    run_ids = []
    with ReplicaServer(site) as server:
        for step in range(2):
            if step:
                site.advance(days=1, new_articles=6)
            finished = run_nightly(server.base_url, output, site.now, "--first-window-days", "120")
            assert finished.returncode == ExitCode.OK, finished.stdout + finished.stderr
            run_ids.append(finished.stdout.splitlines()[-1].split()[0])
            page = (output / REPORT_PATH).read_text()
            assert run_ids[-1] in page  # each nightly run refreshed the report
    return output, run_ids


def test_report_holds_what_duckdb_reads_from_parquet_and_runs(nightly_output) -> None:
    output, run_ids = nightly_output
    corpus = load(output, DriftFloor())
    [site] = corpus.sites
    assert site.name == "koreaherald"
    assert [run.run_id for run in site.runs] == run_ids
    glob = output / "parquet" / "**" / "*.parquet"
    with duckdb.connect() as db:
        (articles,) = db.execute(
            f"SELECT count(*) FROM read_parquet('{glob}') WHERE version = 1"
        ).fetchone()
    assert sum(n for _, _, n in site.per_day) == site.articles == articles > 25
    assert len({section for _, section, _ in site.per_day}) > 3
    latest = json.loads((output / "runs" / f"{run_ids[-1]}.json").read_text())
    assert site.runs[-1].summary == latest["sites"]["koreaherald"]["summary"]
    assert site.runs[-1].exit_code == 0
    assert site.runs[-1].summary["new_articles"] == 6
    assert site.authors and site.authors[0][1] >= site.authors[-1][1]


def test_scrapy_report_writes_one_self_contained_page(nightly_output) -> None:
    output, run_ids = nightly_output
    page_path = output / REPORT_PATH
    page_path.unlink()
    finished = subprocess.run(
        [sys.executable, "-m", "scrapy", "report", "-s", f"OUTPUT_DIR={output}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert page_path.resolve().as_uri() in finished.stdout
    page = page_path.read_text()
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)  # nothing to fetch
    assert "default-src 'none'" in page
    assert not list(page_path.parent.glob(".*.tmp"))
    # The latest run's summary comes first in the site's section.
    section = page[page.index('<section id="site-koreaherald">') :]
    assert section.index(run_ids[-1]) < section.index('class="chart"')


@pytest.mark.skipif(CHROMIUM is None, reason="make test installs Debian's chromium")
def test_every_chart_renders_in_chromium(nightly_output, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    output, _ = nightly_output
    problems: list[str] = []
    screenshot = tmp_path / "report.png"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(120_000)  # seven charts on two busy cores
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("request", lambda r: _local(r.url) or problems.append(r.url))
            page.goto((output / REPORT_PATH).resolve().as_uri())
            page.wait_for_function(
                "[...document.querySelectorAll('.js-plotly-plot')]"
                ".every(plot => plot.querySelector('.main-svg g.trace'))",
            )
            charts = page.evaluate(
                """() => Object.fromEntries([...document.querySelectorAll('.js-plotly-plot')]
                    .map(plot => [plot.id, {
                        points: plot.data.reduce((n, trace) => n + (trace.x || []).length, 0),
                        marks: plot.querySelectorAll('g.trace path').length,
                    }]))"""
            )
            page.screenshot(path=str(screenshot), full_page=True)
        finally:
            browser.close()
    assert sorted(charts) == sorted(f"koreaherald-{name}" for name in CHARTS)
    for name, chart in charts.items():
        assert chart["points"] > 0 and chart["marks"] > 0, name
    assert problems == []
    assert screenshot.stat().st_size > 50_000
    if target := os.environ.get("NEWSCRAWL_REPORT_SCREENSHOT"):
        shutil.copyfile(screenshot, target)


def test_run_reports_with_a_sites_mapping_give_one_section_per_site(tmp_path: Path) -> None:
    stats = {"start_time": "2026-11-24T01:00:00+00:00", "elapsed_time_seconds": 10.0}
    site_stats = {
        "response_count": 40,
        "response_status_count/200": 37,
        "response_status_count/404": 3,
        "export/rows": 12,
        "export/versions": 2,
        "extract/articles": 12,
        "warc/bytes_written": 5000,
    }
    report = {
        "run_id": "20261124T010000Z-abcdef",
        "exit_code": 10,
        "status": "partial",
        "stats": stats,
        "sites": {
            "koreatimes": {"stats": site_stats, "fill_rates": {"article": {"pages": 12}}},
            "yonhap": {"stats": {**site_stats, "export/rows": 3, "export/versions": 0}},
        },
    }
    (tmp_path / "runs").mkdir()
    (tmp_path / "runs" / "20261124T010000Z-abcdef.json").write_text(json.dumps(report))
    corpus = load(tmp_path, DriftFloor())
    assert [site.name for site in corpus.sites] == ["koreatimes", "yonhap"]
    times, yonhap = (site.runs[0] for site in corpus.sites)
    assert (times.exit_code, times.status) == (10, "partial")
    assert (times.summary["new_articles"], times.summary["updated_articles"]) == (10, 2)
    assert times.summary["errors"] == {"http_404": 3}
    assert yonhap.summary["new_articles"] == 3
    assert times.articles_per_second == 1.2
    assert times.started.isoformat() == "2026-11-24T01:00:00+00:00"
    assert times.bytes_written == {"warc": 5000, "parquet": 0}  # text bytes: only per run
    assert corpus.sites[1].floors == dict(shipped_profiles()["yonhap"].drift_floors)


def test_a_profile_s_own_floor_is_drawn_beside_the_default(tmp_path: Path) -> None:
    run = Run(
        "r1", datetime(2026, 11, 24, tzinfo=UTC), 0, "ok", {}, {}, {"t": {"pages": 30}}, 3, []
    )
    site = Site("yonhap", runs=[run], floors={"authors": 0.6})
    page = render(Corpus(tmp_path, DriftFloor(), [site], datetime(2026, 11, 24, tzinfo=UTC)))
    assert '"text":"drift floor 90%"' in page
    assert '"text":"authors floor 60%"' in page


def _local(url: str) -> bool:
    return url.startswith(("file:", "data:", "blob:"))
