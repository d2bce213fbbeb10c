"""Real Scrapy crawls against tests/warc_server.py, read back with warcio, cdxj-indexer and pywb.

Each crawl runs in a subprocess (this file run as a script), since a Twisted reactor starts once.
"""

from __future__ import annotations

import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import scrapy
from cdxj_indexer import CDXJIndexer
from scrapy.crawler import CrawlerProcess
from warcio.archiveiterator import ArchiveIterator

from crawler.warc.records import without_transfer_encoding
from crawler.warc.recovery import complete_length
from tests.warc_server import CHUNKS, HTML, ReadRecord, Sent, WarcTestServer, read_warc

ROOT = Path(__file__).resolve().parents[1]
#: pywb pins redis==2.10.6, so it lives in a tool virtualenv of its own (`make pywb`).
PYWB_VENV = ROOT / ".venv-pywb"

CAPTURE_SETTINGS: dict[str, Any] = {
    "DOWNLOAD_HANDLERS": {
        "http": "crawler.warc.handler.WarcCaptureDownloadHandler",
        "https": "crawler.warc.handler.WarcCaptureDownloadHandler",
    },
    "EXTENSIONS": {"crawler.extensions.warc.WarcExtension": 500},
    "HTTPERROR_ALLOW_ALL": True,
    "TELNETCONSOLE_ENABLED": False,
    "LOG_LEVEL": "INFO",
    "USER_AGENT": "newscrawl-test (+https://example.org/contact)",
    "CONTACT_URL": "https://example.org/contact",
    "RUN_ID": "test-run",
}


class UrlListSpider(scrapy.Spider):
    name = "warc_test"

    def __init__(self, urls: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = urls

    async def start(self):  # type: ignore[override]
        for url in self.urls:
            yield scrapy.Request(url, dont_filter=True)

    def parse(self, response: scrapy.http.Response) -> Any:
        yield {"url": response.url, "status": response.status, "warc": response.meta.get("warc")}


def _crawl_main(config_path: str) -> None:
    """Subprocess entry: crawl ``urls`` with ``settings``, dump items and stats as JSON."""
    config = json.loads(Path(config_path).read_text())
    items: list[dict[str, Any]] = []
    process = CrawlerProcess({**CAPTURE_SETTINGS, **config["settings"]})
    crawler = process.create_crawler(UrlListSpider)

    def collect(item: dict[str, Any]) -> None:  # a named function: signals hold weak references
        items.append(dict(item))

    crawler.signals.connect(collect, scrapy.signals.item_scraped)
    process.crawl(crawler, urls=config["urls"])
    process.start()
    assert crawler.stats is not None
    result = {"items": items, "stats": crawler.stats.get_stats()}
    Path(config["result"]).write_text(json.dumps(result, default=str))


def start_crawl(tmp: Path, urls: list[str], **settings: Any) -> subprocess.Popen[bytes]:
    config = tmp / "crawl.json"
    result = tmp / "result.json"
    result.unlink(missing_ok=True)
    settings.setdefault("OUTPUT_DIR", str(tmp / "output"))
    config.write_text(json.dumps({"urls": urls, "settings": settings, "result": str(result)}))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = (tmp / "crawl.log").open("wb")
    return subprocess.Popen(
        [sys.executable, __file__, str(config)], cwd=tmp, env=env, stdout=log, stderr=log
    )


def crawl(tmp: Path, urls: list[str], **settings: Any) -> dict[str, Any]:
    process = start_crawl(tmp, urls, **settings)
    code = process.wait(timeout=60)
    assert code == 0, (tmp / "crawl.log").read_text()
    return json.loads((tmp / "result.json").read_text())


PATHS = ["/plain", "/gzip", "/chunked", "/chunked-gzip", "/redirect", "/missing", "/error"]
MAX_SIZE = 3000
NAME = re.compile(r"^newscrawl-\d{14}-(\d{5})-\w+-(\d+)\.warc\.gz$")


@dataclass
class Capture:
    server_url: str
    sent: list[Sent]
    result: dict[str, Any]
    warcs: list[Path]
    records: dict[Path, list[ReadRecord]]

    def of_type(self, rec_type: str) -> list[ReadRecord]:
        return [r for recs in self.records.values() for r in recs if r.rec_type == rec_type]


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> Capture:
    tmp = tmp_path_factory.mktemp("capture")
    with WarcTestServer() as server:
        urls = [server.url + path for path in PATHS]
        result = crawl(tmp, urls, ROBOTSTXT_OBEY=True, WARC_MAX_SIZE=MAX_SIZE)
        sent = server.sent
    warcs = sorted((tmp / "output" / "warc").glob("*.warc.gz"))
    return Capture(server.url, sent, result, warcs, {w: read_warc(w) for w in warcs})


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def test_every_file_starts_with_warcinfo_and_all_digests_verify(capture: Capture) -> None:
    for path, records in capture.records.items():
        info = records[0]
        assert info.rec_type == "warcinfo"
        assert info.headers["WARC-Filename"] == path.name
        fields = dict(line.split(": ", 1) for line in info.block.decode().splitlines())
        assert fields["software"].startswith("newscrawl/0.1.0 Scrapy/")
        assert fields["robots"] == "obey"
        assert fields["operator"] == "https://example.org/contact"
        assert fields["run-id"] == "test-run"
        assert fields["http-header-user-agent"].startswith("newscrawl-test")
        assert all(r.rec_type != "warcinfo" for r in records[1:])


def test_one_response_record_per_response_received(capture: Capture) -> None:
    recorded = Counter(
        (_path(r.headers["WARC-Target-URI"]), int(r.block.split(b" ", 2)[1]))
        for r in capture.of_type("response")
    )
    assert recorded == Counter((s.path, s.status) for s in capture.sent)
    # robots.txt, the redirect and its target, the 404, and the 500 with its two retries
    assert recorded[("/robots.txt", 200)] == 1
    assert recorded[("/redirect", 301)] == 1
    assert recorded[("/plain?via=redirect", 200)] == 1
    assert recorded[("/missing", 404)] == 1
    assert recorded[("/error", 500)] == 3
    assert capture.result["stats"]["warc/records_written"] == 2 * sum(recorded.values())


def test_status_line_headers_and_payload_as_sent(capture: Capture) -> None:
    by_path = {s.path: s for s in capture.sent}
    for record in capture.of_type("response"):
        sent = by_path[_path(record.headers["WARC-Target-URI"])]
        assert record.http_head == without_transfer_encoding(sent.head)
        assert record.payload == sent.payload
        assert record.headers["WARC-IP-Address"] == "127.0.0.1"
    heads = {_path(r.headers["WARC-Target-URI"]): r for r in capture.of_type("response")}
    assert heads["/plain"].http_head.startswith(
        b"HTTP/1.1 200 Everything Fine Here\r\nx-custom-header: one\r\ncontent-TYPE: "
    )
    assert heads["/plain"].payload == HTML
    assert heads["/chunked"].payload == b"".join(CHUNKS)
    assert b"\r\nX-Crawler-Transfer-Encoding: chunked\r\n" in heads["/chunked"].http_head
    assert heads["/gzip"].payload[:2] == b"\x1f\x8b"  # stored as sent, not decompressed
    assert heads["/chunked-gzip"].payload == by_path["/gzip"].payload


def test_request_records_hold_the_request_as_sent(capture: Capture) -> None:
    responses = {r.headers["WARC-Record-ID"]: r for r in capture.of_type("response")}
    requests = capture.of_type("request")
    assert len(requests) == len(responses)
    for request in requests:
        response = responses[request.headers["WARC-Concurrent-To"]]
        url = request.headers["WARC-Target-URI"]
        assert url == response.headers["WARC-Target-URI"]
        host = urlsplit(url).netloc.encode()
        assert request.http_head.startswith(b"GET %s HTTP/1.1\r\n" % _path(url).encode())
        assert b"\r\nHost: %s\r\n" % host in request.http_head
        assert b"\r\nUser-Agent: newscrawl-test" in request.http_head


def test_meta_pointer_slices_to_the_response_record(capture: Capture) -> None:
    items = capture.result["items"]
    assert sorted(_path(i["url"]) for i in items) == sorted(
        [
            "/plain",
            "/gzip",
            "/chunked",
            "/chunked-gzip",
            "/plain?via=redirect",
            "/missing",
            "/error",
        ]
    )
    warc_dir = capture.warcs[0].parent
    for item in items:
        pointer = item["warc"]
        data = (warc_dir / pointer["warc_filename"]).read_bytes()
        piece = data[pointer["warc_offset"] : pointer["warc_offset"] + pointer["warc_length"]]
        records = list(ArchiveIterator(io.BytesIO(piece), check_digests="raise"))
        assert len(records) == 1
        assert records[0].rec_type == "response"
        assert records[0].rec_headers.get_header("WARC-Record-ID") == pointer["warc_record_id"]
        assert records[0].rec_headers.get_header("WARC-Target-URI") == item["url"]
        assert records[0].http_headers.get_statuscode() == str(item["status"])


def test_rotation_by_size_and_open_files_renamed(capture: Capture) -> None:
    warc_dir = capture.warcs[0].parent
    assert len(capture.warcs) > 1
    assert not list(warc_dir.glob("*.open"))
    serials = [int(NAME.match(w.name).group(1)) for w in capture.warcs]  # type: ignore[union-attr]
    assert serials == list(range(len(capture.warcs)))
    assert all(w.stat().st_size >= MAX_SIZE for w in capture.warcs[:-1])
    assert capture.result["stats"]["warc/files_written"] == len(capture.warcs)


def test_cdxj_index_beside_each_warc(capture: Capture) -> None:
    for warc in capture.warcs:
        lines = warc.with_name(warc.name + ".cdxj").read_text().splitlines()
        assert lines == sorted(lines)
        by_cdxj_indexer = io.StringIO()  # the writer made its lines; they must be pywb's own
        CDXJIndexer(by_cdxj_indexer, [str(warc)], sort=True).process_all()
        assert lines == by_cdxj_indexer.getvalue().splitlines()
        responses = [r for r in capture.records[warc] if r.rec_type == "response"]
        assert len(lines) == len(responses)
        for line in lines:
            key, _timestamp, blob = line.split(" ", 2)
            entry = json.loads(blob)
            assert key.startswith("1,0,0,127:")  # SURT: reversed host, port, then ")/path"
            assert entry["filename"] == warc.name
            record = next(r for r in responses if r.offset == int(entry["offset"]))
            assert record.length == int(entry["length"])
            assert record.headers["WARC-Target-URI"] == entry["url"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.read()


def test_pywb_replays_the_archived_page(capture: Capture, tmp_path: Path) -> None:
    """pywb's own `wayback` server, in its own process (it monkey-patches with gevent)."""
    wayback = PYWB_VENV / "bin" / "wayback"
    if not wayback.exists():
        pytest.skip(f"pywb's tool virtualenv {PYWB_VENV} is missing: `make pywb` creates it")
    warc_dir = capture.warcs[0].parent
    collection = {"index": str(warc_dir), "archive_paths": str(warc_dir) + "/"}
    (tmp_path / "config.yaml").write_text(json.dumps({"collections": {"news": collection}}))
    port = _free_port()
    server = subprocess.Popen(
        [str(wayback), "--bind", "127.0.0.1", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    replay = f"http://127.0.0.1:{port}/news"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(f"http://127.0.0.1:{port}/")
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        for path, body in [("/plain", HTML), ("/chunked", b"".join(CHUNKS))]:
            status, served = _get(f"{replay}/2030id_/{capture.server_url}{path}")
            assert status == 200
            assert served == body
        _, page = _get(f"{replay}/2030mp_/{capture.server_url}/plain")
        assert "Archived &amp; replayed" in page.decode()
        assert "café — snapshot" in page.decode()
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_sigkill_mid_crawl_then_next_run_finishes_the_file(tmp_path: Path) -> None:
    with WarcTestServer(slow_delay=0.05) as server:
        urls = [f"{server.url}/slow/{n}" for n in range(400)]
        process = start_crawl(tmp_path, urls, CONCURRENT_REQUESTS=1)
        warc_dir = tmp_path / "output" / "warc"
        deadline = time.monotonic() + 120
        while not (open_files := list(warc_dir.glob("*.warc.gz.open"))) or (
            open_files[0].stat().st_size <= 8000
        ):
            assert time.monotonic() < deadline, "the crawl wrote no 8 KB of WARC in 120 s"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
        [left] = warc_dir.glob("*.warc.gz.open")
        with left.open("ab") as f:
            f.write(left.read_bytes()[-300:-100])  # and a torn record, as a kill mid-write leaves
        keep = complete_length(left)
        complete = list(ArchiveIterator(io.BytesIO(left.read_bytes()[:keep])))
        assert len(complete) > 8

        result = crawl(tmp_path, [f"{server.url}/plain"])
    assert result["stats"]["warc/recovered_files"] == 1
    assert not list(warc_dir.glob("*.open"))
    recovered = warc_dir / left.name.removesuffix(".open")
    assert recovered.stat().st_size == keep
    assert len(read_warc(recovered)) == len(complete)
    assert recovered.with_name(recovered.name + ".cdxj").exists()


if __name__ == "__main__":
    _crawl_main(sys.argv[1])
