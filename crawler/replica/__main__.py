"""`python -m crawler.replica`: serve a replica until SIGINT/SIGTERM.

Prints exactly one line, `REPLICA http://127.0.0.1:PORT`, so a parent process can find it.
"""

from __future__ import annotations

import argparse
import signal
import threading
from datetime import datetime

from crawler.replica.server import ReplicaServer
from crawler.replica.site import DEFAULT_NOW, DEFAULT_SEED, KST, ReplicaSite


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ground-truth", help="write the ground truth JSONL here")
    parser.add_argument("--now", help="site clock, ISO 8601 (naive means KST)")
    args = parser.parse_args(argv)
    now = DEFAULT_NOW
    if args.now:
        now = datetime.fromisoformat(args.now)
        now = now if now.tzinfo else now.replace(tzinfo=KST)
    site = ReplicaSite(n_articles=args.articles, seed=args.seed, now=now)
    if args.ground_truth:
        site.write_ground_truth(args.ground_truth)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with ReplicaServer(site, port=args.port) as server:
        print(f"REPLICA {server.base_url}", flush=True)
        stop.wait()


if __name__ == "__main__":
    main()
