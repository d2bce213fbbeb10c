"""The records passed between stages: a fetched page, then an extracted article."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True)
class FetchedPage:
    """An article response as fetched; parsing happens later, off the spider callback."""

    url: str
    article_id: str | None
    status: int
    body: bytes = field(repr=False)  # kept out of log lines (Scrapy logs dropped items)
    content_type: str | None
    fetched_at: datetime
    request_url: str
    discovered_via: str = ""
    rechecked: bool = False
    etag: str | None = None
    last_modified: str | None = None
    warc: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ArticleRecord:
    """One extracted article, with the provenance of every field and its WARC pointer."""

    article_id: str | None
    site: str
    url: str
    canonical_url: str | None
    title: str | None
    subtitle: str | None
    authors: list[str]
    section: str | None
    published_at: datetime | None
    updated_at: datetime | None
    crawled_at: datetime
    language: str | None
    keywords: list[str]
    images: list[dict[str, str | None]]
    paragraphs: list[str]
    text: str
    word_count: int
    template: str
    extractor: str
    field_sources: dict[str, str]
    http_status: int
    discovered_via: str = ""
    warc_filename: str | None = None
    warc_offset: int | None = None
    warc_length: int | None = None
    warc_record_id: str | None = None
    warc_date: str | None = None
    payload_digest: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    run_id: str = ""


#: Extracted fields copied as they are into an ArticleRecord.
_EXTRACTED = (
    "canonical_url",
    "title",
    "subtitle",
    "authors",
    "section",
    "published_at",
    "updated_at",
    "language",
    "keywords",
    "images",
    "paragraphs",
    "text",
    "word_count",
    "template",
    "extractor",
)
#: WARC pointer keys copied from the capture (request.meta["warc"]) into an ArticleRecord.
_WARC = (
    "warc_filename",
    "warc_offset",
    "warc_length",
    "warc_record_id",
    "warc_date",
    "payload_digest",
)


def article_record(
    fields: dict[str, Any],
    *,
    article_id: str | None,
    site: str,
    url: str,
    crawled_at: datetime,
    http_status: int,
    warc: dict[str, Any],
    run_id: str,
    discovered_via: str = "",
    etag: str | None = None,
    last_modified: str | None = None,
) -> ArticleRecord:
    """The one place that turns extracted fields plus fetch facts into a record, so the
    crawl and `scrapy rebuild` write the same text store."""
    return ArticleRecord(
        article_id=fields["article_id"] or article_id,
        site=site,
        url=url,
        crawled_at=crawled_at,
        field_sources=fields["field_sources"],
        http_status=http_status,
        discovered_via=discovered_via,
        etag=etag,
        last_modified=last_modified,
        run_id=run_id,
        **{name: fields[name] for name in _EXTRACTED},
        **{name: warc.get(name) for name in _WARC},
    )
