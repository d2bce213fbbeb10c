"""What one extractor found on a page, kept free of parsing logic so any module can import it."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime

from crawler.items import Image

__all__ = ["METADATA_FIELDS", "Extracted", "Image", "fill_wanted"]

#: Metadata fields, filled per field from the first extractor that has them.
METADATA_FIELDS = (
    "title",
    "subtitle",
    "authors",
    "section",
    "published_at",
    "updated_at",
    "language",
    "keywords",
)


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


def fill_wanted(
    result: Extracted, wanted: Collection[str], **getters: Callable[[], object]
) -> Extracted:
    """Set each field named in `wanted` from its getter and never call the others.

    On a page of real weight every CSS query walks the whole tree (menus, rails, footers), so
    a site's selectors run only for the fields that JSON-LD and meta tags left empty.
    """
    for name, getter in getters.items():
        if name in wanted:
            setattr(result, name, getter())
    return result
