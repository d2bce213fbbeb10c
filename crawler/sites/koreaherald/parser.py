"""The Korea Herald's page templates, which need code: selectors alone cannot tell them apart.

Templates are told apart by markup, not by URL or date, because the same `view.php?ud=` URL
served the legacy (B) and the 2023 (C) templates, and a replica may serve any of them. Dates
without an offset on these pages are Korea time.
"""

from __future__ import annotations

from collections.abc import Collection

from parsel import Selector

from crawler.parsers.model import METADATA_FIELDS, Extracted
from crawler.sites.koreaherald import current, legacy, redesign2023

#: Checked in this order: a page carrying markers of several templates is the newest one.
TEMPLATES = (
    ("current", current),
    ("redesign2023", redesign2023),
    ("legacy", legacy),
)


def detect_template(sel: Selector) -> str | None:
    """The Korea Herald template name whose markers the page carries, or None."""
    for name, module in TEMPLATES:
        if module.matches(sel):
            return name
    return None


def extract(
    sel: Selector, url: str, template: str, wanted: Collection[str] = METADATA_FIELDS
) -> Extracted:
    """The body of one page in the named template, and the metadata fields in `wanted`."""
    return dict(TEMPLATES)[template].extract(sel, url, wanted)
