"""What the corpus report shows, read with DuckDB from the Parquet corpus and the run reports.

Run reports come in two shapes: one site per report (`spider`, `stats`, `fill_rates`, and the
nightly runner's `summary`, `exit_code`, `status`), or several under `sites: {name: {...}}`,
each entry shaped like a one-site report. A report without a `summary` (a plain `scrapy crawl`)
gets the one the nightly runner would have computed from its stats.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from crawler.checks import float_setting, int_setting
from crawler.extract import TRACKED_FIELDS
from crawler.nightly import classify, summarise
from crawler.sites import shipped_profiles

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

TOP_AUTHORS = 15
OUTPUTS = ("warc", "text", "parquet")


@dataclass(frozen=True, slots=True)
class DriftFloor:
    """DRIFT_MIN_FILL_RATE and DRIFT_MIN_PAGES, as the run report judged drift."""

    min_fill_rate: float = 0.9
    min_pages: int = 10

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> DriftFloor:
        return cls(
            min_fill_rate=float_setting(settings, "DRIFT_MIN_FILL_RATE", 0.9, minimum=0),
            min_pages=int_setting(settings, "DRIFT_MIN_PAGES", 10, minimum=0),
        )


@dataclass(slots=True)
class Run:
    """One run of one site."""

    run_id: str
    started: datetime
    exit_code: int | None  # None: not a nightly run
    status: str
    summary: dict[str, Any]
    bytes_written: dict[str, int]  # warc, text, parquet; text only where the report has it
    fill_rates: dict[str, dict[str, Any]]
    articles: int  # pages extracted as articles
    drift_alarms: list[str]

    @property
    def articles_per_second(self) -> float:
        seconds = self.summary.get("duration_s") or 0
        return round(self.articles / seconds, 2) if seconds else 0.0


@dataclass(slots=True)
class Site:
    name: str
    runs: list[Run] = field(default_factory=list)  # oldest first
    per_day: list[tuple[date, str, int]] = field(default_factory=list)  # day, section, articles
    authors: list[tuple[str, int]] = field(default_factory=list)  # most articles first
    rows: int = 0  # Parquet rows, versions included
    articles: int = 0  # distinct articles (first versions)
    floors: dict[str, float] = field(default_factory=dict)  # the profile's own, per field


@dataclass(slots=True)
class Corpus:
    output_dir: Path
    drift: DriftFloor
    sites: list[Site]
    generated_at: datetime


def load(output_dir: Path, drift: DriftFloor) -> Corpus:
    sites: dict[str, Site] = {}
    with duckdb.connect() as db:
        db.execute("SET TimeZone = 'UTC'")
        for report in _run_reports(db, output_dir / "runs"):
            for name, run in _runs(report):
                sites.setdefault(name, Site(name)).runs.append(run)
        if _parquet_files(output_dir / "parquet"):
            _read_corpus(db, output_dir / "parquet", sites)
    shipped = shipped_profiles()
    for site in sites.values():
        site.runs.sort(key=lambda run: (run.started, run.run_id))
        if site.name in shipped:
            site.floors = dict(shipped[site.name].drift_floors)
    return Corpus(output_dir, drift, sorted(sites.values(), key=lambda s: s.name), _now())


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _parquet_files(root: Path) -> bool:
    return any(not path.name.startswith(".") for path in root.glob("**/*.parquet"))


def _run_reports(db: duckdb.DuckDBPyConnection, runs_dir: Path) -> Iterator[dict[str, Any]]:
    """Every run report, whole; temporary files (dot-prefixed) are not matched."""
    if not any(runs_dir.glob("[!.]*.json")):
        return
    rows = db.execute(
        "SELECT filename, json FROM read_json_objects(?, format = 'unstructured',"
        " filename = true, maximum_object_size = 268435456) ORDER BY filename",
        [str(runs_dir / "[!.]*.json")],
    ).fetchall()
    for _, text in rows:
        report = json.loads(text)
        if isinstance(report, dict):
            yield report


def _runs(report: dict[str, Any]) -> Iterator[tuple[str, Run]]:
    sites = report.get("sites")
    if isinstance(sites, dict) and sites:
        for name, part in sites.items():
            yield str(name), _run(report, part, shared=len(sites) == 1)
    else:
        yield str(report.get("site") or report.get("spider") or "unknown"), _run(report, report)


def _run(report: dict[str, Any], part: dict[str, Any], *, shared: bool = True) -> Run:
    """One site's run: `part` is the site's entry, `report` the whole run's report.

    `shared`: the site is the run's only one, so the run's own figures are the site's too.
    """
    stats = part.get("stats") or {}
    whole = report.get("stats") or {}
    summary = part.get("summary") or (report.get("summary") if shared else None)
    if not summary:
        _, errors = classify(part, report, 0, "")
        seconds = stats.get("elapsed_time_seconds") or whole.get("elapsed_time_seconds") or 0
        summary = summarise(part, errors, float(seconds))
    written = {k: int(v) for k, v in summary.get("bytes_written", {}).items() if k in OUTPUTS}
    if "text" not in written and shared and "textstore/bytes" in whole:
        written["text"] = int(whole["textstore/bytes"])
    exit_code = part.get("exit_code", report.get("exit_code"))
    return Run(
        run_id=str(report.get("run_id") or part.get("run_id") or ""),
        started=_started(report, stats),
        exit_code=None if exit_code is None else int(exit_code),
        status=str(part.get("status") or report.get("status") or report.get("finish_reason") or ""),
        summary=summary,
        bytes_written=written,
        fill_rates=part.get("fill_rates") or {},
        articles=int(stats.get("extract/articles", 0)),
        drift_alarms=list(part.get("drift_alarms") or []),
    )


def _started(report: dict[str, Any], stats: dict[str, Any]) -> datetime:
    value = stats.get("start_time") or report.get("stats", {}).get("start_time")
    if value:
        moment = datetime.fromisoformat(str(value))
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    run_id = str(report.get("run_id") or "")
    try:  # ids start with the UTC start time (crawler.run.new_run_id)
        return datetime.strptime(run_id[:16], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def _read_corpus(db: duckdb.DuckDBPyConnection, root: Path, sites: dict[str, Site]) -> None:
    glob = str(root / "**" / "*.parquet").replace("'", "''")  # a view takes no parameters
    db.execute(
        f"CREATE VIEW corpus AS SELECT * FROM read_parquet('{glob}', union_by_name = true,"
        " hive_partitioning = false)"
    )
    for name, rows, articles in db.execute(
        "SELECT site, count(*), count(*) FILTER (WHERE version = 1) FROM corpus GROUP BY site"
    ).fetchall():
        site = sites.setdefault(name, Site(name))
        site.rows, site.articles = rows, articles
    for name, day, section, articles in db.execute(
        """
        SELECT site, coalesce(CAST(published_at AS DATE), crawl_date) AS day,
               coalesce(section, '(none)') AS section, count(*) AS articles
        FROM corpus WHERE version = 1 GROUP BY ALL ORDER BY site, day, section
        """
    ).fetchall():
        if day is not None:
            sites[name].per_day.append((day, section, articles))
    for name, author, articles in db.execute(
        """
        SELECT site, author, articles FROM (
            SELECT site, author, count(*) AS articles,
                   row_number() OVER (PARTITION BY site ORDER BY count(*) DESC, author) AS rank
            FROM (SELECT site, unnest(authors) AS author FROM corpus WHERE version = 1)
            GROUP BY site, author)
        WHERE rank <= ? ORDER BY site, rank
        """,
        [TOP_AUTHORS],
    ).fetchall():
        sites[name].authors.append((author, articles))


def worst_fill_rates(run: Run, drift: DriftFloor) -> dict[str, tuple[float, str]]:
    """Per tracked field, the lowest rate among judged templates and that template.

    The drift alarm fires when any judged template falls below the floor, so the lowest rate
    is the one to draw against it; with no template judged yet, all templates are pooled.
    """
    judged = {t: r for t, r in run.fill_rates.items() if r.get("pages", 0) >= drift.min_pages}
    worst: dict[str, tuple[float, str]] = {}
    for name in TRACKED_FIELDS:
        if judged:
            template = min(judged, key=lambda t: judged[t].get(name, 0.0))
            worst[name] = (float(judged[template].get(name, 0.0)), template)
        elif run.fill_rates:
            pages = sum(r.get("pages", 0) for r in run.fill_rates.values())
            filled = sum(r.get("pages", 0) * r.get(name, 0.0) for r in run.fill_rates.values())
            worst[name] = (round(filled / pages, 4) if pages else 0.0, "all templates")
    return worst
