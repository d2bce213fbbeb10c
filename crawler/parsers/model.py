"""What one extractor found on a page, kept free of parsing logic so any module can import it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from crawler.items import Image

__all__ = ["Extracted", "Image"]


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
