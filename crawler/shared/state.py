"""The crawl state in Redis, for workers that share it; and the one place that picks a store.

`RedisCrawlState` answers exactly as `crawler.state.CrawlState` (SQLite) does: stored articles
with their URLs, fetches, ETag/Last-Modified, payload digest, content hash and version;
articles seen but not stored; aliases. One hash per site holds its articles
(`<prefix>:state:articles:<site>`, field = article id, value = JSON), one its aliases. An
upsert is one Lua call, so two workers never interleave a read-modify-write.

`ScheduledIds` / `SharedScheduledIds` hold the article ids a crawl has scheduled per site,
and claim one atomically against `max_articles`, so the cap counts across workers.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from crawler.shared import SharedConfig, connect
from crawler.state import CrawlState, KnownArticle, text_hash

if TYPE_CHECKING:
    from crawler.items import Article

_UPSERT_STORED = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
local new = cjson.decode(ARGV[2])
if old then
  old = cjson.decode(old)
  local urls = {}
  for _, u in ipairs(old.urls) do urls[u] = true end
  for _, u in ipairs(new.urls) do urls[u] = true end
  new.urls = {}
  for u, _ in pairs(urls) do table.insert(new.urls, u) end
  table.sort(new.urls)
  if old.first_fetched and (not new.first_fetched or old.first_fetched < new.first_fetched) then
    new.first_fetched = old.first_fetched
  end
  new.version = (old.version or 0) + ((old.content_hash ~= new.content_hash) and 1 or 0)
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(new))
return new.version
"""

_RECORD_SEEN = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if old then
  old = cjson.decode(old)
  if old.stored == 1 then return 0 end
  old.last_fetched = ARGV[3]
  old.published_at = ARGV[4]
  redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(old))
  return 1
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""

_TOUCH = """
local old = redis.call('HGET', KEYS[1], ARGV[1])
if not old then return 0 end
old = cjson.decode(old)
old.last_fetched = ARGV[2]
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(old))
return 1
"""

_CLAIM = """
if redis.call('SISMEMBER', KEYS[1], ARGV[1]) == 1 then return 'held' end
local cap = tonumber(ARGV[2])
if cap > 0 and redis.call('SCARD', KEYS[1]) >= cap then return 'full' end
redis.call('SADD', KEYS[1], ARGV[1])
return 'claimed'
"""


#: What claiming a scheduled id did: added it, found it held already, or found the cap reached.
Claim = Literal["claimed", "held", "full"]


class CrawlStateStore(Protocol):
    """What the incremental middleware and the pipelines ask of the crawl state."""

    def lookup(self, site: str, article_id: str) -> KnownArticle | None: ...
    def record_alias(self, site: str, alias_id: str, article_id: str) -> None: ...
    def alias_target(self, site: str, alias_id: str) -> str | None: ...
    def record_stored(self, records: Iterable[Article]) -> None: ...
    def record_seen(
        self,
        site: str,
        article_id: str,
        url: str,
        published_at: datetime | None,
        fetched_at: datetime,
    ) -> None: ...
    def touch(self, site: str, article_id: str, fetched_at: datetime) -> None: ...
    def count(self, site: str | None = None) -> int: ...
    def close(self) -> None: ...


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class RedisCrawlState:
    """`CrawlState`'s interface on Redis, shared by every worker of every run."""

    def __init__(self, server: Any, config: SharedConfig) -> None:
        self.server = server
        self.config = config
        self._upsert = server.register_script(_UPSERT_STORED)
        self._seen = server.register_script(_RECORD_SEEN)
        self._touch = server.register_script(_TOUCH)

    @classmethod
    def from_config(cls, config: SharedConfig) -> RedisCrawlState:
        return cls(connect(config.redis_url), config)

    def _articles(self, site: str) -> str:
        return self.config.state_key("articles", site)

    def _aliases(self, site: str) -> str:
        return self.config.state_key("aliases", site)

    def lookup(self, site: str, article_id: str) -> KnownArticle | None:
        raw = self.server.hget(self._articles(site), article_id)
        if raw is None:
            return None
        row = json.loads(raw)
        published = row.get("published_at")
        return KnownArticle(
            site,
            article_id,
            datetime.fromisoformat(published) if published else None,
            row.get("etag"),
            row.get("last_modified"),
            row.get("payload_digest"),
            row.get("warc_date"),
            row.get("warc_target_uri"),
            bool(row.get("stored")),
        )

    def record_alias(self, site: str, alias_id: str, article_id: str) -> None:
        self.server.hset(self._aliases(site), alias_id, article_id)

    def alias_target(self, site: str, alias_id: str) -> str | None:
        target = self.server.hget(self._aliases(site), alias_id)
        return target.decode() if target is not None else None

    def record_stored(self, records: Iterable[Article]) -> None:
        """Upsert articles whose text part is now complete on disk (one Lua call each)."""
        with self.server.pipeline(transaction=False) as pipe:
            for record in records:
                if not record.article_id:
                    continue
                fetched = _iso(record.crawled_at)
                row = {
                    "urls": [record.url],
                    "first_fetched": fetched,
                    "last_fetched": fetched,
                    "published_at": _iso(record.published_at),
                    "etag": record.etag,
                    "last_modified": record.last_modified,
                    "payload_digest": record.payload_digest,
                    "warc_date": fetched,
                    "warc_target_uri": record.url,
                    "content_hash": text_hash(record.text or ""),
                    "version": 1,
                    "stored": 1,
                }
                self._upsert(
                    keys=[self._articles(record.site)],
                    args=[record.article_id, json.dumps(row)],
                    client=pipe,
                )
            pipe.execute()

    def record_seen(
        self,
        site: str,
        article_id: str,
        url: str,
        published_at: datetime | None,
        fetched_at: datetime,
    ) -> None:
        fetched = fetched_at.isoformat()
        row = {
            "urls": [url],
            "first_fetched": fetched,
            "last_fetched": fetched,
            "published_at": _iso(published_at),
            "version": 0,
            "stored": 0,
        }
        self._seen(
            keys=[self._articles(site)],
            args=[article_id, json.dumps(row), fetched, _iso(published_at) or ""],
        )

    def touch(self, site: str, article_id: str, fetched_at: datetime) -> None:
        self._touch(keys=[self._articles(site)], args=[article_id, fetched_at.isoformat()])

    def count(self, site: str | None = None) -> int:
        if site is not None:
            return int(self.server.hlen(self._articles(site)))
        pattern = self.config.state_key("articles", "*")
        return sum(int(self.server.hlen(key)) for key in self.server.scan_iter(pattern))

    def close(self) -> None:
        self.server.close()


def open_crawl_state(settings: Any) -> CrawlStateStore:
    """Redis when `REDIS_URL` is set (workers share it), else `OUTPUT_DIR/state/crawl.sqlite3`."""
    config = SharedConfig.from_settings(settings)
    if config.enabled:
        return RedisCrawlState.from_config(config)
    return CrawlState.in_output(Path(settings.get("OUTPUT_DIR", "output")))


class ScheduledIds:
    """Article ids (or short-link URLs) one process has scheduled for a site."""

    def __init__(self) -> None:
        self._ids: set[str] = set()

    def __contains__(self, key: str) -> bool:
        return key in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    def claim(self, key: str, cap: int | None) -> Claim:
        """Add `key` unless held already ("held") or `cap` ids are ("full")."""
        if key in self._ids:
            return "held"
        if cap is not None and len(self._ids) >= cap:
            return "full"
        self._ids.add(key)
        return "claimed"


class SharedScheduledIds(ScheduledIds):
    """The same, one Redis set per site and crawl, so `max_articles` counts across workers."""

    def __init__(self, server: Any, key: str) -> None:
        self.server = server
        self.key = key
        self._claim = server.register_script(_CLAIM)

    def __contains__(self, key: str) -> bool:
        return bool(self.server.sismember(self.key, key))

    def __len__(self) -> int:
        return int(self.server.scard(self.key))

    def claim(self, key: str, cap: int | None) -> Claim:
        return self._claim(keys=[self.key], args=[key, cap or 0]).decode()


def scheduled_ids(settings: Any, site: str) -> ScheduledIds:
    """The ids a crawl has scheduled for `site`: in this process, or shared in Redis."""
    config = SharedConfig.from_settings(settings)
    if not config.enabled:
        return ScheduledIds()
    return SharedScheduledIds(connect(config.redis_url), config.crawl_key("scheduled", site))
