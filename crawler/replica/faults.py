"""Fault mode: the replica's good articles among hostile pages, on their own loopback server.

`FaultServer` serves a `ReplicaSite` and, beside it, one of each kind of bad server behaviour
from issue 12. Every hostile page has an id in the 9xxxxxxx range and a name in `HOSTILE`:

- `/article/90000001` gzip bomb (Content-Encoding: gzip, 256 MiB of zeros)
- `/article/90000002` a 60 MB page
- `/article/90000003` slow drip: a byte every half second, for minutes
- `/article/90000004` a redirect chain of 30 hops; `/article/90000005` a redirect loop
- `/article/90000006` 503 with a Retry-After of a day
- `/article/90000007` a page that takes trafilatura minutes (200,000 bare paragraphs)
- `/article/90000008` JSON-LD with a huge keyword list and deep nesting (a good article)
- `/article/90000020` a redirect to the off-site host
- `/hostile-sitemap.xml.gz` a gzipped sitemap bomb (no Content-Encoding)
- `/?page=N` a pagination trap whose pages fill in by script (so Chromium renders them) and
  try iframes and a script off the origin; `/?view=escape` a JavaScript redirect off-site
- links to the off-site host, to another port of this host, `ftp:`, `mailto:`,
  `javascript:`, `tel:`, `data:`, `file:` and full-width-digit ids; a year-0001 `lastmod`

The first request for two good articles gets 429 (Retry-After in seconds) and 503
(Retry-After as an HTTP-date). `robots.txt` may carry a Crawl-delay. `SinkServer` stands for
the hosts a crawl must never reach and logs anything that arrives.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from crawler.replica.render import Page
from crawler.replica.server import Redirect
from crawler.replica.site import ReplicaSite

HOSTILE = {
    "90000001": "gzip_bomb",
    "90000002": "huge_page",
    "90000003": "slow_drip",
    "90000004": "redirect_chain",
    "90000005": "redirect_loop",
    "90000006": "retry_after_too_long",
    "90000007": "parser_hang",
    "90000008": "jsonld_abuse",
    "90000020": "offsite_redirect",
}
#: The one hostile page that is a good article underneath: it must be kept.
GOOD_HOSTILE = "90000008"
BOMB_BYTES = 256 * 2**20
HUGE_PAGE_BYTES = 60 * 2**20
REDIRECT_HOPS = 30
#: Seconds the 429 and 503 answers ask the crawler to wait.
RETRY_AFTER_S = 2


@dataclass(frozen=True)
class Access:
    at: float  # time.monotonic() when the request head was read
    server: str  # host:port that received it
    path: str
    status: int


class AccessLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.entries: list[Access] = []

    def add(self, entry: Access) -> None:
        with self._lock:
            self.entries.append(entry)

    def paths(self, path: str) -> list[Access]:
        with self._lock:
            return [entry for entry in self.entries if entry.path == path]


_BOMB: bytes | None = None
_BOMB_LOCK = threading.Lock()


def _zeros_gzip(size: int) -> bytes:
    """`size` zero bytes, gzipped (about a thousandth of `size`), built once per process."""
    global _BOMB
    with _BOMB_LOCK:
        if _BOMB is None:
            packer = zlib.compressobj(9, zlib.DEFLATED, 31)
            chunk = bytes(2**20)
            parts = [packer.compress(chunk) for _ in range(size // len(chunk))]
            _BOMB = b"".join([*parts, packer.flush()])
        return _BOMB


def _hanging_page() -> str:
    """Markup that takes trafilatura minutes of CPU (superlinear in the paragraph count)."""
    return "<html><body><article>" + "<p>word word word</p>" * 200_000 + "</article></body></html>"


def _abused_jsonld_page(base: str) -> str:
    keywords = [f"keyword {i}" for i in range(100_000)]
    nested = '{"name": ' * 500 + '"Nobody"' + "}" * 500
    ld = (
        '{"@context": "https://schema.org", "@type": "NewsArticle",'
        ' "headline": "Keyword stuffing survives", "datePublished": "0001-01-01T00:00:00Z",'
        f' "keywords": {json.dumps(keywords)}, "author": [{nested}]}}'
    )
    body = "".join(
        f"<p>Paragraph {n} of an article whose structured data is absurd but whose body is"
        " fine, so the crawl keeps it and takes each field from the next source.</p>"
        for n in range(12)
    )
    return (
        "<html lang='en'><head><title>Keyword stuffing survives</title>"
        '<meta property="og:title" content="Keyword stuffing survives">'
        '<meta property="article:published_time" content="2025-01-10T09:00:00+09:00">'
        f'<link rel="canonical" href="{base}/article/{GOOD_HOSTILE}">'
        f'<script type="application/ld+json">{ld}</script></head>'
        f"<body><article><h1>Keyword stuffing survives</h1>{body}</article></body></html>"
    )


def _trap_page(number: int, offsite: str, other_port: str) -> str:
    """A listing page with no articles that a script "fills", so Chromium renders it; its
    next page is always one more, and its frames and script try to leave the origin."""
    return (
        "<html><head><title>Archive</title>"
        f'<script src="{offsite}/trap.js"></script></head><body>'
        '<ul class="news_list"></ul><script>document.title = "Archive";</script>'
        f'<iframe src="{offsite}/frame?page={number}"></iframe>'
        f'<iframe src="{other_port}/frame?page={number}"></iframe>'
        f'<div class="paging"><a href="/?page={number + 1}" rel="next">Next</a>'
        f'<a href="/?page={number + 1}&amp;date=2025-01-{number % 28 + 1:02d}">Day</a></div>'
        "</body></html>"
    )


def _escape_page(offsite: str) -> str:
    """A listing that, once rendered, navigates the browser to the off-site host."""
    return (
        '<html><body><ul class="news_list"></ul><script>setTimeout(function () {'
        f' window.location.href = "{offsite}/js-redirect"; }}, 50);</script></body></html>'
    )


class FaultSite:
    """The replica site plus the hostile pages; holds what the handler needs to answer."""

    def __init__(
        self,
        site: ReplicaSite,
        offsite_url: str,
        other_port_url: str,
        *,
        hostile: bool = True,
        crawl_delay: float | None = None,
    ) -> None:
        self.site = site
        self.offsite_url = offsite_url
        self.other_port_url = other_port_url
        self.hostile = hostile
        self.crawl_delay = crawl_delay
        current = [row for row in site.ground_truth() if row["template"] == "current"]
        #: Good articles whose first request is answered 429 / 503 with a Retry-After.
        self.retry_after_429 = f"/article/{current[0]['article_id']}"
        self.retry_after_503 = f"/article/{current[1]['article_id']}"
        self._refused: set[str] = set()
        self._lock = threading.Lock()

    def first_time(self, path: str) -> bool:
        with self._lock:
            if path in self._refused:
                return False
            self._refused.add(path)
            return True

    def robots(self, base: str) -> str:
        lines = ["User-agent: *", "Disallow: /search/"]
        if self.crawl_delay is not None:
            lines.append(f"Crawl-delay: {self.crawl_delay:g}")
        lines.append(f"Sitemap: {base}/sitemap.xml")
        if self.hostile:
            lines += [f"Sitemap: {base}/hostile-sitemap.xml", f"Sitemap: {base}/bomb.xml.gz"]
        return "\n".join(lines) + "\n"

    def hostile_links(self) -> str:
        ids = "".join(f'<li><a href="/article/{ident}">Story {ident}</a></li>' for ident in HOSTILE)
        full_width = "90000009".translate(
            str.maketrans("0123456789", "".join(chr(0xFF10 + i) for i in range(10)))
        )
        return (
            f'<ul class="hostile">{ids}'
            f'<li><a href="{self.offsite_url}/article/90000010">Elsewhere</a></li>'
            f'<li><a href="{self.other_port_url}/article/90000011">Other port</a></li>'
            f'<li><a href="/article/{full_width}">Full-width</a></li>'
            '<li><a href="ftp://127.0.0.1/article/90000012">FTP</a></li>'
            '<li><a href="mailto:desk@example.com">Mail</a></li>'
            '<li><a href="javascript:void(0)">JS</a></li>'
            '<li><a href="tel:+8220000000">Call</a></li>'
            '<li><a href="data:text/html,hi">Data</a></li>'
            '<li><a href="file:///etc/passwd">File</a></li>'
            '</ul><div class="paging"><a href="/?page=2" rel="next">Older</a>'
            '<a href="/?view=escape&amp;page=1">Elsewhere</a></div>'
        )

    def hostile_feed_items(self, base: str) -> str:
        links = [
            "ftp://127.0.0.1/article/90000013",
            f"{self.offsite_url}/article/90000014",
            f"{self.other_port_url}/article/90000015",
            "mailto:desk@example.com",
        ]
        return "".join(f"<item><link>{link}</link></item>" for link in links)

    def hostile_sitemap(self, base: str) -> str:
        good = self.site.ground_truth()[2]["canonical_path"]
        entries = [
            (f"{base}{good}", "0001-01-01T00:00:00+00:00"),
            ("ftp://127.0.0.1/article/90000016", "2025-01-01"),
            (f"{self.offsite_url}/article/90000017", "2025-01-01"),
            (f"{base}/article/{GOOD_HOSTILE}", "9999-12-31T23:59:59-14:00"),
        ]
        urls = "".join(f"<url><loc>{u}</loc><lastmod>{m}</lastmod></url>" for u, m in entries)
        return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'


class _FaultHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FaultReplica/1.0"
    timeout = 30
    server: _FaultHTTPServer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: requests go to the access log."""

    def do_GET(self) -> None:
        arrived = time.monotonic()
        try:
            status = self._answer()
        except (BrokenPipeError, ConnectionResetError):
            status = 499  # the client hung up: what a crawler that gives up does
        self.server.access.add(Access(arrived, self.server.address, self.path, status))

    def _answer(self) -> int:
        fault = self.server.fault
        base = self.server.base_url
        path = urlsplit(self.path).path
        query = urlsplit(self.path).query
        if path == "/robots.txt":
            return self._send(200, fault.robots(base).encode(), "text/plain; charset=utf-8")
        if fault.hostile:
            answer = self._hostile(path, query)
            if answer is not None:
                return answer
        if self.path in (fault.retry_after_429, fault.retry_after_503) and fault.first_time(
            self.path
        ):
            if self.path == fault.retry_after_429:
                return self._send(429, b"slow down", "text/plain", {"Retry-After": "2"})
            later = datetime.now(UTC) + timedelta(seconds=RETRY_AFTER_S + 1)
            date = format_datetime(later.replace(microsecond=0), usegmt=True)
            return self._send(503, b"busy", "text/plain", {"Retry-After": date})
        with fault.site.lock:
            result = fault.site.route(self.path, base)
        if isinstance(result, Redirect):
            return self._send(301, b"", "text/html", {"Location": result.location})
        if not isinstance(result, Page):
            return self._send(404, b"not found", "text/html")
        body = result.body
        if fault.hostile and path == "/":
            body = body.replace("</body>", fault.hostile_links() + "</body>")
        if fault.hostile and path == "/rss/newsAll":
            body = body.replace("</channel>", fault.hostile_feed_items(base) + "</channel>")
        payload = body.encode(result.encoding, errors="xmlcharrefreplace")
        return self._send(200, payload, result.content_type)

    def _hostile(self, path: str, query: str) -> int | None:
        fault = self.server.fault
        base = self.server.base_url
        ident = path.removeprefix("/article/") if path.startswith("/article/") else ""
        kind = HOSTILE.get(ident)
        if kind == "gzip_bomb":
            bomb = _zeros_gzip(BOMB_BYTES)
            return self._send(200, bomb, "text/html", {"Content-Encoding": "gzip"})
        if kind == "huge_page":
            return self._stream(200, HUGE_PAGE_BYTES, b"<p>" + b"x" * 1020 + b"</p>", 0.0)
        if kind == "slow_drip":
            return self._stream(200, 10_000, b"<", 0.5)
        if kind == "redirect_chain":
            return self._send(302, b"", "text/html", {"Location": "/hop/1"})
        if path.startswith("/hop/"):
            hop = int(path.removeprefix("/hop/") or 0)
            target = f"/hop/{hop + 1}" if hop < REDIRECT_HOPS else "/article/10000000"
            return self._send(302, b"", "text/html", {"Location": target})
        if kind == "offsite_redirect":
            location = f"{fault.offsite_url}/article/90000021"
            return self._send(302, b"", "text/html", {"Location": location})
        if kind == "redirect_loop":
            return self._send(302, b"", "text/html", {"Location": "/loop/a"})
        if path in ("/loop/a", "/loop/b"):
            other = "/loop/b" if path == "/loop/a" else "/loop/a"
            return self._send(302, b"", "text/html", {"Location": other})
        if kind == "retry_after_too_long":
            return self._send(503, b"busy", "text/plain", {"Retry-After": "86400"})
        if kind == "parser_hang":
            return self._send(200, _hanging_page().encode(), "text/html; charset=utf-8")
        if kind == "jsonld_abuse":
            page = _abused_jsonld_page(base).encode()
            return self._send(200, page, "text/html; charset=utf-8")
        if path == "/hostile-sitemap.xml":
            return self._send(200, fault.hostile_sitemap(base).encode(), "application/xml")
        if path == "/bomb.xml.gz":
            return self._send(200, _zeros_gzip(BOMB_BYTES), "application/x-gzip")
        if path == "/" and query.startswith("view=escape"):
            page = _escape_page(fault.offsite_url)
            return self._send(200, page.encode(), "text/html; charset=utf-8")
        if path == "/" and query.startswith("page="):
            number = int(query.split("&")[0].removeprefix("page=") or 1)
            page = _trap_page(number, fault.offsite_url, fault.other_port_url)
            return self._send(200, page.encode(), "text/html; charset=utf-8")
        return None

    def _send(self, status: int, body: bytes, content_type: str, extra: dict | None = None) -> int:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return status

    def _stream(self, status: int, length: int, chunk: bytes, pause: float) -> int:
        """`length` bytes of `chunk` repeated, with `pause` seconds between chunks."""
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(length))
        self.end_headers()
        sent = 0
        while sent < length:
            piece = chunk[: length - sent]
            self.wfile.write(piece)
            self.wfile.flush()
            sent += len(piece)
            if pause:
                time.sleep(pause)
        return status


class _FaultHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    fault: FaultSite
    access: AccessLog
    base_url: str
    address: str


class _SinkHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _FaultHTTPServer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: requests go to the access log."""

    def do_GET(self) -> None:
        self.server.access.add(Access(time.monotonic(), self.server.address, self.path, 200))
        body = b"<html><body>off-site</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)


class _Served:
    """A loopback HTTP server in a daemon thread; a context manager."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], host: str) -> None:
        self._httpd = _FaultHTTPServer((host, 0), handler)
        self.host, self.port = self._httpd.server_address[:2]
        self.base_url = f"http://{self.host}:{self.port}"
        self.access = AccessLog()
        self._httpd.access = self.access
        self._httpd.base_url = self.base_url
        self._httpd.address = f"{self.host}:{self.port}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> _Served:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._thread.join()
        self._httpd.server_close()


class SinkServer(_Served):
    """A host the crawl must never reach: it answers anything and logs it."""

    def __init__(self, host: str = "127.0.0.2") -> None:
        super().__init__(_SinkHandler, host)


class FaultServer(_Served):
    """The replica in fault mode on `host` (127.0.0.1 by default)."""

    def __init__(self, fault: FaultSite, host: str = "127.0.0.1") -> None:
        super().__init__(_FaultHandler, host)
        self.fault = fault
        self._httpd.fault = fault


__all__ = ["HOSTILE", "AccessLog", "FaultServer", "FaultSite", "SinkServer"]
