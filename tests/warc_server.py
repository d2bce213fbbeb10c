"""Loopback HTTP/1.1 server that writes raw bytes, so tests know exactly what went over the wire.

Also ``read_warc``, which reads a WARC back with warcio, checking digests, for the WARC tests.

Routes (query strings are ignored for routing):

- ``/robots.txt``      200, Content-Length
- ``/plain``           200 "Everything Fine Here", HTML, interleaved mixed-case headers
- ``/gzip``            200, ``Content-Encoding: gzip``, Content-Length
- ``/chunked``         200, ``Transfer-Encoding: chunked``, three chunks
- ``/chunked-gzip``    200, gzip body sent chunked
- ``/redirect``        301 "Moved For Good" to ``/plain?via=redirect``
- ``/missing``         404 "Not Around"
- ``/error``           500 "Server Fell Over"
- ``/slow/<n>``        200 after ``slow_delay`` seconds (for kill tests)

Every response sent is logged in ``sent`` as ``(path, status, head, payload)``: the head as
written and the body without transfer framing.
"""

from __future__ import annotations

import gzip
import socketserver
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from warcio.archiveiterator import ArchiveIterator

HTML = (
    b"<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>Plain page</title></head>\n"
    b"<body><h1>Archived &amp; replayed</h1><p>caf\xc3\xa9 \xe2\x80\x94 snapshot</p>"
    b"<a href='/gzip'>gzip</a></body></html>\n"
)
GZIP_BODY = gzip.compress(b"<html><body>" + b"compressed text " * 64 + b"</body></html>", mtime=0)
CHUNKS = [b"<html><body>first chunk, ", b"0\r\nnot a chunk size\r\n, ", b"last</body></html>"]


@dataclass(frozen=True, slots=True)
class Sent:
    path: str
    status: int
    head: bytes
    payload: bytes


def _head(status_line: bytes, headers: list[bytes]) -> bytes:
    return status_line + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n"


def _chunked(chunks: list[bytes]) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"


def response_for(path: str) -> tuple[int, bytes, bytes, bytes]:
    """(status, head, payload, wire body) for a routed path."""
    route = path.split("?", 1)[0]
    if route == "/robots.txt":
        body = b"User-agent: *\nAllow: /\n"
        head = _head(
            b"HTTP/1.1 200 OK", [b"Content-Type: text/plain", b"Content-Length: %d" % len(body)]
        )
        return 200, head, body, body
    if route == "/plain" or route.startswith("/slow/"):
        head = _head(
            b"HTTP/1.1 200 Everything Fine Here",
            [
                b"x-custom-header: one",
                b"content-TYPE: text/html; charset=utf-8",
                b"Set-Cookie: a=1; Path=/",
                b"X-Custom-Header: two",
                b"Date: Mon, 01 Jan 2024 00:00:00 GMT",
                b"Content-Length: %d" % len(HTML),
            ],
        )
        return 200, head, HTML, HTML
    if route == "/gzip":
        head = _head(
            b"HTTP/1.1 200 OK",
            [
                b"Content-Type: text/html",
                b"content-encoding: gzip",
                b"Vary: Accept-Encoding",
                b"Content-Length: %d" % len(GZIP_BODY),
            ],
        )
        return 200, head, GZIP_BODY, GZIP_BODY
    if route == "/chunked":
        payload = b"".join(CHUNKS)
        head = _head(
            b"HTTP/1.1 200 Chunky", [b"Content-Type: text/html", b"transfer-encoding: chunked"]
        )
        return 200, head, payload, _chunked(CHUNKS)
    if route == "/chunked-gzip":
        parts = [GZIP_BODY[:10], GZIP_BODY[10:100], GZIP_BODY[100:]]
        head = _head(
            b"HTTP/1.1 200 OK",
            [b"Transfer-Encoding: chunked", b"Content-Type: text/html", b"Content-Encoding: gzip"],
        )
        return 200, head, GZIP_BODY, _chunked(parts)
    if route == "/redirect":
        head = _head(
            b"HTTP/1.1 301 Moved For Good", [b"location: /plain?via=redirect", b"Content-Length: 0"]
        )
        return 301, head, b"", b""
    if route == "/missing":
        body = b"<html><body>nothing here</body></html>"
        head = _head(
            b"HTTP/1.1 404 Not Around",
            [b"Content-Type: text/html", b"Content-Length: %d" % len(body)],
        )
        return 404, head, body, body
    if route == "/error":
        body = b"oops"
        head = _head(
            b"HTTP/1.1 500 Server Fell Over", [b"Content-Length: 4", b"Content-Type: text/plain"]
        )
        return 500, head, body, body
    body = b"no route"
    head = _head(b"HTTP/1.1 404 Not Found", [b"Content-Length: %d" % len(body)])
    return 404, head, body, body


class _Handler(socketserver.StreamRequestHandler):
    server: _Server

    def handle(self) -> None:
        while True:
            request_line = self.rfile.readline()
            if not request_line:
                return
            headers = []
            while (line := self.rfile.readline()) not in (b"\r\n", b"\n", b""):
                headers.append(line)
            path = request_line.split(b" ")[1].decode("ascii")
            if path.startswith("/slow/"):
                time.sleep(self.server.slow_delay)
            status, head, payload, wire = response_for(path)
            with self.server.lock:
                self.server.sent.append(Sent(path, status, head, payload))
            self.wfile.write(head + wire)
            self.wfile.flush()
            if any(h.lower().startswith(b"connection: close") for h in headers):
                return


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.sent: list[Sent] = []
        self.lock = threading.Lock()
        self.slow_delay = 0.05


class WarcTestServer:
    """Context manager: serves on a free loopback port in a thread."""

    def __init__(self, slow_delay: float = 0.05) -> None:
        self._server = _Server()
        self._server.slow_delay = slow_delay
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def sent(self) -> list[Sent]:
        with self._server.lock:
            return list(self._server.sent)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@dataclass(frozen=True, slots=True)
class ReadRecord:
    """A record as read back: warcio's view (type, headers, offset, length) plus the raw block."""

    rec_type: str
    headers: dict[str, str]
    offset: int
    length: int
    block: bytes

    @property
    def http_head(self) -> bytes:
        return self.block[: self.block.index(b"\r\n\r\n") + 4]

    @property
    def payload(self) -> bytes:
        return self.block[len(self.http_head) :]


def read_warc(path: Path) -> list[ReadRecord]:
    """Every record of a WARC, with warcio verifying each digest (it raises on a mismatch)."""
    data = path.read_bytes()
    records = []
    with path.open("rb") as f:
        iterator = ArchiveIterator(f, check_digests="raise")
        for record in iterator:
            record.raw_stream.read()  # digests are checked as the stream is consumed
            if record.rec_type in ("request", "response"):
                assert record.digest_checker.passed is True, record.digest_checker.problems
            offset, length = iterator.get_record_offset(), iterator.get_record_length()
            member = gzip.decompress(data[offset : offset + length])
            _, _, rest = member.partition(b"\r\n\r\n")
            size = int(record.rec_headers.get_header("Content-Length"))
            assert rest[size:] == b"\r\n\r\n"
            headers = dict(record.rec_headers.headers)
            records.append(ReadRecord(record.rec_type, headers, offset, length, rest[:size]))
    return records
