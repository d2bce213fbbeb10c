"""Honest accounting: known-bad drops are no loss; anything else makes a run partial."""

from __future__ import annotations

from crawler.accounting import drops, losses
from crawler.extensions.report import politeness_by_host
from crawler.nightly import ExitCode, classify

#: One site's part of a report (its `site/<name>/...` counters).
HEALTHY = {
    "response_count": 42,
    "response_status_count/200": 40,
    # Attempts that were retried and later worked are no drop and no error.
    "response_status_count/429": 2,
    "exception_count/DownloadTimeoutError": 2,
}


def _report(**stats: int) -> dict:
    return {"finish_reason": "finished", "stats": {**HEALTHY, **stats}}


def classify_part(part: dict) -> tuple[ExitCode, dict]:
    return classify(part, part, 0, "")


def test_known_bad_drops_leave_the_run_ok() -> None:
    report = _report(
        **{
            "dropped/decompressed_too_large": 1,
            "dropped/scheme/ftp": 3,
            "dropped/listing_trap": 4,
            "dropped/extract_timeout": 1,
        }
    )
    assert losses(report["stats"]) == {}
    assert drops(report["stats"])["scheme/ftp"] == 3
    assert classify_part(report) == (ExitCode.OK, {})


def test_a_drop_that_may_hide_a_good_page_makes_the_run_partial() -> None:
    report = _report(**{"dropped/retry_after_exhausted": 1, "dropped/extract_crash": 1})
    code, errors = classify_part(report)
    assert code == ExitCode.PARTIAL
    assert errors == {"dropped_retry_after_exhausted": 1, "dropped_extract_crash": 1}
    report = _report(**{"dropped/download_error/ConnectionRefusedError": 2})
    assert classify_part(report)[1] == {"dropped_download_error_ConnectionRefusedError": 2}


def test_politeness_per_host_in_the_report() -> None:
    stats = {
        "politeness/delay/a.example": 3.0,
        "politeness/crawl_delay/a.example": 3.0,
        "politeness/events/a.example/backoff/http_503": 2,
        "politeness/events/a.example/retry_after": 1,
    }
    assert politeness_by_host(stats) == {
        "a.example": {
            "delay": 3.0,
            "crawl_delay": 3.0,
            "events": {"backoff/http_503": 2, "retry_after": 1},
        }
    }
