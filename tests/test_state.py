"""The crawl state: stored vs seen articles keyed by (site, id), and state files from older
releases migrated in place."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from crawler.dedup import DedupConfig, DedupIndex
from crawler.items import Article
from crawler.nightly import load_state
from crawler.state import CrawlState

NOW = datetime(2026, 11, 20, tzinfo=UTC)
SINGLE_SITE_STATE = Path(__file__).parent / "fixtures" / "state-v1"


def _record(text: str, site: str = "koreaherald") -> Article:
    article = Article(
        site=site,
        article_id="10000001",
        url=f"http://{site}.example/article/10000001",
        crawled_at=NOW,
        published_at=NOW,
        etag='"a"',
        payload_digest="sha1:A",
    )
    article.set_paragraphs([text])
    return article


def test_stored_versions_and_seen(tmp_path: Path) -> None:
    state = CrawlState(tmp_path / "crawl.sqlite3")
    state.record_stored([_record("one text")])
    state.record_stored([_record("one text")])
    state.record_stored([_record("another text")])
    known = state.lookup("koreaherald", "10000001")
    assert known is not None and known.stored and known.etag == '"a"'
    version = (
        sqlite3.connect(tmp_path / "crawl.sqlite3")
        .execute("SELECT version FROM articles")
        .fetchone()[0]
    )
    assert version == 2
    state.record_seen("koreaherald", "10000002", "http://x/article/10000002", NOW, NOW)
    seen = state.lookup("koreaherald", "10000002")
    assert seen is not None and not seen.stored and seen.published_at == NOW
    state.record_seen("koreaherald", "10000001", "http://x/article/10000001", None, NOW)
    assert state.lookup("koreaherald", "10000001").stored


def test_two_sites_keep_the_same_id_apart(tmp_path: Path) -> None:
    state = CrawlState(tmp_path / "crawl.sqlite3")
    state.record_stored([_record("herald text")])
    assert state.lookup("othernews", "10000001") is None
    state.record_stored([_record("other text", site="othernews")])
    assert state.count() == 2
    assert state.count("othernews") == 1
    state.record_alias("othernews", "abc", "10000001")
    assert state.alias_target("koreaherald", "abc") is None


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
    known = CrawlState(path).lookup("koreaherald", "1")
    assert known is not None and known.stored


def test_the_single_site_release_state_is_migrated_in_place(tmp_path: Path) -> None:
    """`tests/fixtures/state-v1` was written by the release before site profiles."""
    state_dir = tmp_path / "state"
    shutil.copytree(SINGLE_SITE_STATE, state_dir)
    before = sqlite3.connect(state_dir / "crawl.sqlite3")
    ids = [row[0] for row in before.execute("SELECT article_id FROM articles WHERE stored = 1")]
    aliases = before.execute("SELECT alias_id, article_id FROM aliases").fetchall()
    before.close()
    assert ids and aliases
    for _ in range(2):  # the second open finds nothing left to migrate
        state = CrawlState(state_dir / "crawl.sqlite3")
        assert state.count("koreaherald") == state.count() == len(ids)
        assert all(state.lookup("koreaherald", ident).stored for ident in ids)
        assert state.alias_target("koreaherald", aliases[0][0]) == aliases[0][1]
        state.close()
    index = DedupIndex(state_dir / "dedup.sqlite3", DedupConfig())
    keys = [key for (key,) in index.db.execute("SELECT key FROM articles")]
    clusters = [c for (c,) in index.db.execute("SELECT cluster FROM rows")]
    index.close()
    assert keys and all(key.startswith("koreaherald:") for key in keys)
    assert all(cluster.startswith("koreaherald:") for cluster in clusters)
    nightly = load_state(state_dir)
    assert nightly["sites"]["koreaherald"]["last_success_started_at"] == (
        "2026-11-20T06:00:00+09:00"
    )
    assert "last_success_started_at" not in nightly
