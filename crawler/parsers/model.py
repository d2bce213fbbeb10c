"""Result types of article parsing, kept free of any parsing logic so other code can import them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import trafilatura

#: Sources that carry metadata only; the body always comes from a template or trafilatura.
_METADATA_SOURCES = ("jsonld", "meta")


@dataclass(slots=True)
class Image:
    url: str
    caption: str | None


@dataclass(slots=True)
class Extracted:
    """Fields one extractor found on a page; None / empty means "not found here"."""

    title: str | None = None
    subtitle: str | None = None
    authors: list[str] = field(default_factory=list)
    section: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    language: str | None = None
    keywords: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    canonical_url: str | None = None
    no_body_reason: str | None = None


@dataclass(slots=True)
class ParsedArticle:
    url: str
    article_id: str | None
    canonical_url: str | None
    title: str | None = None
    subtitle: str | None = None
    authors: list[str] = field(default_factory=list)
    section: str | None = None
    published_at: datetime | None = None
    updated_at: datetime | None = None
    language: str | None = None
    keywords: list[str] = field(default_factory=list)
    images: list[Image] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)
    template: str = "unknown"
    sources: dict[str, str] = field(default_factory=dict)
    no_body_reason: str | None = None

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def extractor(self) -> str:
        """Provenance label stored with each record, so corpus rows can be re-audited later."""
        body = self.sources.get("paragraphs")
        if body is None:
            return "none"
        if body == "trafilatura":
            return f"trafilatura {trafilatura.__version__}"
        used = [s for s in _METADATA_SOURCES if s in self.sources.values()]
        return "koreaherald:" + "+".join([*used, self.template])

    def to_dict(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "article_id": self.article_id,
            "canonical_url": self.canonical_url,
            "title": self.title,
            "subtitle": self.subtitle,
            "authors": list(self.authors),
            "section": self.section,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            "language": self.language,
            "keywords": list(self.keywords),
            "images": [{"url": i.url, "caption": i.caption} for i in self.images],
            "paragraphs": list(self.paragraphs),
            "text": self.text,
            "template": self.template,
            "sources": dict(self.sources),
            "extractor": self.extractor,
            "no_body_reason": self.no_body_reason,
        }
