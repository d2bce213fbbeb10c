"""What a run dropped, and which of those drops lost a page that may have been good.

Every component that refuses a page or request counts it as `dropped/<reason>`. Reasons in
`KNOWN_BAD` name pages that are bad by construction (a gzip bomb, an off-site link, a trap);
the nightly runner does not call a run partial for them. Any other reason may hide a good page.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from crawler.fingerprint import crawl_sites, profile_of
from crawler.sitestats import inc_site_value

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

logger = logging.getLogger(__name__)

#: Drops that cost nothing worth keeping; `scheme/<name>` covers every refused scheme.
KNOWN_BAD = frozenset(
    {
        "body_too_large",
        "decompressed_too_large",
        "download_timeout",
        "redirect_loop",
        "redirect_max",
        "offsite",
        "scheme",
        "malformed_url",
        "url_too_long",
        "retry_after_too_long",
        "listing_trap",
        "depth",
        "extract_timeout",
        "extract_oom",
        "text_too_large",
    }
)


def count_drop(crawler: Crawler, request: Request, reason: str, why: str) -> None:
    """`dropped/<reason>` for the crawl and for the request's site, and an INFO line."""
    assert crawler.stats is not None
    profile = profile_of(request, crawl_sites(crawler))
    inc_site_value(crawler.stats, f"dropped/{reason}", profile.name if profile else None)
    logger.info("dropped %s: %s", request.url[:200], why)


def drops(stats: dict[str, Any]) -> dict[str, int]:
    """`dropped/<reason>` counts by reason."""
    return {
        key.removeprefix("dropped/"): value
        for key, value in sorted(stats.items())
        if key.startswith("dropped/")
    }


def is_known_bad(reason: str) -> bool:
    return reason.split("/", 1)[0] in KNOWN_BAD


def losses(stats: dict[str, Any]) -> dict[str, int]:
    """The drops that may have lost a good page."""
    return {reason: n for reason, n in drops(stats).items() if not is_known_bad(reason)}
