"""Link discovery from robots.txt, sitemaps, feeds and listing pages; pure, absolute URLs out."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

from cssselect import HTMLTranslator
from lxml import etree
from lxml import html as lxml_html
from lxml.cssselect import CSSSelector
from parsel import Selector

from crawler.parsers.dates import parse_date
from crawler.parsers.text import normalize_space
from crawler.sites.profile import SiteProfile

#: Query parameters that select a page of a listing rather than a different listing.
_PAGE_PARAMS = frozenset({"np", "mp", "page", "p", "pg", "pageno", "pageindex", "offset"})
_PAGING_CONTAINERS = ".paging, .pagination, .paginate, .page_nav, nav[aria-label*=page i]"
_TITLE_INSIDE_LINK = (
    ".main_l_t1, .news_title, .title, [class*=title], [class*=tit], h1, h2, h3, h4, h5, strong"
)
_DATE_LIKE = re.compile(
    r"\d{4}[.\-/]\d{1,2}[.\-/]\d{1,2}|[A-Za-z]{3,9}\.?\s+\d{1,2},\s*\d{4}|\d{4}-\d{2}-\d{2}T"
)
_XML_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True)
#: Compiled once: CSS-to-XPath translation costs more than the query itself.
_TITLE_SELECTOR = CSSSelector(_TITLE_INSIDE_LINK)
#: The paging containers in two steps: the few elements that can be one (every class above has
#: "pag" in it), then the selector itself on each of them; one CSS query over a padded page's
#: 2,000+ elements took 2.1 ms, these take 0.7.
_PAGING_CANDIDATES = etree.XPath("//*[contains(@class, 'pag')] | //nav[@aria-label]")
_IS_PAGING = etree.XPath(HTMLTranslator().css_to_xpath(_PAGING_CONTAINERS, prefix="self::"))


@dataclass(slots=True)
class Link:
    url: str
    published_at: datetime | None = None
    title: str | None = None


@dataclass(slots=True)
class Listing:
    articles: list[Link] = field(default_factory=list)
    next_pages: list[str] = field(default_factory=list)
    section_links: list[str] = field(default_factory=list)


def sitemaps_from_robots(robots_txt: str, base_url: str) -> list[str]:
    """`Sitemap:` lines of a robots.txt, absolute and de-duplicated."""
    found: dict[str, None] = {}  # ordered set
    for line in robots_txt.splitlines():
        name, _, value = line.split("#", 1)[0].partition(":")
        if name.strip().lower() == "sitemap" and value.strip():
            url = _resolve(base_url, value.strip())
            if url:
                found.setdefault(url)
    return list(found)


#: Bytes a gzipped sitemap may inflate to: the sitemap protocol's own limit (50 MB). A bomb
#: stops here instead of filling the memory.
SITEMAP_MAX_INFLATED = 50 * 2**20


def _inflate(body: bytes, limit: int = SITEMAP_MAX_INFLATED) -> bytes:
    """Sitemaps are often served gzipped without a Content-Encoding; undo it when we see it,
    up to `limit` bytes (b"" past it or when broken)."""
    if body[:2] != b"\x1f\x8b":
        return body
    inflater = zlib.decompressobj(wbits=31)
    try:
        inflated = inflater.decompress(body, limit + 1)
    except zlib.error:
        return b""
    return inflated if len(inflated) <= limit else b""


def _local(tag: object) -> str:
    return etree.QName(tag).localname.lower() if isinstance(tag, str) else ""


def _xml_root(body: bytes) -> etree._Element | None:
    try:
        return etree.fromstring(_inflate(body).strip(), _XML_PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None


def _child_text(element: etree._Element, *names: str) -> str | None:
    """Text of the first descendant with one of `names` (local names; namespaces ignored)."""
    for name in names:
        for node in element.iter():
            if _local(node.tag) == name:
                text = normalize_space("".join(node.itertext()))
                if text:
                    return text
    return None


def parse_sitemap(body: bytes, tz: tzinfo = UTC) -> tuple[str, list[Link]]:
    """("index" | "urlset", entries); news:publication_date, else lastmod, is the date
    (read in `tz` when it has no offset)."""
    root = _xml_root(body)
    if root is None:
        return "urlset", []
    kind = "index" if _local(root.tag) == "sitemapindex" else "urlset"
    entry_tag = "sitemap" if kind == "index" else "url"
    links: list[Link] = []
    for entry in root:
        if _local(entry.tag) != entry_tag:
            continue
        loc = _resolve("", _child_text(entry, "loc") or "")
        if not loc:
            continue
        links.append(
            Link(
                url=loc,
                published_at=parse_date(_child_text(entry, "publication_date", "lastmod"), tz),
                title=_child_text(entry, "title"),
            )
        )
    return kind, links


def parse_feed(body: bytes, feed_url: str, tz: tzinfo = UTC) -> list[Link]:
    """Items of an RSS 2.0 / RSS 1.0 / Atom feed, in feed order; dates without an offset are
    read in `tz`."""
    root = _xml_root(body)
    if root is None:
        return []
    links: list[Link] = []
    for entry in root.iter():
        name = _local(entry.tag)
        if name not in ("item", "entry"):
            continue
        url = None
        for child in entry:
            if _local(child.tag) == "link":
                rel = child.get("rel", "alternate")
                href = child.get("href") or normalize_space(child.text)
                if href and rel == "alternate":
                    url = href
                    break
        if not url:
            guid = next((c for c in entry if _local(c.tag) in ("guid", "id")), None)
            text = normalize_space(guid.text) if guid is not None else ""
            url = text if text.startswith(("http://", "https://", "/")) else None
        url = _resolve(feed_url, url) if url else ""
        if not url:
            continue
        links.append(
            Link(
                url=url,
                published_at=parse_date(
                    _child_text(entry, "pubdate", "date", "published", "issued", "updated"), tz
                ),
                title=_child_text(entry, "title"),
            )
        )
    return links


#: Listings repeat their menus, section links and pagination on every page: the URL helpers
#: below are pure, so their answers are cached across pages (a few MB at most).
_URL_CACHE_SIZE = 16384


def _absolute(base: str, origin: str, href: str) -> str:
    """`href` resolved against `base`, without its fragment."""
    if href.startswith("/") and not href.startswith("//"):
        # Only the origin matters to a root-relative link, so the cache hits across pages.
        return _resolve(origin + "/", href)
    return _resolve(base, href)


@lru_cache(maxsize=_URL_CACHE_SIZE)
def _resolve(base: str, href: str) -> str:
    """ "" for a malformed `href` (a bad IPv6 literal, say): one bad link costs only itself."""
    try:
        return urlunsplit(urlsplit(urljoin(base, href))._replace(fragment=""))
    except ValueError:
        return ""


@lru_cache(maxsize=_URL_CACHE_SIZE)
def _listing_key(url: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """What identifies a listing apart from its page number: path and non-page parameters."""
    parts = urlsplit(url)
    params = tuple(
        sorted((k, v) for k, v in parse_qsl(parts.query) if k.lower() not in _PAGE_PARAMS)
    )
    return parts.path.rstrip("/") or "/", params


@lru_cache(maxsize=_URL_CACHE_SIZE)
def _has_page(url: str) -> bool:
    return any(k.lower() in _PAGE_PARAMS for k, _ in parse_qsl(urlsplit(url).query))


@lru_cache(maxsize=_URL_CACHE_SIZE)
def _page_number(url: str) -> str:
    params = {k.lower(): v for k, v in parse_qsl(urlsplit(url).query)}
    names = ("np", "page", "p", "pg", "pageno", "pageindex")
    return next((params[name] for name in names if name in params), "1")


def _link_title(anchor: lxml_html.HtmlElement) -> str | None:
    inner = _TITLE_SELECTOR(anchor)
    text = normalize_space((inner[0] if inner else anchor).text_content())
    return text or normalize_space(anchor.get("title")) or None


def _item_date(anchor: lxml_html.HtmlElement, tz: tzinfo) -> datetime | None:
    """A date shown in the list item around the link (`time`, or a short date-like text)."""
    items = anchor.xpath("ancestor::li[1]") or anchor.xpath("ancestor::article[1]")
    if not items:
        return None
    item = items[0]
    for node in item.iter("time"):
        value = parse_date(node.get("datetime") or node.text_content(), tz)
        if value:
            return value
    for node in item.iter():
        if not isinstance(node.tag, str):
            continue
        text = normalize_space(node.text)
        if text and len(text) <= 40 and _DATE_LIKE.search(text):
            return parse_date(text, tz)
    return None


def listing_root(html: str) -> lxml_html.HtmlElement | None:
    """The page parsed once for `needs_rendering` and `parse_listing` (2.4 ms at 120 KB)."""
    try:
        root = Selector(text=html).root
    except (ValueError, TypeError):
        return None
    return root if isinstance(root, lxml_html.HtmlElement) else None


def parse_listing(
    url: str, html: str, profile: SiteProfile, root: lxml_html.HtmlElement | None = None
) -> Listing:
    """Article, pagination and section links of a listing or home page of `profile`'s site,
    in page order. `root` is the page already parsed by `listing_root`, if it was."""
    listing = Listing()
    root = root if root is not None else listing_root(html)
    if root is None:
        return listing
    base = _resolve(url, next(iter(root.xpath("//base/@href")), url)) or url
    base_parts = urlsplit(base)
    origin = f"{base_parts.scheme}://{base_parts.netloc}"
    # A set of elements (not ids): it keeps lxml's proxies alive, so identity stays valid.
    paging = {a for box in _PAGING_CANDIDATES(root) if _IS_PAGING(box) for a in box.iter("a")}
    current_key, current_page = _listing_key(url), _page_number(url)
    by_id: dict[str, Link] = {}
    seen: set[str] = set()
    for anchor in root.iter("a", "link"):
        href = (anchor.get("href") or "").strip()
        if not href or href.startswith(("#", "javascript:", "mailto:")):
            continue
        target = _absolute(base, origin, href)
        if not target.startswith(("http://", "https://")) or not profile.owns(target):
            continue
        rel = (anchor.get("rel") or "").lower().split()
        if anchor.tag == "link" and "next" not in rel:
            continue
        ident = profile.article_id(target)
        if ident is not None and anchor.tag == "a":
            link = by_id.get(ident)
            if link is None:
                link = by_id[ident] = Link(target)
                listing.articles.append(link)
            link.title = link.title or _link_title(anchor)
            link.published_at = link.published_at or _item_date(anchor, profile.tz)
            continue
        if target in seen:
            continue
        same_listing = _listing_key(target) == current_key
        if same_listing and _page_number(target) == current_page:
            continue  # the page itself
        seen.add(target)
        if (same_listing and _has_page(target)) or "next" in rel or anchor in paging:
            listing.next_pages.append(target)
        elif profile.section_of(target) is not None:
            seen.add(target)
            listing.section_links.append(target)
    return listing


_SCRIPTS = "//script[(not(@type) or contains(@type, 'javascript') or @type = 'module')]"


@lru_cache(maxsize=64)
def _css(query: str) -> CSSSelector:
    return CSSSelector(query)


def needs_rendering(
    url: str, html: str, profile: SiteProfile, root: lxml_html.HtmlElement | None = None
) -> bool:
    """A listing whose item containers (the profile's `listing_containers`) hold no article
    link, on a page that runs scripts: its items are filled in by JavaScript, so only a
    browser sees them. `root` is the page already parsed by `listing_root`, if it was."""
    if not profile.listing_containers:
        return False
    root = root if root is not None else listing_root(html)
    if root is None:
        return False
    containers = _css(profile.listing_containers)(root)
    if not containers:
        return False
    for container in containers:
        for anchor in container.iter("a"):
            if profile.article_id(_resolve(url, anchor.get("href") or "")) is not None:
                return False
    return bool(root.xpath(_SCRIPTS))
