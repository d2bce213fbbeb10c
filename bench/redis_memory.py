"""What Redis holds per URL and per article (for the README): the dupefilter as a set of
fingerprints, the queue (pickled requests), the crawl state (one JSON per article), and what
a Bloom filter of the same size would take. `python -m bench.redis_memory [--urls N]`."""

from __future__ import annotations

import argparse
import hashlib
import math
from datetime import UTC, datetime

from scrapy import Request
from scrapy_redis import picklecompat

from crawler.items import Article
from crawler.shared import SharedConfig, connect
from crawler.shared.server import LocalRedis
from crawler.shared.state import RedisCrawlState


def used(client: object) -> int:
    return int(client.info("memory")["used_memory"])  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--urls", type=int, default=1_000_000)
    args = parser.parse_args()
    n = args.urls
    with LocalRedis() as server:
        client = connect(server.url)
        base = used(client)
        with client.pipeline(transaction=False) as pipe:
            for i in range(n):
                pipe.sadd("df", hashlib.sha1(str(i).encode()).hexdigest())
                if i % 10_000 == 9_999:
                    pipe.execute()
            pipe.execute()
        dupefilter = used(client) - base
        client.flushall()
        base = used(client)
        sample = n // 10
        with client.pipeline(transaction=False) as pipe:
            for i in range(sample):
                request = Request(
                    f"https://www.koreaherald.com/article/{10_000_000 + i}",
                    meta={
                        "site": "koreaherald",
                        "article_id": str(10_000_000 + i),
                        "discovered_via": "sitemap",
                        "source_url": f"https://www.koreaherald.com/article/{10_000_000 + i}",
                    },
                    priority=20,
                )
                pipe.zadd("q", {picklecompat.dumps(request.to_dict()): -20})
                if i % 10_000 == 9_999:
                    pipe.execute()
            pipe.execute()
        queue = (used(client) - base) / sample
        client.flushall()
        base = used(client)
        config = SharedConfig("redis://", "newscrawl", "", "w", "set", 1, 0.001, 10, 0.5)
        state = RedisCrawlState(client, config)
        now = datetime(2026, 11, 20, tzinfo=UTC)
        batch = []
        for i in range(sample):
            article = Article(
                site="koreaherald",
                article_id=str(10_000_000 + i),
                url=f"https://www.koreaherald.com/article/{10_000_000 + i}",
                crawled_at=now,
                published_at=now,
                etag=f'"{i:032x}"',
                last_modified="Thu, 20 Nov 2026 00:00:00 GMT",
                payload_digest="sha1:" + "A" * 32,
            )
            article.set_paragraphs(["text"])
            batch.append(article)
            if len(batch) == 1000:
                state.record_stored(batch)
                batch = []
        state.record_stored(batch)
        per_article = (used(client) - base) / sample
    per_url = dupefilter / n
    bloom = {p: -math.log(p) / math.log(2) ** 2 / 8 for p in (0.01, 0.001)}
    print(f"dupefilter set: {per_url:.0f} B/URL -> {per_url * 1e7 / 2**20:.0f} MiB per 10M URLs")
    for p, size in bloom.items():
        print(f"bloom filter p={p}: {size:.2f} B/URL -> {size * 1e7 / 2**20:.0f} MiB per 10M URLs")
    print(f"queued request: {queue:.0f} B (only while queued)")
    print(f"crawl state: {per_article:.0f} B/article -> {per_article * 1e6 / 2**20:.0f} MiB per 1M")


if __name__ == "__main__":
    main()
