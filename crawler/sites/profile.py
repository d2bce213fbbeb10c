"""A site profile: what one news site is, as data (`crawler/sites/<name>/profile.toml`).

Generic code asks a profile everything site-specific: which URLs are articles and their ids,
the canonical form of a URL, where discovery starts, which selectors fill which field, and the
site's time zone. The format is documented key by key in the README ("Adding a site").
"""

from __future__ import annotations

import importlib
import re
import tomllib
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time
from functools import cached_property, lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crawler.errors import ConfigError

_NAME = re.compile(r"[a-z0-9_]{1,40}")
#: Query parameters that only say where a reader came from, on every site.
TRACKING_PARAMS = frozenset(
    {"ref", "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "cpv"}
)
TRACKING_PREFIXES = ("utm_",)
RENDER_MODES = ("never", "auto", "always")
#: Fields whose fill rates the run report tracks (see crawler.extract.TRACKED_FIELDS).
DRIFT_FIELDS = ("title", "authors", "published_at", "body")
SELECTOR_FIELDS = (
    "title",
    "subtitle",
    "authors",
    "published_at",
    "updated_at",
    "section",
    "keywords",
    "body",
)
_URL_CACHE_SIZE = 16384


@dataclass(frozen=True, slots=True)
class Section:
    """A section: its command-line name, its label, listing, feed and archive listing."""

    name: str
    label: str
    listing: str
    feed: str = ""
    archive: str = ""
    match: tuple[re.Pattern[str], ...] = ()

    def owns(self, path_and_query: str) -> bool:
        """Whether a listing URL (path plus "?query") belongs to this section: its path is
        the section's listing or below it, or one of the `match` patterns finds it."""
        path = path_and_query.split("?", 1)[0].rstrip("/")
        root = self.listing.split("?", 1)[0].rstrip("/")
        if root and (path == root or path.startswith(root + "/")):
            return True
        return any(pattern.search(path_and_query) for pattern in self.match)


@dataclass(frozen=True, slots=True)
class Rewrite:
    pattern: re.Pattern[str]
    replace: str


@dataclass(frozen=True, slots=True)
class Selectors:
    """CSS per field (parsel syntax, `::attr(x)` allowed); empty means "not given"."""

    title: str = ""
    subtitle: str = ""
    authors: str = ""
    published_at: str = ""
    updated_at: str = ""
    section: str = ""
    keywords: str = ""
    body: str = ""
    body_exclude: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return any(getattr(self, name) for name in SELECTOR_FIELDS)


@dataclass(frozen=True)
class SiteProfile:
    """One site, loaded from its profile file; immutable, shared by every component."""

    name: str
    base_url: str
    title: str = ""
    host_aliases: frozenset[str] = frozenset()
    extra_hosts: frozenset[str] = frozenset()
    timezone: str = "UTC"
    language: str = ""
    parser: str = ""
    default_window_days: float = 2.0
    robots_sitemaps: bool = True
    sitemaps: tuple[str, ...] = ()
    feeds: tuple[str, ...] = ()
    listings: tuple[str, ...] = ("/",)
    max_listing_pages: int = 1000
    archive_before: datetime | None = None
    archive_all: str = ""
    sections: tuple[Section, ...] = ()
    url_patterns: tuple[re.Pattern[str], ...] = ()
    short_links: tuple[re.Pattern[str], ...] = ()
    drop_params: frozenset[str] = frozenset()
    keep_params: tuple[str, ...] = ()
    strip_trailing_slash: bool = True
    rewrites: tuple[Rewrite, ...] = ()
    selectors: Selectors = field(default_factory=Selectors)
    render_mode: str = "auto"
    listing_containers: str = ""
    download_delay: float | None = None
    concurrency: int | None = None
    #: Per tracked field, the fill rate below which the drift alarm rings for this site
    #: (a site that leaves many stories unsigned needs a lower floor for `authors`).
    drift_floors: tuple[tuple[str, float], ...] = ()
    source: Path | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle the fields only (profiles travel to extraction workers), not the caches."""
        return (_rebuild, (tuple(getattr(self, f.name) for f in fields(self)),))

    # --- derived ----------------------------------------------------------------------------

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def origin(self) -> str:
        """`scheme://host[:port]` of the base URL: the one origin this site is crawled on."""
        parts = urlsplit(self.base_url)
        return f"{parts.scheme}://{parts.netloc}".lower()

    @cached_property
    def host(self) -> str:
        return (urlsplit(self.base_url).hostname or "").lower()

    @cached_property
    def hosts(self) -> frozenset[str]:
        """The base URL's host, its aliases and extra hosts: URLs on these hosts belong to
        the site."""
        return frozenset({self.host, *self.host_aliases, *self.extra_hosts})

    @cached_property
    def origins(self) -> frozenset[str]:
        """Every `scheme://host[:port]` the crawl may request for this site: the base URL's,
        and each extra host's (on the base URL's scheme)."""
        scheme = urlsplit(self.base_url).scheme
        return frozenset({self.origin, *(f"{scheme}://{host}" for host in self.extra_hosts)})

    @cached_property
    def parser_module(self) -> ModuleType | None:
        """The site's parser module (templates that need code), imported on first use."""
        if not self.parser:
            return None
        module = self.parser
        if "." not in module:
            module = f"crawler.sites.{self.name}.{module}"
        return importlib.import_module(module)

    def section(self, name: str) -> Section | None:
        lowered = name.strip().lower()
        return next((s for s in self.sections if s.name.lower() == lowered), None)

    def with_base_url(self, base_url: str) -> SiteProfile:
        """The same site served from one other origin (a replica, a mirror): every host of
        the site, extra hosts included, becomes an alias of it."""
        base = base_url.rstrip("/")
        _check_base_url(base, self.name)
        if base == self.base_url:
            return self
        return replace(self, base_url=base, host_aliases=self.hosts, extra_hosts=frozenset())

    def key(self, article_id: str) -> str:
        """The article's identity across the whole corpus: site plus the site's own id."""
        return f"{self.name}:{article_id}"

    # --- URLs -------------------------------------------------------------------------------

    @cached_property
    def article_id(self) -> Any:
        """`article_id(url) -> str | None`: the site's id of an article URL (cached)."""
        return lru_cache(maxsize=_URL_CACHE_SIZE)(self._article_id)

    def _article_id(self, url: str) -> str | None:
        parts = urlsplit(self.rewrite(url.strip()))
        if (parts.hostname or "").lower() not in self.hosts:
            return None
        # Ids in the path match with or without the query; ids in the query need it.
        targets = (f"{parts.path}?{parts.query}", parts.path) if parts.query else (parts.path,)
        for pattern in self.url_patterns:
            for target in targets:
                found = pattern.search(target)
                if found:
                    return found.group("id")
        return None

    def is_short_link(self, url: str) -> bool:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        return self.owns(url) and any(p.search(target) for p in self.short_links)

    def owns(self, url: str) -> bool:
        """Whether `url` is on one of the site's hosts."""
        return (urlsplit(url).hostname or "").lower() in self.hosts

    def rewrite(self, url: str) -> str:
        for rule in self.rewrites:
            url = rule.pattern.sub(rule.replace, url)
        return url

    def rebase(self, url: str) -> str:
        """Move a URL on the base host or an alias onto the base URL's scheme and host, so
        politeness, robots.txt and dedup apply once. URLs on extra hosts and other sites are
        returned as they are."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if host not in self.hosts or host in self.extra_hosts:
            return url
        base = urlsplit(self.base_url)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))

    def canonical_url(self, url: str) -> str:
        """A stable form of `url`: the site's rewrites applied, on the base host, without
        tracking parameters or fragment; article URLs keep only `keep_params` and lose a
        trailing slash when the profile says so. Remaining parameters are sorted."""
        rewritten = self.rewrite(url.strip())
        parts = urlsplit(self.rebase(rewritten))
        pairs = [
            (name, value)
            for name, value in parse_qsl(parts.query, keep_blank_values=True)
            if not _is_tracking(name) and name.lower() not in self.drop_params
        ]
        path = parts.path or "/"
        if self.article_id(rewritten) is not None:
            if self.keep_params:
                pairs = [(n, v) for n, v in pairs if n in self.keep_params]
            if self.strip_trailing_slash and path != "/":
                path = path.rstrip("/")
        return generic_canonical(
            urlunsplit((parts.scheme, parts.netloc, path, urlencode(pairs), ""))
        )

    def section_of(self, url: str) -> Section | None:
        parts = urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        return next((s for s in self.sections if s.owns(target)), None)

    def absolute(self, path_or_url: str) -> str:
        return self.rebase(urljoin(self.base_url + "/", path_or_url))


def _rebuild(values: tuple[Any, ...]) -> SiteProfile:
    return SiteProfile(*values)


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def generic_canonical(url: str) -> str:
    """Lower-case scheme and host, default port dropped, no fragment, no tracking
    parameters, parameters sorted: the form of a URL no site profile claims."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    netloc = host
    try:
        port = parts.port
    except ValueError:
        port = None
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        netloc = f"{host}:{port}"
    pairs = sorted(
        (n, v) for n, v in parse_qsl(parts.query, keep_blank_values=True) if not _is_tracking(n)
    )
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(pairs), ""))


# --- loading ------------------------------------------------------------------------------------


def load_profile(path: Path) -> SiteProfile:
    """Read and check a profile file; any mistake is a ConfigError naming the file and key."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read site profile {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"site profile {path} is not valid TOML: {exc}") from None
    try:
        return profile_from_dict(data, source=path)
    except ConfigError as exc:
        raise ConfigError(f"site profile {path}: {exc}") from None


def profile_from_dict(data: dict[str, Any], source: Path | None = None) -> SiteProfile:
    reader = _Reader(data)
    name = reader.text("name", required=True)
    if not _NAME.fullmatch(name):
        raise ConfigError(f"name must match [a-z0-9_]+ (1-40 chars), got {name!r}")
    base_url = reader.text("base_url", required=True).rstrip("/")
    _check_base_url(base_url, name)
    timezone = reader.text("timezone", default="UTC")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"timezone must be an IANA name such as Asia/Seoul, got {timezone!r}"
        ) from None
    discovery = _Reader(reader.table("discovery"), "discovery.")
    articles = _Reader(reader.table("articles"), "articles.")
    canonical = _Reader(reader.table("canonical"), "canonical.")
    render = _Reader(reader.table("render"), "render.")
    politeness = _Reader(reader.table("politeness"), "politeness.")
    selectors = _Reader(reader.table("selectors"), "selectors.")
    drift = _Reader(reader.table("drift"), "drift.")
    floors = tuple((key, drift.number(key, 0)) for key in sorted(drift.data))
    for field_name, floor in floors:
        if field_name not in DRIFT_FIELDS or not 0 <= floor <= 1:
            raise ConfigError(
                f"drift.{field_name}: expected one of {', '.join(DRIFT_FIELDS)} = a share"
                f" from 0 to 1, got {floor!r}"
            )
    patterns = articles.patterns("url_patterns")
    for pattern in patterns:
        if "id" not in pattern.groupindex:
            raise ConfigError(f"articles.url_patterns: {pattern.pattern!r} has no (?P<id>...)")
    trailing = canonical.text("trailing_slash", default="strip")
    if trailing not in ("strip", "keep"):
        raise ConfigError(f"canonical.trailing_slash must be strip or keep, got {trailing!r}")
    mode = render.text("mode", default="auto")
    if mode not in RENDER_MODES:
        raise ConfigError(f"render.mode must be one of {', '.join(RENDER_MODES)}, got {mode!r}")
    archive_before = discovery.text("archive_before")
    return SiteProfile(
        name=name,
        base_url=base_url,
        title=reader.text("title", default=name),
        host_aliases=frozenset(h.lower() for h in reader.texts("host_aliases")),
        extra_hosts=frozenset(h.lower() for h in reader.texts("extra_hosts")),
        timezone=timezone,
        language=reader.text("language"),
        parser=reader.text("parser"),
        default_window_days=reader.number("default_window_days", 2.0),
        robots_sitemaps=discovery.flag("robots_sitemaps", True),
        sitemaps=tuple(discovery.texts("sitemaps")),
        feeds=tuple(discovery.texts("feeds")),
        listings=tuple(discovery.texts("listings", ["/"])),
        max_listing_pages=int(discovery.number("max_listing_pages", 1000)),
        archive_before=_local_midnight(archive_before, timezone) if archive_before else None,
        archive_all=discovery.text("archive_all"),
        sections=tuple(_section(entry, i) for i, entry in enumerate(reader.tables("sections"))),
        url_patterns=patterns,
        short_links=articles.patterns("short_links"),
        drop_params=frozenset(p.lower() for p in canonical.texts("drop_params")),
        keep_params=tuple(canonical.texts("keep_params")),
        strip_trailing_slash=trailing == "strip",
        rewrites=tuple(
            Rewrite(
                _compile(rule.get("pattern", ""), "canonical.rewrites"), rule.get("replace", "")
            )
            for rule in canonical.tables("rewrites")
        ),
        selectors=Selectors(
            **{name: selectors.text(name) for name in SELECTOR_FIELDS},
            body_exclude=tuple(selectors.texts("body_exclude")),
        ),
        render_mode=mode,
        listing_containers=render.text("listing_containers"),
        download_delay=politeness.optional_number("download_delay"),
        concurrency=(int(value) if (value := politeness.optional_number("concurrency")) else None),
        drift_floors=floors,
        source=source,
    )


def _check_base_url(base_url: str, name: str) -> None:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"base_url of {name} must be an http(s) URL, got {base_url!r}")


def _local_midnight(value: str, timezone: str) -> datetime:
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise ConfigError(f"discovery.archive_before must be YYYY-MM-DD, got {value!r}") from None
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(timezone))


def _section(entry: dict[str, Any], index: int) -> Section:
    reader = _Reader(entry, f"sections[{index}].")
    name = reader.text("name", required=True)
    listing = reader.text("listing")
    match = reader.patterns("match")
    if not listing and not match:
        raise ConfigError(f"sections[{index}] ({name}) needs a listing or match patterns")
    return Section(
        name=name,
        label=reader.text("label", default=name),
        listing=listing,
        feed=reader.text("feed"),
        archive=reader.text("archive"),
        match=match,
    )


def _compile(pattern: str, key: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.ASCII)
    except re.error as exc:
        raise ConfigError(f"{key}: bad regular expression {pattern!r}: {exc}") from None


class _Reader:
    """Typed access to one TOML table, with errors that name the key."""

    def __init__(self, data: dict[str, Any], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix

    def _get(self, key: str, kind: type | tuple[type, ...], default: Any) -> Any:
        value = self.data.get(key, default)
        if not isinstance(value, kind) or isinstance(value, bool) is not (kind is bool):
            raise ConfigError(f"{self.prefix}{key} must be {_kind_name(kind)}, got {value!r}")
        return value

    def text(self, key: str, default: str = "", *, required: bool = False) -> str:
        if required and not self.data.get(key):
            raise ConfigError(f"{self.prefix}{key} is required")
        return self._get(key, str, default).strip()

    def texts(self, key: str, default: list[str] | None = None) -> list[str]:
        values = self._get(key, list, default or [])
        if not all(isinstance(v, str) for v in values):
            raise ConfigError(f"{self.prefix}{key} must be a list of strings, got {values!r}")
        return [v.strip() for v in values if v.strip()]

    def number(self, key: str, default: float) -> float:
        return float(self._get(key, (int, float), default))

    def optional_number(self, key: str) -> float | None:
        return None if key not in self.data else self.number(key, 0)

    def flag(self, key: str, default: bool) -> bool:
        return self._get(key, bool, default)

    def table(self, key: str) -> dict[str, Any]:
        return self._get(key, dict, {})

    def tables(self, key: str) -> list[dict[str, Any]]:
        values = self._get(key, list, [])
        if not all(isinstance(v, dict) for v in values):
            raise ConfigError(f"{self.prefix}{key} must be a list of tables, got {values!r}")
        return values

    def patterns(self, key: str) -> tuple[re.Pattern[str], ...]:
        return tuple(_compile(p, f"{self.prefix}{key}") for p in self.texts(key))


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", list: "a list", dict: "a table", bool: "true or false"}
    if isinstance(kind, tuple):
        return "a number"
    return names.get(kind, kind.__name__)
