"""Re-extract articles from WARC files, without the network.

Reads our own WARCs and foreign ones (Common Crawl, warcio, browsertrix): responses are
de-chunked and content-decoded by warcio; revisits, requests, non-HTML payloads, non-200
responses and pages that are not articles are skipped with a counted reason.
"""

from __future__ import annotations

import logging
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator

from crawler.extract import set_language
from crawler.items import Article
from crawler.parsers.article import page_selector, parse_article
from crawler.parsers.encoding import decode_html
from crawler.parsers.pagekind import ARTICLE, MAX_TEASER_SHARE, declared_kind, teaser_share
from crawler.sites import SiteProfile, shipped_profiles, site_for_url
from crawler.textstore import TextStoreWriter

logger = logging.getLogger(__name__)

_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass(slots=True)
class WarcPage:
    """One HTML response from a WARC, with its pointer back into the file."""

    url: str
    status: int
    content_type: str | None
    body: bytes
    fetched_at: datetime
    warc: dict[str, Any]


@dataclass
class RebuildResult:
    pages: int = 0
    articles: int = 0
    skipped: Counter[str] = field(default_factory=Counter)


class SiteResolver:
    """Which site a WARC page belongs to: the profile whose hosts hold its URL; else, for our
    own files (`<site>-<time>-...warc.gz`, e.g. of a replica on loopback), the site that
    names the file, served from the page's origin; else a profile of the page's host alone,
    read with structured data and trafilatura."""

    def __init__(self, profiles: dict[str, SiteProfile] | None = None) -> None:
        self.profiles = profiles or shipped_profiles()
        self._moved: dict[tuple[str, str], SiteProfile] = {}

    def __call__(self, url: str, warc_filename: str) -> SiteProfile:
        found = site_for_url(url, self.profiles)
        if found is not None:
            return found
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        named = self.profiles.get(warc_filename.split("-", 1)[0])
        key = (named.name if named else "", origin)
        if key not in self._moved:
            if named is not None:
                self._moved[key] = named.with_base_url(origin)
            else:
                host = (parts.hostname or "unknown").lower().removeprefix("www.")
                self._moved[key] = SiteProfile(name=host, base_url=origin)
        return self._moved[key]


def _warc_date(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


#: Told (bytes read, bytes in all files) as the WARC files are read.
ProgressCallback = Callable[[int, int], None]


def iter_pages(
    paths: Iterable[Path], skipped: Counter[str], progress: ProgressCallback | None = None
) -> Iterator[WarcPage]:
    """HTML 200 responses from `paths`; everything else is counted in `skipped`."""
    paths = list(paths)
    total = sum(path.stat().st_size for path in paths)
    finished = 0  # bytes of the files read to the end
    for path in paths:
        with path.open("rb") as stream:
            records = ArchiveIterator(stream)
            for record in records:
                if progress is not None:
                    progress(finished + stream.tell(), total)
                kind = record.rec_type
                if kind != "response":
                    if kind == "revisit":
                        skipped["revisit"] += 1
                    elif kind not in {"request", "warcinfo", "metadata"}:
                        skipped[f"record-{kind}"] += 1
                    continue
                http = record.http_headers
                if http is None:
                    skipped["no-http-headers"] += 1
                    continue
                status = int(http.get_statuscode() or 0)
                content_type = http.get_header("Content-Type")
                if status != 200:
                    skipped[f"status-{status}"] += 1
                    continue
                if not content_type or not content_type.lower().startswith(_HTML_TYPES):
                    skipped["not-html"] += 1
                    continue
                body = record.content_stream().read()
                url = record.rec_headers.get_header("WARC-Target-URI") or ""
                warc = {
                    "warc_filename": path.name,
                    "warc_offset": records.get_record_offset(),
                    "warc_record_id": record.rec_headers.get_header("WARC-Record-ID"),
                }
                fetched_at = _warc_date(record.rec_headers.get_header("WARC-Date"))
                records.read_to_end(record)
                warc["warc_length"] = records.get_record_length()
                yield WarcPage(url, status, content_type, body, fetched_at, warc)
        finished += path.stat().st_size
        if progress is not None:
            progress(finished, total)


def skip_reason(url: str, profile: SiteProfile) -> str | None:
    """Why a page is skipped before it is parsed: a site with article URL patterns (the
    crawl's own rule) says by its URL; None otherwise."""
    if profile.url_patterns and profile.article_id(url) is None:
        return "not-article-url"
    return None


def rebuild_page(
    url: str, body: bytes, content_type: str | None, profile: SiteProfile
) -> Article | str:
    """Worker: the page's article, or why it is skipped.

    The page is parsed once, for the judgement and the extraction. Pages of sites without
    URL patterns are judged by what they declare (an article, or a listing or home page),
    then by their body: none found, or a list of teasers (home and section pages).
    """
    html = decode_html(body, content_type)
    sel = page_selector(html)
    if sel is None:
        return "no-body/empty-document"
    judged = not profile.url_patterns
    declared = declared_kind(sel, url) if judged else None
    if declared not in (None, ARTICLE):
        return f"not-article/declared-{declared}"
    article = parse_article(url, html, profile, selector=sel)
    if article.no_body_reason or not article.paragraphs:
        return f"no-body/{article.no_body_reason or 'empty-body'}"
    if judged and declared is None and teaser_share(sel, article.paragraphs) >= MAX_TEASER_SHARE:
        return "not-article/teasers"
    set_language(article)
    return article


def rebuild(
    paths: Iterable[Path],
    writer: TextStoreWriter,
    run_id: str,
    *,
    workers: int,
    max_in_flight: int,
    profiles: dict[str, SiteProfile] | None = None,
    progress: ProgressCallback | None = None,
) -> RebuildResult:
    """Extract every article of `paths` into `writer`, in file order, `workers` at a time."""
    result = RebuildResult()
    pending: deque[tuple[WarcPage, Future[Article | str]]] = deque()
    resolve = SiteResolver(profiles)

    def drain(limit: int) -> None:
        while len(pending) > limit:
            page, future = pending.popleft()
            article = future.result()
            if isinstance(article, str):
                result.skipped[article] += 1
                continue
            article.record_fetch(
                crawled_at=page.fetched_at,
                http_status=page.status,
                warc=page.warc,
                run_id=run_id,
                discovered_via="rebuild",
            )
            writer.write(article)
            result.articles += 1

    with ProcessPoolExecutor(max(1, workers)) as executor:
        for page in iter_pages(paths, result.skipped, progress):
            result.pages += 1
            profile = resolve(page.url, page.warc["warc_filename"])
            reason = skip_reason(page.url, profile)
            if reason:
                result.skipped[reason] += 1
                continue
            future = executor.submit(rebuild_page, page.url, page.body, page.content_type, profile)
            pending.append((page, future))
            drain(max_in_flight)
        drain(0)
    writer.flush()
    return result
