"""A loopback HTTP/1.1 server for a `ReplicaSite`, with the transfer variety WARC tests need.

Current article pages and feeds are gzipped when the client asks; legacy view.php pages and
all listing pages are sent chunked; everything else carries Content-Length. Every 200 has an
ETag (hash of the bytes sent) and a Last-Modified, and conditional requests get 304.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Protocol
from urllib.parse import parse_qs, urlsplit

from crawler.replica import padding, render
from crawler.replica.site import (
    ALL_CODE,
    KIND_GONE,
    LEGACY_CODES,
    REDIRECT_CODES,
    SECTIONS,
    ReplicaSite,
)

CHUNK_SIZE = 4096
_ARTICLE = re.compile(r"^/article/(\d+)/?$")
_MONTH = re.compile(r"^/sitemap/(\d{4}-\d{2})\.xml$")


@dataclass(frozen=True)
class RequestLog:
    method: str
    path: str  # path with query, as requested
    headers: dict[str, str]
    status: int
    #: time.monotonic() when the request arrived, for request-rate checks (politeness).
    arrived: float = 0.0


@dataclass(frozen=True)
class Redirect:
    location: str


def _int(value: str | None, default: int = 1) -> int:
    try:
        return max(1, int(value or default))
    except ValueError:
        return default


def route(site: ReplicaSite, target: str, base: str) -> render.Page | Redirect | None:
    """The page for a request target, a redirect, or None for 404."""
    parts = urlsplit(target)
    path = parts.path
    query = {key: values[0] for key, values in parse_qs(parts.query).items()}
    if path in ("/", "/index.php"):
        return render.home_page(site, base)
    if path == "/robots.txt":
        return render.robots(base)
    if path == "/sitemap.xml":
        return render.sitemap_index(site, base)
    if path == "/sitemap/news.xml":
        return render.news_sitemap(site, base)
    month = _MONTH.match(path)
    if month:
        items = render.months(site).get(month.group(1))
        return render.month_sitemap(items, base) if items else None
    if path == "/rss/newsAll":
        return render.rss(site, None, base)
    if path.startswith("/rss/kh_") and path[8:] in SECTIONS:
        return render.rss(site, path[8:], base)
    match = _ARTICLE.match(path)
    if match:
        article = site.get(match.group(1))
        if article is None or article.template != "current" or article.kind == KIND_GONE:
            return None
        return render.current_article(site, article, base)
    if path == "/view.php":
        ud = query.get("ud", "")
        article = site.get(ud)
        if article is not None and article.template != "current":
            return render.legacy_article(site, article, base)
        alias = site.by_alias(ud)
        return Redirect(f"{base}{alias.canonical_path}") if alias else None
    if path == "/list.php":
        ct = query.get("ct", "")
        if ct in REDIRECT_CODES:
            return Redirect(f"{base}/")
        if ct == ALL_CODE or ct in LEGACY_CODES:
            return render.legacy_list(site, ct, _int(query.get("np")), base)
        return None
    if path == "/api/section":
        section = query.get("path", "").strip("/")
        if section in render.CLIENT_SIDE_SECTIONS:
            return render.section_api(site, section, _int(query.get("page")))
        return None
    segments = path.strip("/").split("/")
    if segments[0] in SECTIONS and len(segments) <= 2:
        sub = segments[1] if len(segments) == 2 else None
        if sub is None or sub in SECTIONS[segments[0]]:
            return render.section_page(site, segments[0], sub, _int(query.get("page")), base)
    return None


def _accepts_gzip(header: str | None) -> bool:
    for token in (header or "").split(","):
        name, _, params = token.strip().partition(";")
        if name.strip().lower() == "gzip":
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _http_date(moment: datetime) -> str:
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def _not_modified(headers, etag: str, last_modified: datetime) -> bool:
    tags = headers.get("If-None-Match")
    if tags is not None:
        wanted = {t.strip().removeprefix("W/") for t in tags.split(",")}
        return "*" in wanted or etag in wanted
    since = headers.get("If-Modified-Since")
    if since:
        try:
            return last_modified.replace(microsecond=0) <= parsedate_to_datetime(since)
        except (TypeError, ValueError):
            return False
    return False


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "KHReplica/1.0"
    sys_version = ""
    timeout = 30
    server: _HTTPServer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the replica logs requests in `ReplicaServer.requests` instead."""

    def version_string(self) -> str:
        return self.server_version

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The Date header follows the site clock, so responses are reproducible."""
        return _http_date(self.server.replica.site.now)

    def do_GET(self) -> None:
        self._serve(head=False)

    def do_HEAD(self) -> None:
        self._serve(head=True)

    def _serve(self, head: bool) -> None:
        arrived = time.monotonic()
        replica = self.server.replica
        replica.released.wait()
        with replica.site.lock:
            result = replica.site.route(self.path, replica.base_url)
        if isinstance(result, Redirect):
            status = 301
            body = f'<html><body><a href="{result.location}">Moved</a></body></html>'.encode()
            self._simple(status, body, head, {"Location": result.location})
        elif result is None:
            status = 404
            body = b"<html><body><h1>404 Not Found</h1></body></html>"
            self._simple(status, body, head, {})
        else:
            status = self._page(result, head)
        headers = dict(self.headers.items())
        replica.log(RequestLog(self.command, self.path, headers, status, arrived))

    def _simple(self, status: int, body: bytes, head: bool, extra: dict[str, str]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _page(self, page: render.Page, head: bool) -> int:
        pad_to = self.server.replica.pad_bytes if page.content_type.startswith("text/html") else 0
        encoded = page.gzip and _accepts_gzip(self.headers.get("Accept-Encoding"))
        payload, etag = _payload(page.body, pad_to, page.encoding, encoded)
        common = {"ETag": etag, "Last-Modified": _http_date(page.last_modified)}
        if page.gzip:
            common["Vary"] = "Accept-Encoding"
        if self.server.replica.honour_conditionals and _not_modified(
            self.headers, etag, page.last_modified
        ):
            self.send_response(304)
            for name, value in common.items():
                self.send_header(name, value)
            self.end_headers()
            return 304
        self.send_response(200)
        self.send_header("Content-Type", page.content_type)
        for name, value in common.items():
            self.send_header(name, value)
        if encoded:
            self.send_header("Content-Encoding", "gzip")
        chunked = page.chunked and not head
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if head:
            return 200
        # Recorded before sending, so a client that has the body can already look it up.
        self.server.replica.record_payload(self.path, payload)
        if chunked:
            for start in range(0, len(payload), CHUNK_SIZE):
                chunk = payload[start : start + CHUNK_SIZE]
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        else:
            self.wfile.write(payload)
        return 200


@lru_cache(maxsize=4096)
def _payload(body: str, pad_to: int, encoding: str, gzipped: bool) -> tuple[bytes, str]:
    """A page's bytes as sent, and their ETag. Kept like a CDN keeps them, so a benchmark that
    fetches the same pages again measures the crawler, not this server's gzip of 120 KB pages."""
    if pad_to:
        body = padding.pad(body, pad_to)
    payload = body.encode(encoding, errors="xmlcharrefreplace")
    if gzipped:
        payload = gzip.compress(payload, compresslevel=6, mtime=0)
    return payload, f'"{hashlib.sha1(payload).hexdigest()[:24]}"'


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    replica: ReplicaServer


class ServedSite(Protocol):
    """What the server needs of a replica site: a clock, a lock held while rendering, and
    the page (or redirect, or None for 404) for a request target. `ReplicaSite` is the Korea
    Herald; other sites' replicas implement the same three members."""

    lock: threading.RLock
    now: datetime

    def route(self, target: str, base: str) -> render.Page | Redirect | None: ...


class ReplicaServer:
    """Serves a replica site on 127.0.0.1 (or another loopback address) from a daemon thread;
    use as a context manager."""

    def __init__(self, site: ServedSite, host: str = "127.0.0.1", port: int = 0) -> None:
        self.site = site
        self._httpd = _HTTPServer((host, port), _Handler)
        self._httpd.replica = self
        self.host, self.port = self._httpd.server_address[:2]
        self.base_url = f"http://{self.host}:{self.port}"
        self.requests: list[RequestLog] = []
        self.sent_payloads: dict[str, bytes] = {}
        #: False plays a server that ignores If-None-Match / If-Modified-Since and sends the
        #: same 200 again, as many do: a re-check then finds an identical payload.
        self.honour_conditionals = True
        #: HTML pages are padded to this many bytes with realistic boilerplate (0: as built),
        #: so benchmarks can run at the weight of real news pages (crawler.replica.padding).
        self.pad_bytes = 0
        #: Cleared, requests are held until it is set again (a test's start line: every
        #: client is ready before any response goes out). Arrival is logged as it happened.
        self.released = threading.Event()
        self.released.set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def log(self, entry: RequestLog) -> None:
        with self._lock:
            self.requests.append(entry)

    def record_payload(self, path: str, payload: bytes) -> None:
        with self._lock:
            self.sent_payloads[path] = payload

    def start(self) -> ReplicaServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="replica-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
            self._thread = None
        self._httpd.server_close()

    def __enter__(self) -> ReplicaServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
