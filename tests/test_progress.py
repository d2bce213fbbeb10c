"""Progress: a bar on a terminal, log lines elsewhere (rebuild, export), and the crawl's rate."""

from __future__ import annotations

import fcntl
import io
import logging
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from scrapy.utils.test import get_crawler

from crawler.extensions.progress import CrawlProgress
from crawler.progress import Progress
from tests.crawling import REPO_ROOT, run_crawl
from tests.test_export import paragraphs, record, write_run
from tests.test_rebuild import build_foreign_warc


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_off_a_terminal_a_line_per_interval_with_rate_and_eta(caplog) -> None:
    clock = Clock()
    caplog.set_level(logging.INFO, logger="crawler.progress")
    with Progress("export", "articles", interval=10, stream=io.StringIO(), clock=clock) as bar:
        for done in range(1, 101):
            clock.now += 0.5  # 2 articles a second
            bar(done, 400)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 6  # one every 10 s over 50 s, and the closing one
    assert lines[0] == "export: 20/400 articles (5%), 2.0 articles/s, ETA 3m10s"
    assert lines[-1] == "export: 100 articles in 50s"


def test_on_a_terminal_a_bar_with_rate_and_eta(caplog) -> None:
    terminal, clock = Terminal(), Clock()
    with Progress("rebuild", "B", unit_scale=True, stream=terminal, clock=clock) as bar:
        for done in range(0, 5_000_001, 500_000):
            bar(done, 5_000_000)
    drawn = terminal.getvalue()
    assert "rebuild: 100%" in drawn and "5.00M/5.00M" in drawn
    assert re.search(r"\[\d\d:\d\d<\d\d:\d\d, [\d.]+\w?B/s\]", drawn)  # elapsed<ETA, rate
    assert not caplog.records


def test_rebuild_draws_a_bar_on_a_terminal(tmp_path: Path, replica_site) -> None:
    warc = tmp_path / "foreign.warc.gz"
    build_foreign_warc(warc, replica_site)
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "scrapy", "rebuild", str(warc), "-s", f"OUTPUT_DIR={tmp_path}"],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=follower,
            timeout=120,
            check=False,
        )
        os.close(follower)
        drawn = b""
        while chunk := _read(leader):
            drawn += chunk
    finally:
        os.close(leader)
    assert finished.returncode == 0
    bar = rb"rebuild: 100%\|.*\| ([\d.]+k)/\1 \[\d\d:\d\d<\d\d:\d\d, [\d.]+[kM]?B/s\]"
    assert re.search(bar, drawn), drawn[-400:]


def _read(descriptor: int) -> bytes:
    try:
        return os.read(descriptor, 65536)
    except OSError:  # the terminal's other end is closed
        return b""


def test_export_logs_progress_off_a_terminal(tmp_path: Path) -> None:
    write_run(tmp_path, "r1", [record(f"{10000000 + n}", paragraphs(n)) for n in range(30)])
    finished = subprocess.run(
        [
            *(sys.executable, "-m", "scrapy", "export"),
            *("-s", f"OUTPUT_DIR={tmp_path}", "-s", "PROGRESS_LOG_INTERVAL=0"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    lines = re.findall(
        r"export: (\d+)/30 articles \(\d+%\), [\d.]+ articles/s, ETA", finished.stderr
    )
    assert [int(done) for done in lines] == list(range(1, 31))
    assert "\r" not in finished.stderr  # no bar off a terminal


def test_crawl_logs_articles_per_minute_and_queue_size(
    replica, replica_site, tmp_path: Path
) -> None:
    slow = {"PROGRESS_LOG_INTERVAL": "0.5", "DOWNLOAD_DELAY": "0.02"}
    result = run_crawl(
        replica.base_url,
        tmp_path,
        "since=2011-01-01",
        "max_articles=80",
        settings=slow,
        now=replica_site.now,
    )
    assert result.returncode == 0, result.log[-2000:]
    lines = re.findall(
        r"progress: (\d+) articles \(at (\d+) articles/min\), \d+ pages \(at \d+ pages/min\),"
        r" (\d+) requests queued, (\d+) downloading",
        result.log,
    )
    assert len(lines) >= 3
    articles = [int(line[0]) for line in lines]
    assert articles == sorted(articles) and articles[-1] > 0
    assert any(int(line[1]) > 0 for line in lines)
    assert any(int(line[2]) > 0 for line in lines)  # the queue was seen non-empty
    assert result.stats["progress/articles_per_minute"] > 0


def test_crawl_progress_is_off_at_interval_zero() -> None:
    from scrapy.exceptions import NotConfigured

    with pytest.raises(NotConfigured):
        CrawlProgress.from_crawler(get_crawler(settings_dict={"PROGRESS_LOG_INTERVAL": 0}))
