"""`python -m crawler.replica`: serve a replica until SIGINT/SIGTERM.

Prints exactly one line, `REPLICA http://127.0.0.1:PORT`, so a parent process can find it.
`--site` picks the site (default the Korea Herald); the others are crawler/replica/<site>.py.
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from datetime import datetime

from crawler.replica.koreatimes import KoreaTimesSite
from crawler.replica.lookalike import LookalikeSite
from crawler.replica.server import ReplicaServer, ServedSite
from crawler.replica.site import DEFAULT_NOW, KST, ReplicaSite
from crawler.replica.wpnews import WordPressSite
from crawler.replica.yonhap import YonhapSite

SITE_NAMES = ("koreaherald", "koreatimes", "lookalike", "wpnews", "yonhap")


def build_site(name: str, articles: int, seed: int | None, now: datetime) -> ServedSite:
    """The named replica; `seed` None keeps the site's own default seed."""
    options: dict = {"n_articles": articles, "now": now}
    if seed is not None:
        options["seed"] = seed
    if name == "koreaherald":
        return ReplicaSite(**options)
    if name == "lookalike":
        return LookalikeSite(ReplicaSite(now=now), **options)
    builders = {"koreatimes": KoreaTimesSite, "wpnews": WordPressSite, "yonhap": YonhapSite}
    return builders[name](**options)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--site", choices=SITE_NAMES, default="koreaherald")
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--seed", type=int, help="default: the site's own")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument(
        "--pad-kb", type=int, default=0, help="pad HTML pages to this weight (real pages: 100-250)"
    )
    parser.add_argument("--ground-truth", help="write the ground truth JSONL here")
    parser.add_argument("--now", help="site clock, ISO 8601 (naive means KST)")
    args = parser.parse_args(argv)
    now = DEFAULT_NOW
    if args.now:
        now = datetime.fromisoformat(args.now)
        now = now if now.tzinfo else now.replace(tzinfo=KST)
    site = build_site(args.site, args.articles, args.seed, now)
    if args.ground_truth:
        with open(args.ground_truth, "w", encoding="utf-8") as handle:
            for record in site.ground_truth():  # every replica has one
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    server = ReplicaServer(site, port=args.port)
    server.pad_bytes = args.pad_kb * 1024
    with server:
        print(f"REPLICA {server.base_url}", flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
