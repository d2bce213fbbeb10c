"""`newscrawl-nightly SITE [SITE...]` (or `--all`): the cron entry point. One run: lock, one
crawl of every site, export, report.

Each site's window starts where that site's last successful run started, minus a safety
margin; stored articles are skipped and recent ones re-checked (see crawler.incremental).
Every site is judged on its own; the run exits with the worst site's code and says which.
A run stopped with SIGINT/SIGTERM closes cleanly (Scrapy finishes in-flight pages, the text
store and Parquet are flushed); a run killed with SIGKILL leaves complete files only, and the
next run re-discovers its window and exports what the killed run had stored.

Exit codes (documented in the README): see `ExitCode`.
"""

from __future__ import annotations

import argparse
import errno
import fcntl
import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from pathlib import Path
from typing import Any, NoReturn

from crawler.accounting import is_known_bad
from crawler.checks import writable_directory
from crawler.errors import ConfigError
from crawler.files import write_json_atomic
from crawler.run import crawl_now, new_run_id
from crawler.state import SINGLE_SITE_RELEASE_SITE


class ExitCode(IntEnum):
    OK = 0
    PARTIAL = 10  # the run finished, but some pages failed
    UNREACHABLE = 11  # the site could not be reached, or it is blocking us
    DRIFT = 12  # extraction drift alarm: a field's fill rate fell below the floor
    DISK_FULL = 13  # out of disk space (before or during the run)
    LOCKED = 14  # another run holds the lock; nothing was touched
    BAD_CONFIG = 15  # bad arguments or settings


#: Which site's code becomes the run's: the most severe, in this order.
SEVERITY = (ExitCode.OK, ExitCode.PARTIAL, ExitCode.DRIFT, ExitCode.UNREACHABLE, ExitCode.DISK_FULL)


STATE_NAME = "nightly.json"
CRAWL_ERROR_PREFIX = "scrapy crawl: "  # how `scrapy crawl` reports a bad argument or setting
LOCK_NAME = "nightly.lock"


class _Parser(argparse.ArgumentParser):
    """Bad flags are a ConfigError, so they print as one line and exit 15 like the rest."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(message)


def _pairs(values: list[str], flag: str) -> dict[str, str]:
    pairs = {}
    for value in values:
        name, sep, setting = value.partition("=")
        if not sep or not name:
            raise ConfigError(f"{flag} takes NAME=VALUE, got {value!r}")
        pairs[name] = setting
    return pairs


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = _Parser(
        prog="newscrawl-nightly",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "sites", nargs="*", metavar="SITE", help="shipped site names, e.g. koreaherald koreatimes"
    )
    parser.add_argument("--all", action="store_true", help="every shipped site")
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="PATH",
        help="a site profile file outside the repository (repeatable)",
    )
    parser.add_argument("--output-dir", type=Path, default=Path("output"))
    parser.add_argument(
        "-a",
        dest="spider_args",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="spider argument (base_url, sections, ...)",
    )
    parser.add_argument(
        "-s",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="Scrapy setting",
    )
    parser.add_argument(
        "--margin-hours",
        type=float,
        default=None,
        help="window starts this long before the last successful run started"
        " (default: the NIGHTLY_SAFETY_MARGIN_HOURS setting, 6)",
    )
    parser.add_argument(
        "--first-window-days", type=float, default=2.0, help="window of the very first run"
    )
    parser.add_argument("--keep-logs-days", type=float, default=14.0)
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="crawl processes on one shared crawl in Redis (default 1: one process, SQLite)",
    )
    parser.add_argument(
        "--redis-url",
        default="",
        help="the shared Redis (with --workers); default: a private redis-server keeping its"
        " data in OUTPUT_DIR/state/redis",
    )
    parser.add_argument(
        "--min-free-mb",
        type=float,
        default=500.0,
        help="refuse to start with less free disk than this",
    )
    return parser.parse_args(argv)


@contextmanager
def run_lock(state_dir: Path) -> Iterator[bool]:
    """An exclusive, non-blocking flock; yields False when another run holds it."""
    state_dir.mkdir(parents=True, exist_ok=True)
    with (state_dir / LOCK_NAME).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


#: Per-site keys of the nightly state.
_SITE_KEYS = ("last_success_started_at", "last_success_run_id")


def load_state(state_dir: Path) -> dict[str, Any]:
    """The nightly state, per site. The single-site release kept one window at the top
    level: it was that site's, and becomes so."""
    path = state_dir / STATE_NAME
    state = json.loads(path.read_text()) if path.exists() else {}
    if any(key in state for key in _SITE_KEYS):
        single = state.setdefault("sites", {}).setdefault(SINGLE_SITE_RELEASE_SITE, {})
        for key in _SITE_KEYS:
            if key in state:
                single.setdefault(key, state.pop(key))
    state.setdefault("sites", {})
    return state


def save_state(state_dir: Path, state: dict[str, Any]) -> None:
    write_json_atomic(state_dir / STATE_NAME, state)


def prune_logs(log_dir: Path, keep_days: float, now: float) -> int:
    removed = 0
    for path in log_dir.glob("*.log"):
        if now - path.stat().st_mtime > keep_days * 86400:
            path.unlink()
            removed += 1
    return removed


def window_start(
    state: dict[str, Any], now: datetime, margin_hours: float, first_window_days: float
) -> datetime:
    last = state.get("last_success_started_at")
    if last:
        return datetime.fromisoformat(last) - timedelta(hours=margin_hours)
    return now - timedelta(days=first_window_days)


def margin_hours(args: argparse.Namespace, settings: dict[str, str]) -> float:
    """The CLI flag, else `-s NIGHTLY_SAFETY_MARGIN_HOURS=...`, else the project setting."""
    if args.margin_hours is not None:
        return args.margin_hours
    if "NIGHTLY_SAFETY_MARGIN_HOURS" in settings:
        value = settings["NIGHTLY_SAFETY_MARGIN_HOURS"]
        try:
            return float(value)
        except ValueError:
            raise ConfigError(f"NIGHTLY_SAFETY_MARGIN_HOURS={value!r}: expected hours") from None
    from scrapy.utils.project import get_project_settings

    return get_project_settings().getfloat("NIGHTLY_SAFETY_MARGIN_HOURS", 6.0)


def crawl_command(
    args: argparse.Namespace,
    run_id: str,
    log_path: Path,
    sites: list[str],
    since: dict[str, datetime],
    spider_args: dict[str, str],
    settings: dict[str, str],
) -> list[str]:
    from crawler.sites import shipped_profiles

    command = [sys.executable, "-m", "scrapy", "crawl", "news"]
    profile_names = {load_name(Path(p)) for p in args.profile}
    shipped = [site for site in sites if site in shipped_profiles() and site not in profile_names]
    arguments = {
        "sites": ",".join(shipped),
        "since": ",".join(f"{site}={moment.isoformat()}" for site, moment in since.items()),
        **spider_args,
    }
    if args.profile:
        arguments["profile"] = ",".join(str(Path(p).resolve()) for p in args.profile)
    for name, value in arguments.items():
        if value:
            command += ["-a", f"{name}={value}"]
    merged = {
        "OUTPUT_DIR": str(args.output_dir),
        "RUN_ID": run_id,
        "LOG_FILE": str(log_path),
        **settings,
    }
    for name, value in merged.items():
        command += ["-s", f"{name}={value}"]
    return command


#: Download errors whose pages end as a counted drop (crawler.limits), retried or not.
_JUDGED_BY_DROPS = frozenset({"DownloadTimeoutError", "DownloadCancelledError"})
#: Answers that are retried after their Retry-After (crawler.politeness); a page that still
#: gets one is dropped as retry_after_exhausted, which counts.
_RETRIED_STATUSES = frozenset({"429", "503"})


def classify(
    part: dict[str, Any], report: dict[str, Any], returncode: int, log_text: str
) -> tuple[ExitCode, dict[str, int]]:
    """Turn one site's part of a crawl report into an exit code and the errors behind it.

    A page dropped for a known-bad reason (crawler.accounting) is not an error: a run is
    partial only when pages that may have been good were lost. Timeouts, oversized bodies and
    429/503 answers are judged by their drops (final outcomes), not by each attempt.
    """
    stats = part.get("stats", {})
    errors: dict[str, int] = {}
    for key, value in stats.items():
        if key.startswith("exception_count/"):
            kind = key.removeprefix("exception_count/")
            if kind not in _JUDGED_BY_DROPS:
                errors[kind] = value
        elif key.startswith("response_status_count/") and key.rsplit("/", 1)[-1][0] in "45":
            if key.rsplit("/", 1)[-1] not in _RETRIED_STATUSES:
                errors[f"http_{key.rsplit('/', 1)[-1]}"] = value
        elif key.startswith("dropped/"):
            reason = key.removeprefix("dropped/")
            if not is_known_bad(reason):
                errors[f"dropped_{reason.replace('/', '_')}"] = value
        elif key.startswith("extract/failed/"):
            errors[f"extract_{key.rsplit('/', 1)[-1]}"] = value
    if "No space left on device" in log_text or "ENOSPC" in log_text:
        return ExitCode.DISK_FULL, errors
    statuses = {
        key.rsplit("/", 1)[-1]: value
        for key, value in stats.items()
        if key.startswith("response_status_count/")
    }
    ok_responses = sum(v for code, v in statuses.items() if code.startswith("2") or code == "304")
    blocked = sum(statuses.get(code, 0) for code in ("401", "403", "429"))
    if not report or ok_responses == 0 or blocked > ok_responses:
        return ExitCode.UNREACHABLE, errors
    if part.get("drift_alarm"):
        return ExitCode.DRIFT, errors
    failed_pages = sum(v for k, v in errors.items() if not k.startswith("http_404"))
    interrupted = report.get("finish_reason") != "finished"
    if returncode != 0 or failed_pages or interrupted:
        return ExitCode.PARTIAL, errors
    return ExitCode.OK, errors


def summarise(part: dict[str, Any], errors: dict[str, int], seconds: float) -> dict[str, Any]:
    """One site's figures for the morning: what was fetched, kept, skipped and written."""
    stats = part.get("stats", {})
    exported = stats.get("export/rows", 0)
    versions = stats.get("export/versions", 0)
    return {
        "pages_fetched": stats.get("response_count", 0),
        "new_articles": exported - versions,
        "updated_articles": versions,
        "unchanged_rechecks": sum(
            v for k, v in stats.items() if k.startswith("incremental/unchanged/")
        ),
        "skipped_stored": stats.get("incremental/skipped_stored", 0),
        "duplicates_dropped": sum(
            v for k, v in stats.items() if k.startswith("export/duplicates/")
        ),
        "errors": errors,
        "bytes_written": {
            "warc": stats.get("warc/bytes_written", 0),
            "text_records": stats.get("textstore/records", 0),
            "parquet": stats.get("export/bytes", 0),
        },
        "duration_s": round(seconds, 1),
    }


def one_line(name: str, code: ExitCode, summary: dict[str, Any]) -> str:
    errors = ", ".join(f"{k} {v}" for k, v in sorted(summary["errors"].items())) or "none"
    written = summary["bytes_written"]
    return (
        f"{name} {code.name.lower()}: {summary['pages_fetched']} pages,"
        f" {summary['new_articles']} new, {summary['updated_articles']} updated,"
        f" {summary['unchanged_rechecks']} unchanged re-checks,"
        f" {summary['duplicates_dropped']} duplicates dropped; errors: {errors};"
        f" wrote warc {written['warc']} B, text {written['text_records']} records,"
        f" parquet {written['parquet']} B in {summary['duration_s']} s"
    )


def load_name(path: Path) -> str:
    from crawler.sites import load_profile

    return load_profile(path).name


def worst(codes: dict[str, ExitCode]) -> tuple[ExitCode, str | None]:
    """The most severe site code, and the site that gave it (None when all are ok)."""
    site, code = max(codes.items(), key=lambda item: SEVERITY.index(item[1]))
    return code, (site if code != ExitCode.OK else None)


def selected_sites(args: argparse.Namespace) -> list[str]:
    """Site names from the arguments, checked against the shipped and given profiles."""
    from crawler.sites import find_profile, shipped_profiles

    names = list(shipped_profiles()) if args.all else [find_profile(s).name for s in args.sites]
    names += [load_name(Path(path)) for path in args.profile]
    if not names:
        raise ConfigError("name at least one site (e.g. koreaherald), or --all, or --profile PATH")
    return list(dict.fromkeys(names))


def run(args: argparse.Namespace) -> ExitCode:
    spider_args = _pairs(args.spider_args, "-a")
    settings = _pairs(args.settings, "-s")
    sites = selected_sites(args)
    state_dir = args.output_dir / "state"
    if args.workers < 1:
        raise ConfigError(f"--workers must be 1 or more, got {args.workers}")
    with _locks(args, state_dir, settings) as locked:
        if not locked:
            print(f"another run holds {state_dir / LOCK_NAME}; exiting", file=sys.stderr)
            return ExitCode.LOCKED
        free_mb = shutil.disk_usage(args.output_dir).free / 2**20
        if free_mb < args.min_free_mb:
            print(f"only {free_mb:.0f} MB free under {args.output_dir}", file=sys.stderr)
            return ExitCode.DISK_FULL
        state = load_state(state_dir)
        run_id = new_run_id()
        started = datetime.now(UTC)
        # The crawl's clock: windows are measured on it, so a pinned clock pins them too.
        now = crawl_now(settings) if settings.get("CRAWL_NOW") else started
        given_since = spider_args.pop("since", None)
        margin = margin_hours(args, settings)
        since_at = {
            site: _since(given_since)
            if given_since
            else window_start(state["sites"].get(site, {}), now, margin, args.first_window_days)
            for site in sites
        }
        log_dir = args.output_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        prune_logs(log_dir, args.keep_logs_days, time.time())
        log_path = log_dir / f"{run_id}.log"
        state["current_run"] = {"run_id": run_id, "started_at": now.isoformat(), "sites": sites}
        save_state(state_dir, state)
        command = crawl_command(args, run_id, log_path, sites, since_at, spider_args, settings)
        if args.workers > 1 or args.redis_url:
            returncode, crawl_errors = _run_workers(args, command, run_id, log_dir, settings, sites)
        else:
            returncode, crawl_errors = _run_forwarding_signals(command)
        seconds = (datetime.now(UTC) - started).total_seconds()
        report_path = args.output_dir / "runs" / f"{run_id}.json"
        report = json.loads(report_path.read_text()) if report_path.exists() else {}
        # One log per crawl process: `<run_id>.log`, or `<run_id>-w<N>.log` per worker.
        logs = sorted(log_dir.glob(f"{run_id}*.log"))
        log_text = "".join(path.read_text(errors="replace") for path in logs)
        if returncode != 0 and not report:
            # The crawl never opened: an unknown spider, a bad argument or setting.
            state.pop("current_run", None)
            save_state(state_dir, state)
            reasons = [
                line.removeprefix(CRAWL_ERROR_PREFIX)
                for line in crawl_errors.splitlines()
                if line.startswith(CRAWL_ERROR_PREFIX)
            ]
            if reasons:  # the crawl command's one line: a bad argument, setting or path
                raise ConfigError(reasons[-1])
            reason = _last_error_line(log_text)
            print(f"{run_id} bad_config: the crawl did not start: {reason}", file=sys.stderr)
            return ExitCode.BAD_CONFIG
        sys.stderr.write(crawl_errors)
        codes: dict[str, ExitCode] = {}
        for site in sites:
            part = report.get("sites", {}).get(site, {})
            code, errors = classify(part, report, returncode, log_text)
            codes[site] = code
            part.update(
                exit_code=int(code),
                status=code.name.lower(),
                window_since=since_at[site].isoformat(),
                summary=summarise(part, errors, seconds),
            )
            report.setdefault("sites", {})[site] = part
            site_state = state["sites"].setdefault(site, {})
            if (
                code in (ExitCode.OK, ExitCode.PARTIAL, ExitCode.DRIFT)
                and report.get("finish_reason") == "finished"
            ):
                site_state["last_success_started_at"] = now.isoformat()
                site_state["last_success_run_id"] = run_id
            site_state["last_run"] = {"run_id": run_id, "exit_code": int(code)}
        code, culprit = worst(codes)
        report.update(
            {
                "run_id": run_id,
                "exit_code": int(code),
                "status": code.name.lower(),
                "exit_code_site": culprit,
                "log_file": str(log_path),
            }
        )
        write_json_atomic(report_path, report)
        state.pop("current_run", None)
        state["last_run"] = {
            "run_id": run_id,
            "exit_code": int(code),
            "status": code.name.lower(),
            "site": culprit,
        }
        save_state(state_dir, state)
        _refresh_report(args.output_dir, settings)
        for site in sites:
            print(one_line(site, codes[site], report["sites"][site]["summary"]))
        blame = f" (from {culprit})" if culprit else ""
        print(f"{run_id} {code.name.lower()}{blame}: {len(sites)} sites in {seconds:.1f} s")
        return code


@contextmanager
def _locks(args: argparse.Namespace, state_dir: Path, settings: dict[str, str]) -> Iterator[bool]:
    """The lock file of OUTPUT_DIR; with a given Redis, also its lock key (the state is there)."""
    from crawler.shared.coordinator import redis_lock

    with ExitStack() as stack:
        locked = stack.enter_context(run_lock(state_dir))
        if locked and args.redis_url:
            prefix = settings.get("SHARED_KEY_PREFIX", "newscrawl")
            locked = stack.enter_context(redis_lock(args.redis_url, prefix))
        yield locked


def _run_workers(
    args: argparse.Namespace,
    command: list[str],
    run_id: str,
    log_dir: Path,
    settings: dict[str, str],
    sites: list[str],
) -> tuple[int, str]:
    """`--workers N`: N crawl processes on one shared crawl, one export, one merged report."""
    from scrapy.utils.project import get_project_settings

    from crawler.shared.coordinator import forget_crawl, run_shared, shared_redis, worker_settings
    from crawler.shared.join import publish_command
    from crawler.sites import find_profile, load_profile

    project = get_project_settings()
    project.setdict(settings, priority="cmdline")
    profiles = [find_profile(s) for s in sites if s not in map(load_name, map(Path, args.profile))]
    profiles += [load_profile(Path(path)) for path in args.profile]
    floors = {profile.name: dict(profile.drift_floors) for profile in profiles}
    # Workers on other machines join a crawl they can name: `-s SHARED_CRAWL_ID=...`.
    crawl_id = settings.get("SHARED_CRAWL_ID") or run_id
    with shared_redis(args.redis_url, args.output_dir / "state") as redis_url:
        project.set("REDIS_URL", redis_url, priority="cmdline")
        project.set("SHARED_CRAWL_ID", crawl_id, priority="cmdline")
        publish_command(redis_url, project.get("SHARED_KEY_PREFIX"), crawl_id, command[1:])
        commands = []
        for number in range(args.workers):
            worker = worker_settings(run_id, crawl_id, number, redis_url, log_dir)
            pairs = [["-s", f"{name}={value}"] for name, value in worker.items()]
            commands.append(command + [arg for pair in pairs for arg in pair])
        try:
            return run_shared(commands, run_id, args.output_dir, project, floors)
        finally:
            forget_crawl(redis_url, project.get("SHARED_KEY_PREFIX"), crawl_id)


def _since(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"since={value!r}: expected YYYY-MM-DD or an ISO datetime") from None


def _refresh_report(output_dir: Path, overrides: dict[str, str]) -> None:
    """Redraw OUTPUT_DIR/report/index.html; a report that fails to draw leaves the code alone."""
    from scrapy.utils.project import get_project_settings

    from crawler.report import DriftFloor, write_report

    settings = get_project_settings()
    settings.setdict(overrides, priority="cmdline")
    try:
        write_report(output_dir, DriftFloor.from_settings(settings))
    except Exception as error:  # the run's outcome is already decided and recorded
        print(f"newscrawl-nightly: report not refreshed: {error}", file=sys.stderr)


def _last_error_line(log_text: str) -> str:
    """The crawl's own one-line reason, if its log has one."""
    lines = [line for line in log_text.splitlines() if "ERROR" in line or "Error" in line]
    return lines[-1].split("] ", 1)[-1].strip() if lines else "see the log"


def _run_forwarding_signals(command: list[str]) -> tuple[int, str]:
    """Run the crawl; SIGINT/SIGTERM to us go to it, so it can close cleanly.

    Returns its exit code and its stderr (the log goes to LOG_FILE), which holds the one-line
    message of a bad argument or setting.
    """
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as stderr:
        process = subprocess.Popen(command, stderr=stderr)

        def forward(signum: int, _frame: Any) -> None:
            if process.poll() is None:
                process.send_signal(signum)

        previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            returncode = process.wait()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        stderr.seek(0)
        return returncode, stderr.read()


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(argv)
        writable_directory(args.output_dir, "--output-dir")
        return int(run(args))
    except SystemExit as exc:  # --help
        return ExitCode.BAD_CONFIG if exc.code else ExitCode.OK
    except (ConfigError, ValueError) as exc:
        print(f"newscrawl-nightly: {exc}", file=sys.stderr)
        return ExitCode.BAD_CONFIG
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            print(f"newscrawl-nightly: out of disk: {exc}", file=sys.stderr)
            return ExitCode.DISK_FULL
        raise


if __name__ == "__main__":
    raise SystemExit(main())
