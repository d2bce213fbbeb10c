"""Extraction ceiling: the project's extractor over saved pages, one process or a pool.

Each page gets what a crawl's worker does with it: parsing plus the dedup sketch.

`python -m bench.extract_ceiling DIR --workers N`: DIR holds the pages and `pages.json`.
Prints JSON: pages, and the seconds from the first page to the last (pool start-up
included, interpreter start-up and imports not), so both modes are timed alike. CPU and
memory are measured by the caller.
"""

from __future__ import annotations

import argparse
import json
import time
from concurrent.futures import ProcessPoolExecutor
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from crawler.dedup import DedupConfig
from crawler.extract import extract_page
from crawler.sites import SiteProfile, find_profile

DEDUP = DedupConfig()


@cache
def _profile(origin: str) -> SiteProfile:
    """The Korea Herald's profile moved onto the replica the pages were saved from."""
    return find_profile("koreaherald").with_base_url(origin)


def _extract(job: tuple[str, str, str]) -> int:
    url, path, content_type = job
    parts = urlsplit(url)
    profile = _profile(f"{parts.scheme}://{parts.netloc}")
    article, _ = extract_page(url, Path(path).read_bytes(), content_type, profile, DEDUP)
    return len(article.paragraphs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--workers", type=int, default=0, help="0 = this process only")
    args = parser.parse_args()
    pages = json.loads((args.directory / "pages.json").read_text())
    jobs = [
        (page["url"], str(args.directory / page["file"]), page["content_type"]) for page in pages
    ]
    start = time.perf_counter()
    if args.workers:
        with ProcessPoolExecutor(args.workers) as pool:
            done = sum(1 for _ in pool.map(_extract, jobs, chunksize=8))
    else:
        done = sum(1 for _ in map(_extract, jobs))
    print(json.dumps({"pages": done, "seconds": time.perf_counter() - start}))


if __name__ == "__main__":
    main()
