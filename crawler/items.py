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
    body: bytes
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
