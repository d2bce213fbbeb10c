"""Re-extract articles from WARC files, without the network.

Reads our own WARCs and foreign ones (Common Crawl, warcio, browsertrix): responses are
de-chunked and content-decoded by warcio; revisits, requests, non-HTML payloads, non-200
responses and pages that are not articles are skipped with a counted reason.
"""

from __future__ import annotations

import logging
import re
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator

from crawler.extract import extract_page
from crawler.items import article_record
from crawler.textstore import TextStoreWriter, to_record
from crawler.urls import KOREAHERALD_HOSTS, article_id, canonical_url

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


def _site_of(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    if host in KOREAHERALD_HOSTS or host in {"127.0.0.1", "localhost"}:
        return "koreaherald"
    return host.removeprefix("www.")


def _warc_date(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def iter_pages(paths: Iterable[Path], skipped: Counter[str]) -> Iterator[WarcPage]:
    """HTML 200 responses from `paths`; everything else is counted in `skipped`."""
    for path in paths:
        with path.open("rb") as stream:
            records = ArchiveIterator(stream)
            for record in records:
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


#: Pages that call themselves articles: og:type, or a JSON-LD *Article / *Posting type.
_DECLARED_ARTICLE = re.compile(
    rb"""og:type["'\s]+content=["']article|"@type"\s*:\s*"\w*(?:Article|Posting)\"""",
    re.IGNORECASE,
)
#: Article-like paths on sites we have no parser for: a date, or a long slug or id.
_ARTICLE_PATH = re.compile(r"/(?:19|20)\d\d/\d\d?/|/[^/]*(?:-[^/-]+){3,}[^/]*$|/\d{5,}")


def skip_reason(url: str, body: bytes) -> str | None:
    """None when the page may be an article, else why it is skipped.

    Site URLs decide for the sites we know; elsewhere a page qualifies when it declares
    itself an article or its path looks like one, so home and section pages stay out.
    """
    if article_id(url) is not None:
        return None
    host = (urlsplit(url).hostname or "").lower()
    if host in KOREAHERALD_HOSTS:
        return "not-article-url"
    if _DECLARED_ARTICLE.search(body[:200_000]) or _ARTICLE_PATH.search(urlsplit(url).path):
        return None
    return "not-article-page"


def record_for(page: WarcPage, fields: dict[str, Any], run_id: str) -> dict[str, Any]:
    """The text-store record of a rebuilt page: what the crawl writes for the same page."""
    record = article_record(
        fields,
        article_id=article_id(page.url) or canonical_url(page.url),
        site=_site_of(page.url),
        url=page.url,
        crawled_at=page.fetched_at,
        http_status=page.status,
        warc=page.warc,
        run_id=run_id,
        discovered_via="rebuild",
    )
    return to_record(record)


def rebuild(
    paths: Iterable[Path],
    writer: TextStoreWriter,
    run_id: str,
    *,
    workers: int,
    max_in_flight: int,
) -> RebuildResult:
    """Extract every article of `paths` into `writer`, in file order, `workers` at a time."""
    result = RebuildResult()
    pending: deque[tuple[WarcPage, Future[dict[str, Any]]]] = deque()

    def drain(limit: int) -> None:
        while len(pending) > limit:
            page, future = pending.popleft()
            fields = future.result()
            if fields["no_body_reason"] or not fields["paragraphs"]:
                result.skipped[f"no-body/{fields['no_body_reason'] or 'empty-body'}"] += 1
                continue
            writer.write(record_for(page, fields, run_id))
            result.articles += 1

    with ProcessPoolExecutor(max(1, workers)) as executor:
        for page in iter_pages(paths, result.skipped):
            result.pages += 1
            reason = skip_reason(page.url, page.body)
            if reason:
                result.skipped[reason] += 1
                continue
            future = executor.submit(extract_page, page.url, page.body, page.content_type)
            pending.append((page, future))
            drain(max_in_flight)
        drain(0)
    writer.flush()
    return result
