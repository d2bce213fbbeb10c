"""Korea Herald site knowledge: section table and template detection.

Templates are told apart by markup, not by URL or date, because the same `view.php?ud=` URL
served the legacy (B) and the 2023 (C) templates, and a replica may serve any of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from parsel import Selector

from crawler.parsers.koreaherald import current, legacy, redesign2023


@dataclass(frozen=True, slots=True)
class Section:
    """A top-level section: current path, current RSS feed name, legacy `list.php` code."""

    name: str
    path: str
    feed: str
    legacy_ct: str | None


#: Current (template D) top-level sections. Kpop has no legacy twin; Entertainment is closest.
SECTIONS: dict[str, Section] = {
    "National": Section("National", "/National", "kh_National", "020100000000"),
    "Business": Section("Business", "/Business", "kh_Business", "020200000000"),
    "LifenCulture": Section("Life & Culture", "/LifenCulture", "kh_LifenCulture", "020300000000"),
    "Sports": Section("Sports", "/Sports", "kh_Sports", "020500000000"),
    "World": Section("World", "/World", "kh_World", "021200000000"),
    "Opinion": Section("Opinion", "/Opinion", "kh_Opinion", "020600000000"),
    "Kpop": Section("K-pop", "/Kpop", "kh_Kpop", "020400000000"),
}

#: Legacy top-level `ct` codes by their 2012-2023 menu label.
LEGACY_CT: dict[str, str] = {
    "National": "020100000000",
    "Business": "020200000000",
    "Life&Style": "020300000000",
    "Entertainment": "020400000000",
    "Sports": "020500000000",
    "Opinion": "020600000000",
    "World": "021200000000",
}
#: The "all news" legacy listing.
ALL_NEWS_CT = "020000000000"
#: The current all-stories feed name.
ALL_NEWS_FEED = "newsAll"

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
