"""What the crawler already holds, per article, across runs: `OUTPUT_DIR/state/crawl.sqlite3`.

An article is recorded as stored once its text is durably in the text store (a part was
renamed into place), with its URLs, first and last fetch, ETag/Last-Modified, payload
digest, content hash and the number of distinct texts seen. Every row is keyed by (site, id):
two sites may use the same ids. An article fetched but dropped for its publication date is
recorded as seen, so later runs need not fetch it to learn that date again. Ids that redirect
to another article of the same site (legacy links, short links) are remembered as aliases, so
later runs need not fetch the redirect to learn where it goes. The nightly run uses it to skip
what it has and to re-check recent articles with conditional GETs.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from crawler.items import Article

STATE_FILE = "crawl.sqlite3"
#: `PRAGMA user_version` of the current layout; 0 is the single-site release (ids only).
SCHEMA_VERSION = 2
#: The one site the single-site release crawled: its rows are that site's on migration.
SINGLE_SITE_RELEASE_SITE = "koreaherald"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    site TEXT NOT NULL,
    article_id TEXT NOT NULL,
    urls TEXT NOT NULL,
    first_fetched TEXT NOT NULL,
    last_fetched TEXT NOT NULL,
    published_at TEXT,
    etag TEXT,
    last_modified TEXT,
    payload_digest TEXT,
    warc_date TEXT,
    warc_target_uri TEXT,
    content_hash TEXT,
    version INTEGER NOT NULL DEFAULT 0,
    stored INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site, article_id)
)
"""
_ALIAS_SCHEMA = """
CREATE TABLE IF NOT EXISTS aliases (
    site TEXT NOT NULL,
    alias_id TEXT NOT NULL,         -- an id that redirects...
    article_id TEXT NOT NULL,       -- ...to this article of the same site
    PRIMARY KEY (site, alias_id)
) WITHOUT ROWID
"""
_ARTICLE_COLUMNS = (
    "article_id, urls, first_fetched, last_fetched, published_at, etag, last_modified,"
    " payload_digest, warc_date, warc_target_uri, content_hash, version, stored"
)


@dataclass(frozen=True, slots=True)
class KnownArticle:
    site: str
    article_id: str
    published_at: datetime | None
    etag: str | None
    last_modified: str | None
    payload_digest: str | None
    warc_date: str | None
    warc_target_uri: str | None
    stored: bool


def text_hash(text: str) -> str:
    return hashlib.blake2b(" ".join(text.split()).encode(), digest_size=16).hexdigest()


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, datetime) else str(value)


class CrawlState:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._migrate()

    def _migrate(self) -> None:
        """Bring any earlier layout to this one, in one transaction (idempotent)."""
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master")}
            if version < SCHEMA_VERSION and "articles" in tables:
                self._add_missing_columns()
                self._scope_by_site("articles", _SCHEMA, _ARTICLE_COLUMNS)
            if version < SCHEMA_VERSION and "aliases" in tables:
                self._scope_by_site("aliases", _ALIAS_SCHEMA, "alias_id, article_id")
            self._db.execute(_SCHEMA)
            self._db.execute(_ALIAS_SCHEMA)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _add_missing_columns(self) -> None:
        """State written by an older version lacks newer columns; add them with defaults."""
        present = {row[1] for row in self._db.execute("PRAGMA table_info(articles)")}
        for name, definition in [
            ("version", "INTEGER NOT NULL DEFAULT 0"),
            ("stored", "INTEGER NOT NULL DEFAULT 1"),
        ]:
            if name not in present:
                self._db.execute(f"ALTER TABLE articles ADD COLUMN {name} {definition}")

    def _scope_by_site(self, table: str, schema: str, columns: str) -> None:
        """Single-site rows become the rows of the site that release crawled."""
        present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
        if "site" in present:
            return
        self._db.execute(f"ALTER TABLE {table} RENAME TO {table}_single_site")
        self._db.execute(schema)
        self._db.execute(
            f"INSERT INTO {table} (site, {columns}) SELECT ?, {columns} FROM {table}_single_site",
            (SINGLE_SITE_RELEASE_SITE,),
        )
        self._db.execute(f"DROP TABLE {table}_single_site")

    @classmethod
    def in_output(cls, output_dir: Path) -> CrawlState:
        return cls(output_dir / "state" / STATE_FILE)

    def lookup(self, site: str, article_id: str) -> KnownArticle | None:
        row = self._db.execute(
            "SELECT published_at, etag, last_modified, payload_digest, warc_date,"
            " warc_target_uri, stored FROM articles WHERE site = ? AND article_id = ?",
            (site, article_id),
        ).fetchone()
        if row is None:
            return None
        published = datetime.fromisoformat(row[0]) if row[0] else None
        return KnownArticle(site, article_id, published, *row[1:6], bool(row[6]))

    def record_alias(self, site: str, alias_id: str, article_id: str) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO aliases VALUES (?, ?, ?)", (site, alias_id, article_id)
        )

    def alias_target(self, site: str, alias_id: str) -> str | None:
        row = self._db.execute(
            "SELECT article_id FROM aliases WHERE site = ? AND alias_id = ?", (site, alias_id)
        ).fetchone()
        return row[0] if row else None

    def record_stored(self, records: Iterable[Article]) -> None:
        """Upsert articles whose text part is now complete on disk."""
        with self._db:
            self._db.execute("BEGIN")
            for record in records:
                if record.article_id:
                    self._upsert(record)

    def _upsert(self, record: Article) -> None:
        key = (record.site, record.article_id)
        fetched = _iso(record.crawled_at)
        digest = text_hash(record.text or "")
        existing = self._db.execute(
            "SELECT urls, first_fetched, content_hash, version FROM articles"
            " WHERE site = ? AND article_id = ?",
            key,
        ).fetchone()
        urls = {record.url}
        first, version = fetched, 1
        if existing:
            urls |= set(json.loads(existing[0]))
            first = min(existing[1], fetched or existing[1])
            version = existing[3] + (existing[2] != digest)
        self._db.execute(
            f"INSERT OR REPLACE INTO articles (site, {_ARTICLE_COLUMNS})"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
            (
                *key,
                json.dumps(sorted(urls)),
                first,
                fetched,
                _iso(record.published_at),
                record.etag,
                record.last_modified,
                record.payload_digest,
                fetched,
                record.url,
                digest,
                version,
            ),
        )

    def record_seen(
        self,
        site: str,
        article_id: str,
        url: str,
        published_at: datetime | None,
        fetched_at: datetime,
    ) -> None:
        """An article fetched but not stored (outside the window): remember its date."""
        fetched = fetched_at.isoformat()
        self._db.execute(
            "INSERT INTO articles (site, article_id, urls, first_fetched, last_fetched,"
            " published_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(site, article_id) DO UPDATE"
            " SET last_fetched = excluded.last_fetched, published_at = excluded.published_at"
            " WHERE stored = 0",
            (site, article_id, json.dumps([url]), fetched, fetched, _iso(published_at)),
        )

    def touch(self, site: str, article_id: str, fetched_at: datetime) -> None:
        """A re-check found the article unchanged: only its last fetch moves."""
        self._db.execute(
            "UPDATE articles SET last_fetched = ? WHERE site = ? AND article_id = ?",
            (fetched_at.isoformat(), site, article_id),
        )

    def count(self, site: str | None = None) -> int:
        if site is None:
            return int(self._db.execute("SELECT count(*) FROM articles").fetchone()[0])
        query = "SELECT count(*) FROM articles WHERE site = ?"
        return int(self._db.execute(query, (site,)).fetchone()[0])

    def close(self) -> None:
        self._db.close()
