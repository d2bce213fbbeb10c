"""`make bench`: the full pipeline against its ceilings, on loopback, in one invocation.

Runs, `--repeat` rounds of every scenario (medians reported, and the targets' ratios also
within each round): the fetch ceiling (bare Scrapy over the
article URLs), the extraction ceiling (one process, then a pool sized to the cores), the
full `scrapy crawl koreaherald` (WARC, extraction, dedup, Parquet), the same without
JavaScript rendering (for Chromium's cost) and without rendering or WARC (for WARC's), and
the naive baseline (trafilatura inline in a pipeline, JSON lines), and with `--baseline REV`
the full pipeline of an older revision, for this work's gain measured in the same run. All
of it at each page weight of `--pad-kb` (default 120 KB, as real pages weigh, then the
replica's own ~10 KB). Then the full pipeline once more at `--scale` x N, at the first
weight, for the growth of peak RSS.

Every scenario runs as a child process. Its process tree is sampled every 50 ms: CPU is the
sum of every process's own CPU time (extraction workers and Chromium included; or rusage, if
larger), peak RSS the largest sum of RSS.
The replica runs in a process of its own, so its CPU is not counted. Politeness is off.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from crawler.demo import LOOPBACK_SETTINGS
from crawler.files import write_json_atomic

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
NAIVE_PIPELINE = json.dumps({"bench.naive_spider.TrafilaturaPipeline": 100})
#: Reference spiders run outside the project (no scrapy.cfg in their folder), so they get
#: plain Scrapy defaults and none of our components; only politeness is turned off.
BARE = {**LOOPBACK_SETTINGS, "ROBOTSTXT_OBEY": "False", "LOG_LEVEL": "WARNING"}


@dataclass
class Measure:
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    #: CPU seconds by role (see `role_of`), as sampled.
    cpu_by_role: dict[str, float] = field(default_factory=dict)


def measure(
    command: list[str],
    *,
    cwd: Path = ROOT,
    self_timed: bool = False,
    expect_responses: int | None = None,
    code: Path = ROOT,
) -> Measure:
    """Run `command` to completion; wall time, CPU of the tree, peak summed RSS.

    With `self_timed`, the command prints JSON with its own `seconds` (work only, without
    interpreter start-up), which replaces the wall time. With `expect_responses`, the
    command must report (as the reference spiders do) that it got that many responses.
    `code` is the checkout the command imports the project from.
    """
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        environment = {**os.environ, "PYTHONPATH": str(code)}
        process = subprocess.Popen(
            command, cwd=cwd, stdout=out, stderr=err, text=True, env=environment
        )
        sampler = TreeSampler(process.pid)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        sampler.stop()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:6])}... failed:\n{stderr[-3000:]}")
    if self_timed:
        seconds = json.loads(stdout.strip().splitlines()[-1])["seconds"]
    if expect_responses is not None:
        reported = json.loads(stdout.strip().splitlines()[-1])
        if reported["responses"] != expect_responses:
            raise RuntimeError(f"{command[4]} got {reported} of {expect_responses} responses")
    cpu = max(sampler.cpu_seconds, usage.ru_utime + usage.ru_stime)
    return Measure(seconds, cpu, sampler.bytes / 2**20, sampler.cpu_by_role())


class TreeSampler:
    """Samples a process tree every 50 ms until stopped: peak summed RSS, and CPU per process.

    CPU is each process's own user + system time at its last sample, summed over every
    process seen (by pid and start time, so a reused pid is another process). It misses the
    last 50 ms of each process; the kernel's rusage instead misses processes nobody waits
    for (a multiprocessing fork server's workers). `measure` takes the larger of the two.
    """

    def __init__(self, pid: int, classify: Classifier | None = None) -> None:
        self.bytes = 0
        self._cpu: dict[tuple[int, float], float] = {}
        self._roles: dict[tuple[int, float], str] = {}
        self._classify = classify or role_of
        self._done = threading.Event()
        self._root = psutil.Process(pid)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @property
    def cpu_seconds(self) -> float:
        return sum(self._cpu.values())

    def _run(self) -> None:
        while not self._done.is_set():
            try:
                tree = [self._root, *self._root.children(recursive=True)]
            except psutil.Error:
                tree = []
            rss = 0
            for process in tree:
                try:
                    with process.oneshot():
                        rss += process.memory_info().rss
                        times = process.cpu_times()
                        key = (process.pid, process.create_time())
                        self._cpu[key] = times.user + times.system
                        if key not in self._roles:
                            is_root = process.pid == self._root.pid
                            self._roles[key] = self._classify(process.cmdline(), is_root)
                except psutil.Error:
                    pass
            self.bytes = max(self.bytes, rss)
            self._done.wait(0.05)

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def cpu_by_role(self) -> dict[str, float]:
        found: dict[str, float] = {}
        for key, seconds in self._cpu.items():
            role = self._roles.get(key, "other")
            found[role] = round(found.get(role, 0.0) + seconds, 3)
        return found


#: Names a process's part in a run from its command line and whether it is the tree's root.
Classifier = Callable[[list[str], bool], str]


def role_of(command: list[str], is_root: bool) -> str:
    """`crawl` (the command's own process), `extraction` (its worker processes and their
    fork server), `browser` (Chromium and Playwright's driver) or `other`."""
    if is_root:
        return "crawl"
    text = " ".join(command)
    if "multiprocessing" in text:
        return "extraction"
    if "chrom" in text or "playwright" in text or "headless" in text:
        return "browser"
    return "other"


def settings_args(settings: dict[str, str]) -> list[str]:
    return [part for name, value in settings.items() for part in ("-s", f"{name}={value}")]


class Replica:
    """The replica in its own process, so the crawler's measures exclude its CPU."""

    def __init__(self, articles: int, pad_kb: int = 0) -> None:
        self.articles = articles
        self.pad_kb = pad_kb  # HTML pages padded to this weight (crawler.replica.padding)

    def __enter__(self) -> Replica:
        self.folder = Path(tempfile.mkdtemp(prefix="bench-replica-"))
        truth = self.folder / "truth.jsonl"
        self.process = subprocess.Popen(
            [
                PY,
                "-m",
                "crawler.replica",
                "--articles",
                str(self.articles),
                "--ground-truth",
                str(truth),
                "--pad-kb",
                str(self.pad_kb),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline() if self.process.stdout else ""
        self.base_url = line.split()[1]
        self.truth = [json.loads(row) for row in truth.read_text().splitlines()]
        return self

    def __exit__(self, *exc: object) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def save_pages(base_url: str, paths: list[str], folder: Path) -> None:
    """Fetch each article once (as sent, gzip or not) for the extraction ceiling."""
    pages = []
    for serial, path in enumerate(paths):
        request = urllib.request.Request(base_url + path, headers={"Accept-Encoding": "gzip"})
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
            if response.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            name = f"{serial}.html"
            (folder / name).write_bytes(body)
            pages.append(
                {
                    "url": base_url + path,
                    "file": name,
                    "content_type": response.headers.get("Content-Type"),
                }
            )
    (folder / "pages.json").write_text(json.dumps(pages))


def full_crawl(
    base_url: str, output: Path, extra: dict[str, str] | None = None, code: Path = ROOT
) -> Measure:
    settings = {
        **LOOPBACK_SETTINGS,
        "OUTPUT_DIR": str(output),
        "LOG_LEVEL": "WARNING",
        **(extra or {}),
    }
    return measure(
        [
            PY,
            "-m",
            "scrapy",
            "crawl",
            "koreaherald",
            "-a",
            f"base_url={base_url}",
            "-a",
            "since=2011-01-01",
            *settings_args(settings),
        ],
        cwd=code,
        code=code,
    )


def output_bytes(output: Path) -> dict[str, int]:
    return {
        kind: sum(path.stat().st_size for path in (output / kind).rglob(pattern))
        for kind, pattern in [
            ("warc", "*.warc.gz"),
            ("text", "*.jsonl.gz"),
            ("parquet", "*.parquet"),
        ]
    }


def parquet_text_bytes(output: Path) -> tuple[int, int]:
    import duckdb

    glob = f"{output}/parquet/**/*.parquet"
    with duckdb.connect() as db:
        rows, text = db.execute(
            f"SELECT count(*), sum(strlen(text)) FROM read_parquet('{glob}')"
        ).fetchone()
    return int(rows), int(text or 0)


def median(runs: list[Measure]) -> Measure:
    return Measure(
        *(
            statistics.median(getattr(run, name) for run in runs)
            for name in ("seconds", "cpu_seconds", "peak_rss_mb")
        )
    )


def row(name: str, runs: list[Measure], articles: int) -> dict[str, Any]:
    """Medians of `runs`, with the spread (lowest and highest run) of speed and CPU."""
    middle = median(runs)
    speeds = [articles / run.seconds for run in runs]
    cpu_ms = [1000 * run.cpu_seconds / articles for run in runs]
    return {
        "scenario": name,
        "articles": articles,
        "articles_per_s": round(articles / middle.seconds, 1),
        "articles_per_s_range": [round(min(speeds), 1), round(max(speeds), 1)],
        "cpu_s_per_article": round(middle.cpu_seconds / articles, 5),
        "cpu_ms_per_article_range": [round(min(cpu_ms), 2), round(max(cpu_ms), 2)],
        "peak_rss_mb": round(middle.peak_rss_mb, 1),
        "cpu_ms_per_article_by_role": cpu_ms_by_role(runs, articles),
        "runs": [asdict(run) for run in runs],
    }


def cpu_ms_by_role(runs: list[Measure], articles: int) -> dict[str, float]:
    """Median CPU milliseconds per article of each role seen in `runs`."""
    roles = sorted({role for run in runs for role in run.cpu_by_role})
    return {
        role: round(
            1000 * statistics.median(run.cpu_by_role.get(role, 0.0) for run in runs) / articles, 2
        )
        for role in roles
    }


def git_revision() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "nogit"


@contextmanager
def checkout(revision: str | None) -> Iterator[Path | None]:
    """The project's files at `revision` in a temporary folder (None without one), so an
    older release runs against the same replica in the same benchmark."""
    if not revision:
        yield None
        return
    with tempfile.TemporaryDirectory(prefix="bench-baseline-") as folder:
        archive = subprocess.run(
            ["git", "archive", "--format=tar", revision], cwd=ROOT, capture_output=True
        )
        if archive.returncode != 0:
            raise SystemExit(f"--baseline {revision!r}: not a revision of this clone")
        subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
        yield Path(folder)


def run_weight(
    articles: int,
    pad_kb: int,
    repeat: int,
    workers: int,
    baseline: Path | None,
) -> dict[str, Any]:
    """Every scenario `repeat` times against one replica whose pages weigh `pad_kb` KB
    (0 = the replica's own, about 10 KB)."""
    results: dict[str, Any] = {"pad_kb": pad_kb}
    rows: dict[str, dict[str, Any]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="bench-") as scratch,
        Replica(articles, pad_kb) as replica,
    ):
        work = Path(scratch)
        paths = [row["canonical_path"] for row in replica.truth]
        n = len(paths)
        outside = work / "outside-project"
        outside.mkdir()
        url_file = work / "urls.txt"
        url_file.write_text("\n".join(replica.base_url + path for path in paths))
        pages = work / "pages"
        pages.mkdir()
        save_pages(replica.base_url, paths, pages)
        results["html_kb_per_article"] = round(
            sum(path.stat().st_size for path in pages.glob("*.html")) / n / 1024, 1
        )

        scenarios: dict[str, Callable[[int], Measure]] = {}

        def scenario(name: str, make: Callable[[int], Measure]) -> None:
            scenarios[name] = make

        scenario(
            "fetch_ceiling",
            lambda i: measure(
                [
                    PY,
                    "-m",
                    "scrapy",
                    "runspider",
                    str(ROOT / "bench" / "fetch_spider.py"),
                    "-a",
                    f"urls={url_file}",
                    *settings_args(BARE),
                ],
                cwd=outside,
                expect_responses=n,
            ),
        )
        scenario(
            "extract_single",
            lambda i: measure(
                [PY, "-m", "bench.extract_ceiling", str(pages), "--workers", "0"], self_timed=True
            ),
        )
        scenario(
            "extract_pool",
            lambda i: measure(
                [PY, "-m", "bench.extract_ceiling", str(pages), "--workers", str(workers)],
                self_timed=True,
            ),
        )
        scenario("full_pipeline", lambda i: full_crawl(replica.base_url, work / f"full-{i}"))
        scenario(
            "full_without_rendering",
            lambda i: full_crawl(
                replica.base_url, work / f"norender-{i}", {"NEWS_RENDER_JS": "False"}
            ),
        )
        # WARC's cost is measured with rendering off on both sides: Chromium's CPU varies
        # from run to run by more than WARC writing costs.
        scenario(
            "full_without_rendering_or_warc",
            lambda i: full_crawl(
                replica.base_url,
                work / f"norender-nowarc-{i}",
                {"NEWS_RENDER_JS": "False", "WARC_ENABLED": "False"},
            ),
        )
        scenario(
            "naive_baseline",
            lambda i: measure(
                [
                    PY,
                    "-m",
                    "scrapy",
                    "runspider",
                    str(ROOT / "bench" / "naive_spider.py"),
                    "-a",
                    f"urls={url_file}",
                    "-O",
                    str(work / f"naive-{i}.jsonl"),
                    *settings_args({**BARE, "ITEM_PIPELINES": NAIVE_PIPELINE}),
                ],
                cwd=outside,
                expect_responses=n,
            ),
        )
        if baseline is not None:
            scenario(
                "full_pipeline_before",
                lambda i: full_crawl(replica.base_url, work / f"before-{i}", code=baseline),
            )
        # Round after round of every scenario, not each scenario's runs in a row: a burst of
        # the machine's noise then falls on one run of each, not on all runs of one.
        runs: dict[str, list[Measure]] = {name: [] for name in scenarios}
        for i in range(repeat):
            for name, make in scenarios.items():
                runs[name].append(make(i))
        for name, measured in runs.items():
            rows[name] = item = row(name, measured, n)
            print(
                f"  [{pad_kb} KB] {name}: {item['articles_per_s']} articles/s"
                f" {item['articles_per_s_range']}, {1000 * item['cpu_s_per_article']:.1f} ms CPU",
                flush=True,
            )

        written = output_bytes(work / "full-0")
        parquet_rows, text_bytes = parquet_text_bytes(work / "full-0")
        results["bytes_per_article"] = {k: round(v / n) for k, v in written.items()}
        results["parquet_rows"] = parquet_rows
        results["parquet_over_raw_text"] = round(written["parquet"] / text_bytes, 3)
    results["scenarios"] = rows
    results["ratios"] = ratios(rows)
    results["paired_ratios"] = paired_ratios(runs)
    return results


def ratios(rows: dict[str, dict[str, Any]]) -> dict[str, float]:
    """The targets' ratios, each between figures of the same run."""
    full = rows["full_pipeline"]["articles_per_s"]
    ceiling = min(rows["fetch_ceiling"]["articles_per_s"], rows["extract_pool"]["articles_per_s"])
    warc_cpu = rows["full_without_rendering"]["cpu_s_per_article"]
    no_warc_cpu = rows["full_without_rendering_or_warc"]["cpu_s_per_article"]
    found = {
        "full_over_lower_ceiling": round(full / ceiling, 3),
        "full_over_naive": round(full / rows["naive_baseline"]["articles_per_s"], 3),
        "pool_over_single_extraction": round(
            rows["extract_pool"]["articles_per_s"] / rows["extract_single"]["articles_per_s"], 3
        ),
        "warc_cpu_overhead": round(warc_cpu / no_warc_cpu - 1, 3),
    }
    if "full_pipeline_before" in rows:
        before = rows["full_pipeline_before"]
        found["cpu_over_before"] = round(
            rows["full_pipeline"]["cpu_s_per_article"] / before["cpu_s_per_article"], 3
        )
        found["speed_over_before"] = round(full / before["articles_per_s"], 3)
    return found


def paired_ratios(runs: dict[str, list[Measure]]) -> dict[str, Any]:
    """The targets' ratios within each round (runs made minutes apart), their median and
    spread: steadier than ratios of medians when the machine's load drifts."""
    pairs: dict[str, list[float]] = {
        "full_over_naive": [
            naive.seconds / full.seconds
            for full, naive in zip(runs["full_pipeline"], runs["naive_baseline"], strict=True)
        ],
    }
    if "full_pipeline_before" in runs:
        pairs["cpu_over_before"] = [
            full.cpu_seconds / before.cpu_seconds
            for full, before in zip(
                runs["full_pipeline"], runs["full_pipeline_before"], strict=True
            )
        ]
    return {
        name: {
            "median": round(statistics.median(values), 3),
            "range": [round(min(values), 3), round(max(values), 3)],
        }
        for name, values in pairs.items()
    }


def run(
    articles: int,
    weights: list[int],
    repeat: int,
    scale: int,
    workers: int,
    baseline_revision: str | None,
) -> dict[str, Any]:
    """Each weight in turn, then the full pipeline at `scale` x N at the first weight."""
    results: dict[str, Any] = {
        "articles": articles,
        "repeat": repeat,
        "cores": os.cpu_count(),
        "baseline_revision": baseline_revision,
        "weights": {},
    }
    with checkout(baseline_revision) as baseline:
        for pad_kb in weights:
            results["weights"][str(pad_kb)] = run_weight(
                articles, pad_kb, repeat, workers, baseline
            )
    heavy = results["weights"][str(weights[0])]
    with (
        Replica(articles * scale, weights[0]) as big,
        tempfile.TemporaryDirectory(prefix="bench-") as scratch,
    ):
        large = full_crawl(big.base_url, Path(scratch) / "full")
        heavy["scenarios"]["full_pipeline_scaled"] = row(
            "full_pipeline_scaled", [large], len(big.truth)
        )
    print(f"  full_pipeline_scaled: {heavy['scenarios']['full_pipeline_scaled']['articles_per_s']}")
    heavy["ratios"]["peak_rss_growth_n_to_scaled"] = round(
        heavy["scenarios"]["full_pipeline_scaled"]["peak_rss_mb"]
        / heavy["scenarios"]["full_pipeline"]["peak_rss_mb"]
        - 1,
        3,
    )
    return results


def table(results: dict[str, Any]) -> str:
    lines = []
    for pad_kb, weight in results["weights"].items():
        lines.append(f"pages padded to {pad_kb} KB ({weight['html_kb_per_article']} KB of HTML)")
        lines.append(
            f"{'scenario':31} {'articles':>8} {'art/s':>8} {'range':>13} {'CPU ms/art':>10}"
            f" {'range':>13} {'peak RSS MB':>12}"
        )
        for item in weight["scenarios"].values():
            speeds = "-".join(str(v) for v in item["articles_per_s_range"])
            cpu = "-".join(str(v) for v in item["cpu_ms_per_article_range"])
            lines.append(
                f"{item['scenario']:31} {item['articles']:>8} {item['articles_per_s']:>8}"
                f" {speeds:>13} {1000 * item['cpu_s_per_article']:>10.2f} {cpu:>13}"
                f" {item['peak_rss_mb']:>12}"
            )
        for name in ("full_pipeline", "full_pipeline_before"):
            if name in weight["scenarios"]:
                roles = weight["scenarios"][name]["cpu_ms_per_article_by_role"]
                split = ", ".join(f"{role} {ms}" for role, ms in roles.items())
                lines.append(f"CPU ms/article by role, {name}: {split}")
        lines.append("ratios: " + ", ".join(f"{k} {v}" for k, v in weight["ratios"].items()))
        lines.append(
            "paired ratios (median of the rounds', lowest-highest): "
            + ", ".join(
                f"{k} {v['median']} ({v['range'][0]}-{v['range'][1]})"
                for k, v in weight["paired_ratios"].items()
            )
        )
        lines.append(
            "bytes per article: "
            + ", ".join(f"{k} {v}" for k, v in weight["bytes_per_article"].items())
            + f"; parquet / raw text {weight['parquet_over_raw_text']}"
        )
    return "\n".join(lines)


def save_results(results: dict[str, Any], out: Path, kind: str) -> Path:
    """Stamp `results` with the date and revision and write `<kind>-<date>-<rev>.json`
    atomically, so an interrupted benchmark leaves no half file."""
    results["date"] = datetime.now(UTC).isoformat(timespec="seconds")
    results["revision"] = git_revision()
    path = out / f"{kind}-{datetime.now(UTC):%Y%m%dT%H%M}-{results['revision']}.json"
    write_json_atomic(path, results)
    return path


def weights_argument(text: str) -> list[int]:
    try:
        weights = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected KB numbers like 120,0") from None
    if not weights or min(weights) < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected KB numbers like 120,0")
    return weights


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument(
        "--pad-kb",
        type=weights_argument,
        default=[120, 0],
        help="page weights in KB, comma-separated, the realistic first (0 = unpadded, ~10 KB)",
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scale", type=int, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--baseline",
        metavar="REVISION",
        help="also run the full pipeline of this git revision (e.g. the last release)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    results = run(args.articles, args.pad_kb, args.repeat, args.scale, args.workers, args.baseline)
    path = save_results(results, args.out, "pipeline")
    print(table(results))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
