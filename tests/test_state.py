"""The crawl state: stored vs seen articles, and state files from an older version."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from crawler.state import CrawlState

NOW = datetime(2026, 11, 20, tzinfo=UTC)


def _record(text: str) -> dict:
    return {
        "article_id": "10000001",
        "url": "http://x/article/10000001",
        "crawled_at": NOW,
        "published_at": NOW,
        "text": text,
        "etag": '"a"',
        "payload_digest": "sha1:A",
    }


def test_stored_versions_and_seen(tmp_path: Path) -> None:
    state = CrawlState(tmp_path / "crawl.sqlite3")
    state.record_stored([_record("one text")])
    state.record_stored([_record("one text")])
    state.record_stored([_record("another text")])
    known = state.lookup("10000001")
    assert known is not None and known.stored and known.etag == '"a"'
    version = (
        sqlite3.connect(tmp_path / "crawl.sqlite3")
        .execute("SELECT version FROM articles")
        .fetchone()[0]
    )
    assert version == 2
    state.record_seen("10000002", "http://x/article/10000002", NOW, NOW)
    seen = state.lookup("10000002")
    assert seen is not None and not seen.stored and seen.published_at == NOW
    state.record_seen("10000001", "http://x/article/10000001", None, NOW)
    assert state.lookup("10000001").stored


def test_state_from_an_older_version_gains_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "crawl.sqlite3"
    old = sqlite3.connect(path)
    old.execute(
        "CREATE TABLE articles (article_id TEXT PRIMARY KEY, urls TEXT NOT NULL,"
        " first_fetched TEXT NOT NULL, last_fetched TEXT NOT NULL, published_at TEXT,"
        " etag TEXT, last_modified TEXT, payload_digest TEXT, warc_date TEXT,"
        " warc_target_uri TEXT, content_hash TEXT)"
    )
    old.execute(
        "INSERT INTO articles (article_id, urls, first_fetched, last_fetched)"
        " VALUES ('1', '[]', 'x', 'x')"
    )
    old.commit()
    old.close()
    known = CrawlState(path).lookup("1")
    assert known is not None and known.stored
