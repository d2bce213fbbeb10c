"""URL identity: canonical URLs and site article ids.

One article can be reached through many URLs (tracking parameters, mobile and legacy hosts,
listing parameters, trailing slashes). Everything that dedups keys on these functions.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

#: Hosts that have served Korea Herald pages; all map to one site.
KOREAHERALD_HOSTS = frozenset(
    {
        "koreaherald.com",
        "www.koreaherald.com",
        "m.koreaherald.com",
        "news.koreaherald.com",
        "khnews.heraldcorp.com",
        "khnews.kheraldm.com",
    }
)

CANONICAL_HOST = "www.koreaherald.com"

_TRACKING_PARAMS = frozenset(
    {"ref", "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "cpv"}
)
_TRACKING_PREFIXES = ("utm_",)
#: Parameters of legacy article links that only say where the reader came from.
_LEGACY_VIEW_NOISE = frozenset({"np", "mp", "md", "ctv", "kr"})

_CURRENT_DIGITS = r"\d{6,10}"
_CURRENT_ID = re.compile(rf"^/(?:amp/)?article/({_CURRENT_DIGITS})/?$")
_CURRENT_ID_ONLY = re.compile(_CURRENT_DIGITS)
_LEGACY_UD = re.compile(r"(\d{14})")


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_PARAMS or lowered.startswith(_TRACKING_PREFIXES)


def article_id(url: str) -> str | None:
    """The site's own id for an article URL, or None when the URL is not an article.

    Current-site ids are 8 digits (`/article/10493730`); legacy ids are the 14-digit `ud`
    (`/view.php?ud=20200116000798`). The two never collide, so the raw id is the key.
    The Aug 2023 feed bug (`?ud=/view.php?ud=N`) is tolerated.
    """
    parts = urlsplit(url.strip())
    path = parts.path
    match = _CURRENT_ID.match(path)
    if match:
        return match.group(1)
    if path.endswith("/view.php"):
        for name, value in parse_qsl(parts.query, keep_blank_values=True):
            if name == "ud":
                found = _LEGACY_UD.search(value)
                if found:
                    return found.group(1)
    return None


def is_current_id(ident: str) -> bool:
    """An id of the current site (`/article/N`), as opposed to a 14-digit legacy `ud`."""
    return _CURRENT_ID_ONLY.fullmatch(ident) is not None


def canonical_url(url: str) -> str:
    """A stable form of `url`: lower-case scheme and host, no fragment, no tracking.

    Every Korea Herald alias host becomes `https://www.koreaherald.com`.

    Legacy article links also lose their listing parameters (`np`, `mp`, ...), and
    current article links lose a trailing slash. Remaining query parameters are sorted.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if host in KOREAHERALD_HOSTS:
        scheme, host = "https", CANONICAL_HOST
    netloc = host
    if parts.port and not (
        (scheme == "http" and parts.port == 80) or (scheme == "https" and parts.port == 443)
    ):
        netloc = f"{host}:{parts.port}"
    path = parts.path or "/"
    query_pairs = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(name)
    ]
    if path.endswith("/view.php"):
        ud = article_id(url)
        query_pairs = (
            [("ud", ud)] if ud else [(n, v) for n, v in query_pairs if n not in _LEGACY_VIEW_NOISE]
        )
    elif _CURRENT_ID.match(path):
        path = path.rstrip("/")
    query = urlencode(sorted(query_pairs))
    return urlunsplit((scheme, netloc, path, query, ""))


def rebase(url: str, base_url: str) -> str:
    """Move a URL on any Korea Herald host onto `base_url`'s scheme and host.

    Pages link to `m.`, `news.` and bare-domain hosts; the crawl keeps one host so that
    politeness, robots.txt and dedup apply once. URLs on other hosts are returned as is.
    """
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in KOREAHERALD_HOSTS:
        return url
    base = urlsplit(base_url)
    return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))
