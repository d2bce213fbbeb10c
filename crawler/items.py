"""The records passed between stages: a fetched page, then one typed `Article`.

`Article` is the one record from the parser to the Parquet row: the parser fills what the page
says, the extract pipeline adds the fetch facts, the text store keeps it as JSON, and the
export adds the dedup columns. The Parquet schema is derived from its fields' `column`
metadata (see `crawler.export.SCHEMA`), so the field list is written once, here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

#: Field metadata: the Arrow type of a Parquet column ("" = kept in the text store only).
COLUMN = "column"
#: Field metadata: a low-cardinality column, dictionary-encoded in Parquet.
DICTIONARY = "dictionary"
#: The WARC pointer keys of a capture (request.meta["warc"]) kept with each article.
WARC_POINTER = (
    "warc_filename",
    "warc_offset",
    "warc_length",
    "warc_record_id",
    "warc_date",
    "payload_digest",
)


def _column(kind: str = "", *, dictionary: bool = False, default: Any = None) -> Any:
    metadata = {COLUMN: kind, DICTIONARY: dictionary}
    if callable(default):
        return field(default_factory=default, metadata=metadata)
    return field(default=default, metadata=metadata)


@dataclass(slots=True)
class FetchedPage:
    """An article response as fetched; parsing happens later, off the spider callback."""

    url: str
    site: str
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
class Image:
    url: str
    caption: str | None


@dataclass(slots=True)
class Article:
    """One article, with the provenance of every field and its WARC pointer."""

    # --- identity: (site, article_id) is the article's key everywhere
    article_id: str | None = _column("string")
    site: str = _column("string", dictionary=True, default="")
    url: str = _column("string", default="")
    canonical_url: str | None = _column("string")
    # --- what the page says
    title: str | None = _column("string")
    subtitle: str | None = _column("string")
    authors: list[str] = _column("list<string>", default=list)
    section: str | None = _column("string", dictionary=True)
    published_at: datetime | None = _column("timestamp")
    updated_at: datetime | None = _column("timestamp")
    crawled_at: datetime | None = _column("timestamp")
    language: str | None = _column("string", dictionary=True)
    text: str = _column("string", default="")
    word_count: int = _column("int32", default=0)
    # --- dedup, filled by the export
    content_hash: str | None = _column("string")
    near_dup_cluster: str | None = _column("string")
    duplicate_urls: list[str] = _column("list<string>", default=list)
    version: int = _column("int32", default=1)
    # --- provenance
    extractor: str = _column("string", dictionary=True, default="none")
    field_sources: dict[str, str] = _column("map<string,string>", default=dict)
    http_status: int | None = _column("int16")
    warc_filename: str | None = _column("string", dictionary=True)
    warc_offset: int | None = _column("int64")
    warc_length: int | None = _column("int64")
    warc_record_id: str | None = _column("string")
    run_id: str = _column("string", dictionary=True, default="")
    keywords: list[str] = _column("list<string>", default=list)
    image_urls: list[str] = _column("list<string>", default=list)
    template: str = _column("string", dictionary=True, default="unknown")
    discovered_via: str = _column("string", dictionary=True, default="")
    # --- kept in the text store only
    paragraphs: list[str] = _column(default=list)
    images: list[Image] = _column(default=list)
    no_body_reason: str | None = _column()
    warc_date: str | None = _column()
    payload_digest: str | None = _column()
    etag: str | None = _column()
    last_modified: str | None = _column()

    def set_paragraphs(self, paragraphs: list[str]) -> None:
        """The body, and the text and word count that follow from it."""
        from crawler.parsers.text import word_count  # keeps this module free of lxml

        self.paragraphs = paragraphs
        self.text = "\n\n".join(paragraphs)
        self.word_count = word_count(self.text)

    def record_fetch(
        self,
        *,
        crawled_at: datetime,
        http_status: int,
        warc: dict[str, Any],
        run_id: str,
        discovered_via: str = "",
        etag: str | None = None,
        last_modified: str | None = None,
        article_id: str | None = None,
    ) -> None:
        """What the fetch knows and the page does not: the one place the crawl and
        `scrapy rebuild` set it, so both write the same text store."""
        self.article_id = self.article_id or article_id
        self.crawled_at = crawled_at
        self.http_status = http_status
        self.run_id = run_id
        self.discovered_via = discovered_via
        self.etag = etag
        self.last_modified = last_modified
        for name in WARC_POINTER:
            setattr(self, name, warc.get(name))

    def key(self) -> str:
        """The article's identity in every state store: site plus the site's id, else its URL."""
        if self.article_id:
            return f"{self.site}:{self.article_id}"
        return self.canonical_url or self.url

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Article:
        """An article from its text-store JSON (any release's: unknown keys are ignored)."""
        values = {name: record[name] for name in _FIELD_NAMES if record.get(name) is not None}
        for name in _TIMESTAMPS:
            if name in values:
                values[name] = parse_timestamp(values[name])
        values["images"] = [
            Image(image.get("url", ""), image.get("caption"))
            for image in record.get("images") or []
            if isinstance(image, dict)
        ]
        if "image_urls" not in values:
            values["image_urls"] = [image.url for image in values["images"] if image.url]
        return cls(**values)


_FIELD_NAMES = tuple(f.name for f in fields(Article))
_TIMESTAMPS = tuple(f.name for f in fields(Article) if f.metadata[COLUMN] == "timestamp")


def parse_timestamp(value: Any) -> datetime | None:
    """An ISO 8601 text (or datetime) as aware UTC; naive values are UTC."""
    if not value:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def stored_columns() -> list[tuple[str, str, bool]]:
    """(name, Arrow type name, dictionary-encoded) of every Parquet column, in order."""
    return [
        (f.name, f.metadata[COLUMN], f.metadata[DICTIONARY])
        for f in fields(Article)
        if f.metadata[COLUMN]
    ]
