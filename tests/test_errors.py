"""Bad input to every command is one line naming the value, no traceback, a non-zero exit.

Each case runs the real command in a subprocess. Logging is at ERROR, so nothing but the
message may reach stderr: a traceback logged by Scrapy or asyncio would show up here too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crawler.nightly import ExitCode
from tests.crawling import REPO_ROOT

SCRAPY = [sys.executable, "-m", "scrapy"]
NIGHTLY = [sys.executable, "-m", "crawler.nightly"]
NOWHERE = "base_url=http://127.0.0.1:9"  # a closed loopback port: nothing leaves the host

#: (command, arguments, text the one line must contain); {tmp} is the test's directory,
#: {file} a regular file in it (so {file}/out cannot be created), {empty} an empty directory.
CASES = [
    ("crawl", ["nope"], "'nope': not found"),
    ("crawl", [], "spider names none: expected exactly one"),
    ("crawl", ["koreaherald", "-a", "since=yesterday"], "since='yesterday'"),
    ("crawl", ["koreaherald", "-a", "until=2020-13-01"], "until='2020-13-01'"),
    ("crawl", ["koreaherald", "-a", "since=2025-02-01", "-a", "until=2025-01-01"], "until="),
    ("crawl", ["koreaherald", "-a", "sections=Nope"], "unknown section 'Nope'"),
    (
        "crawl",
        ["koreaherald", "-a", "max_articles=abc"],
        "max_articles must be a positive integer, got 'abc'",
    ),
    ("crawl", ["koreaherald", "-a", "base_url=ftp://example.test"], "got 'ftp://example.test'"),
    ("crawl", ["koreaherald", "-s", "EXTRACT_WORKERS=abc"], "EXTRACT_WORKERS='abc'"),
    (
        "crawl",
        ["koreaherald", "-s", "NEWS_MAX_LISTING_PAGES=many"],
        "NEWS_MAX_LISTING_PAGES='many'",
    ),
    ("crawl", ["koreaherald", "-s", "NEWS_RENDER_JS=maybe"], "NEWS_RENDER_JS='maybe'"),
    ("crawl", ["koreaherald", "-s", "RECHECK_DAYS=week"], "RECHECK_DAYS='week'"),
    ("crawl", ["koreaherald", "-s", "WARC_MAX_SIZE=0"], "WARC_MAX_SIZE='0'"),
    ("crawl", ["koreaherald", "-s", "WARC_GZIP_LEVEL=10"], "integer from 1 to 9"),
    ("crawl", ["koreaherald", "-s", "DEDUP_THRESHOLD=2"], "DEDUP_THRESHOLD=2.0"),
    ("crawl", ["koreaherald", "-s", "EXTRACT_WORKER_NICE=-5"], "EXTRACT_WORKER_NICE='-5'"),
    ("crawl", ["koreaherald", "-s", "CRAWL_NOW=tomorrow"], "CRAWL_NOW='tomorrow'"),
    ("crawl", ["koreaherald", "-s", "CONCURRENT_REQUESTS=lots"], "CONCURRENT_REQUESTS='lots'"),
    ("crawl", ["koreaherald", "-s", "OUTPUT_DIR={file}/out"], "OUTPUT_DIR='{file}/out'"),
    ("crawl", ["koreaherald", "-s", "NOEQUALS"], "-s 'NOEQUALS'"),
    ("crawl", ["koreaherald", "-a", "NOEQUALS"], "-a 'NOEQUALS'"),
    ("export", ["-s", "OUTPUT_DIR={tmp}/missing"], "OUTPUT_DIR='{tmp}/missing'"),
    ("export", ["-s", "OUTPUT_DIR={empty}", "--text-run", "nope"], "--text-run='nope'"),
    ("export", ["-s", "OUTPUT_DIR={empty}", "-s", "PARQUET_ZSTD_LEVEL=high"], "'high'"),
    ("export", ["-s", "OUTPUT_DIR={empty}", "stray"], "'stray'"),
    ("rebuild", [], "no PATH given"),
    ("rebuild", ["{tmp}/missing.warc.gz"], "'{tmp}/missing.warc.gz'"),
    ("rebuild", ["{file}"], "'{file}': expected a WARC or ARC file"),
    ("rebuild", ["{empty}"], "'{empty}': no WARC files"),
    ("rebuild", ["{file}", "-s", "OUTPUT_DIR={file}/out"], "'{file}"),
    ("report", ["-s", "OUTPUT_DIR={tmp}/missing"], "OUTPUT_DIR='{tmp}/missing'"),
    ("report", ["-s", "OUTPUT_DIR={empty}"], "'{empty}': nothing to report"),
    ("report", ["-s", "OUTPUT_DIR={empty}", "-s", "DRIFT_MIN_FILL_RATE=high"], "'high'"),
    ("report", ["-s", "OUTPUT_DIR={empty}", "stray"], "'stray'"),
    ("nightly", ["koreaherald", "-a", "since=yesterday"], "since='yesterday'"),
    ("nightly", ["koreaherald", "-a", "sections=Nope", "-a", NOWHERE], "unknown section 'Nope'"),
    ("nightly", ["koreaherald", "-s", "EXTRACT_WORKERS=abc", "-a", NOWHERE], "'abc'"),
    ("nightly", ["nope"], "unknown site 'nope'"),
    ("nightly", ["koreaherald", "--margin-hours", "abc"], "'abc'"),
    ("nightly", ["koreaherald", "-s", "CRAWL_NOW=soon"], "CRAWL_NOW='soon'"),
    ("nightly", ["koreaherald", "-s", "NOEQUALS"], "'NOEQUALS'"),
    ("nightly", ["koreaherald", "--output-dir", "{file}/out"], "--output-dir='{file}/out'"),
]


def _command(name: str, arguments: list[str], tmp: Path) -> list[str]:
    if name == "nightly":
        output = [] if "--output-dir" in arguments else ["--output-dir", str(tmp / "out")]
        return [*NIGHTLY, *arguments, *output]
    command = [*SCRAPY, name, *arguments, "-s", "LOG_LEVEL=ERROR"]
    if name == "crawl":
        if not any(argument.startswith("base_url=") for argument in arguments):
            command += ["-a", NOWHERE]
        if not any(argument.startswith("OUTPUT_DIR=") for argument in arguments):
            command += ["-s", f"OUTPUT_DIR={tmp / 'out'}"]
    return command


@pytest.mark.parametrize(("name", "arguments", "expected"), CASES)
def test_bad_input_is_one_line(
    tmp_path: Path, name: str, arguments: list[str], expected: str
) -> None:
    regular_file = tmp_path / "notes.txt"
    regular_file.write_text("not a WARC, not a directory\n")
    (tmp_path / "empty").mkdir()
    places = {"tmp": str(tmp_path), "file": str(regular_file), "empty": str(tmp_path / "empty")}
    arguments = [argument.format(**places) for argument in arguments]
    finished = subprocess.run(
        _command(name, arguments, tmp_path),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = finished.stderr.strip().splitlines()
    assert "Traceback" not in finished.stderr + finished.stdout
    assert len(lines) == 1, finished.stderr
    assert expected.format(**places) in lines[0]
    prefix = "newscrawl-nightly: " if name == "nightly" else f"scrapy {name}: "
    assert lines[0].startswith(prefix)
    assert finished.returncode == (ExitCode.BAD_CONFIG if name == "nightly" else 2)
