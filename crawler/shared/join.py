"""`python -m crawler.shared.join REDIS_URL CRAWL_ID`: one more worker, on this machine, of a
crawl a `newscrawl-nightly --workers N --redis-url REDIS_URL -s SHARED_CRAWL_ID=CRAWL_ID`
coordinator runs elsewhere.

The coordinator publishes its workers' command (spider arguments: sites, windows, base URLs;
settings: OUTPUT_DIR and the `-s` it was given) under `<prefix>:crawl:<id>:command`; this
waits for it, then runs the same crawl as worker `<hostname>-<pid>`, with its own run id
(`<crawl id>-<hostname>-<pid>`), text parts and log under the same OUTPUT_DIR, which must be
the same shared filesystem, mounted at the same path.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time

from crawler.shared import connect

COMMAND_KEY = "command"


def publish_command(redis_url: str, key_prefix: str, crawl_id: str, command: list[str]) -> None:
    """The coordinator's part: the worker command, for workers on other machines."""
    key = f"{key_prefix}:crawl:{crawl_id}:{COMMAND_KEY}"
    connect(redis_url).set(key, json.dumps(command))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("redis_url")
    parser.add_argument("crawl_id")
    parser.add_argument("--key-prefix", default="newscrawl")
    parser.add_argument("--wait", type=float, default=600.0, help="seconds to wait for the crawl")
    args = parser.parse_args(argv)
    key = f"{args.key_prefix}:crawl:{args.crawl_id}:{COMMAND_KEY}"
    server = connect(args.redis_url)
    deadline = time.monotonic() + args.wait
    while (published := server.get(key)) is None:
        if time.monotonic() > deadline:
            print(f"no crawl {args.crawl_id!r} published at {args.redis_url}", file=sys.stderr)
            return 1
        time.sleep(1)
    command = json.loads(published)
    worker = f"{socket.gethostname()}-{os.getpid()}"
    run_id = f"{args.crawl_id}-{worker}"
    output_dir = next(
        (arg.split("=", 1)[1] for arg in command if arg.startswith("OUTPUT_DIR=")), "output"
    )
    for name, value in {
        "REDIS_URL": args.redis_url,
        "SHARED_CRAWL_ID": args.crawl_id,
        "SHARED_KEY_PREFIX": args.key_prefix,
        "SHARED_WORKER_ID": worker,
        "RUN_ID": run_id,
        "LOG_FILE": os.path.join(output_dir, "logs", f"{run_id}.log"),
        "PARQUET_EXPORT_ENABLED": "False",
    }.items():
        command += ["-s", f"{name}={value}"]
    return subprocess.call([sys.executable, *command])


if __name__ == "__main__":
    raise SystemExit(main())
