"""WarcWriter, records, recovery and config, without the network."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cdxj_indexer import CDXJIndexer
from scrapy.exceptions import NotConfigured
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator

from crawler.extensions.warc import WarcExtension
from crawler.warc.config import DEFAULT_MAX_SIZE, WarcConfig
from crawler.warc.records import (
    IDENTICAL_PAYLOAD_PROFILE,
    NOT_MODIFIED_PROFILE,
    digest,
    without_transfer_encoding,
)
from crawler.warc.recovery import complete_length, recover, safe_hostname
from crawler.warc.writer import WarcPointer, WarcWriter
from tests.warc_server import read_warc

REQUEST = b"GET /a HTTP/1.1\r\nHost: example.org\r\nUser-Agent: t\r\n\r\n"
ODD_HEAD = b"HTTP/1.1 200 Quite OK\r\nx-a:1\r\nContent-type:  text/html \r\nX-A: 2\r\n\r\n"
CLOCK = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


def make_writer(
    directory: Path, max_size: int = 10**9, closed: list[Path] | None = None
) -> WarcWriter:
    on_closed = closed.append if closed is not None else None
    return WarcWriter(
        directory, "T", max_size, {"run-id": "r1"}, on_closed=on_closed, now=lambda: CLOCK
    )


def write(writer: WarcWriter, n: int, body: bytes = b"<p>x</p>") -> WarcPointer:
    return writer.write_exchange(
        f"http://example.org/{n}", REQUEST, b"", ODD_HEAD, body * (n + 1), "192.0.2.1"
    )


def test_digest_is_sha1_base32() -> None:
    assert digest(b"") == "sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ"


def test_transfer_encoding_is_renamed_in_place() -> None:
    head = b"HTTP/1.1 200 OK\r\nA: 1\r\ntransfer-encoding: chunked\r\nB: 2\r\n\r\n"
    assert without_transfer_encoding(head) == (
        b"HTTP/1.1 200 OK\r\nA: 1\r\nX-Crawler-Transfer-Encoding: chunked\r\nB: 2\r\n\r\n"
    )


def test_records_keep_the_head_byte_for_byte(tmp_path: Path) -> None:
    writer = make_writer(tmp_path)
    pointer = write(writer, 0)
    writer.close()
    path = tmp_path / pointer.warc_filename
    info, response, request = read_warc(path)
    assert path.name == f"T-20240506070809-00000-{safe_hostname()}-{os.getpid()}.warc.gz"
    assert info.rec_type == "warcinfo" and info.block == b"run-id: r1\r\n"
    assert response.http_head == ODD_HEAD
    assert response.payload == b"<p>x</p>"
    assert response.headers["WARC-Payload-Digest"] == digest(b"<p>x</p>")
    assert response.headers["WARC-IP-Address"] == "192.0.2.1"
    assert response.headers["WARC-Date"] == "2024-05-06T07:08:09.123456Z"
    assert request.block == REQUEST
    assert request.headers["WARC-Concurrent-To"] == pointer.warc_record_id
    assert (response.offset, response.length) == (pointer.warc_offset, pointer.warc_length)


def test_rotation_closes_indexes_and_renames(tmp_path: Path) -> None:
    closed: list[Path] = []
    writer = make_writer(tmp_path, max_size=1500, closed=closed)
    pointers = [write(writer, n) for n in range(6)]
    open_now = {p.name.removesuffix(".open") for p in tmp_path.glob("*.open")}
    assert len(open_now) <= 1
    assert {p.name for p in closed} | open_now == {p.warc_filename for p in pointers}
    writer.close()
    assert not list(tmp_path.glob("*.open"))
    assert len(closed) > 2 and all(p.with_name(p.name + ".cdxj").exists() for p in closed)
    for pointer in pointers:
        data = (tmp_path / pointer.warc_filename).read_bytes()
        piece = data[pointer.warc_offset : pointer.warc_offset + pointer.warc_length]
        [record] = ArchiveIterator(io.BytesIO(piece))
        assert record.rec_headers.get_header("WARC-Record-ID") == pointer.warc_record_id


#: Response heads as servers send them, each testing how warcio reads status and Content-Type.
INDEX_HEADS = [
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\n"
    b"Transfer-Encoding: chunked\r\n\r\n",
    ODD_HEAD,
    b"HTTP/1.1 404 Not Found\r\ncontent-type: text/plain\r\n\r\n",
    b"HTTP/1.1 301 Moved Permanently\r\nLocation: /b\r\n\r\n",
    b"HTTP/1.0 500\r\nContent-Type:\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Type:\r\n text/html\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html;charset=\xe9\r\nX-Note: caf\xc3\xa9\r\n\r\n",
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: Application/JSON \r\n\r\n",
    b"HTTP/1.1\r\n\r\n",  # no status, no headers: warcio finds no HTTP head at all
    b"HTTP/2 200\r\ncontent-type: text/html\r\n\r\n",  # not a version warcio knows
    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Encoding: gzip\r\n\r\n",  # stored
]
INDEX_URLS = [
    "https://example.org/news/a?id=1&b=2",
    "http://Example.ORG:80/Path/?b=2&a=1",
    "https://www.example.org/",
    "https://example.org/news/a?id=1&b=2",
    "http://example.org/caf\u00e9",
    "http://example.org/a b",
    "http://example.org:99999/",  # surt cannot parse it: keyed by the URL itself
    "https://sub.example.co.kr/view.php?aid=00123&sid=100",
    "HTTP://example.org/2024/05/06/story.html",  # warcio reads no HTTP head: not "http:"
    "https://example.org/search?q=a+b&page=2",
    "https://example.org/a/../b/./c?utm_source=rss&id=7",
]
POST_REQUEST = (
    b"POST /form HTTP/1.1\r\nHost: example.org\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 7\r\n\r\n"
)


def test_index_made_while_writing_is_the_one_cdxj_indexer_makes(tmp_path: Path) -> None:
    """pywb replays from the index, so the lines the writer makes must be the lines
    cdxj-indexer makes reading the closed file back, for every kind of record written."""
    ticks = iter(range(10**6))
    closed: list[Path] = []
    writer = WarcWriter(
        tmp_path,
        "T",
        6000,
        {"run-id": "r1"},
        on_closed=closed.append,
        now=lambda: CLOCK + timedelta(milliseconds=700 * next(ticks)),
    )
    indexed = 0
    for n in range(30):
        url, head = INDEX_URLS[n % len(INDEX_URLS)], INDEX_HEADS[n % len(INDEX_HEADS)]
        body = f"<p>{n}</p>".encode() * (n * 37 % 200)
        if n % 5 == 2:
            pointer = writer.write_exchange(url, POST_REQUEST, b"a=1&b=2", head, body, None)
        else:
            pointer = writer.write_exchange(url, REQUEST, b"", head, body, "192.0.2.1")
        if n % 6 == 3:
            writer.write_revisit(
                url,
                REQUEST,
                b"",
                head,
                "192.0.2.1",
                profile=IDENTICAL_PAYLOAD_PROFILE,
                payload_digest=pointer.payload_digest,
                refers_to_uri=url,
                refers_to_date=pointer.warc_date,
            )
            writer.write_revisit(
                url,
                REQUEST,
                b"",
                b"HTTP/1.1 304 Not Modified\r\nETag: x\r\n\r\n",
                None,
                profile=NOT_MODIFIED_PROFILE,
                payload_digest=None,
                refers_to_uri=url,
                refers_to_date=pointer.warc_date,
            )
            indexed += 2
        if n % 4 == 1:
            writer.write_conversion(url, b"<html>rendered</html>", "text/html", None)
            writer.write_conversion(url, body, "text/html; charset=utf-8", pointer.warc_record_id)
        indexed += 1
    writer.write_revisit(  # a revisit with no HTTP head: warcio reads none from an empty block
        url,
        REQUEST,
        b"",
        b"",
        None,
        profile=NOT_MODIFIED_PROFILE,
        payload_digest=None,
        refers_to_uri=url,
        refers_to_date=pointer.warc_date,
    )
    writer.close()

    assert len(closed) > 3
    lines = 0
    for path in closed:
        by_cdxj_indexer = io.StringIO()
        CDXJIndexer(by_cdxj_indexer, [str(path)], sort=True).process_all()
        expected = by_cdxj_indexer.getvalue().splitlines(keepends=True)
        made = path.with_name(path.name + ".cdxj").read_bytes().decode().splitlines(keepends=True)
        assert made == expected
        lines += len(expected)
    assert lines == indexed + 1


def test_writing_and_closing_do_not_import_cdxj_indexer(tmp_path: Path) -> None:
    """What it imports beyond surt costs about 0.06 s of CPU; only a file a crash left open
    needs it."""
    code = f"""
import sys
from pathlib import Path
from crawler.extensions.warc import WarcExtension  # all a crawl imports, recovery too
from crawler.warc.writer import WarcWriter
writer = WarcWriter(Path({str(tmp_path)!r}), "T", 10**9, {{}})
writer.write_exchange("http://example.org/", {REQUEST!r}, b"", {ODD_HEAD!r}, b"x", None)
writer.close()
assert "cdxj_indexer" not in sys.modules
"""
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[1])
    [index] = tmp_path.glob("*.cdxj")
    assert index.read_text().startswith("org,example)/ ")


def test_recovery_truncates_a_torn_record_and_finalises(tmp_path: Path) -> None:
    writer = make_writer(tmp_path)
    pointers = [write(writer, n) for n in range(4)]
    [open_path] = tmp_path.glob("*.warc.gz.open")
    size = open_path.stat().st_size
    torn_at = pointers[-1].warc_offset + pointers[-1].warc_length // 2
    os.truncate(open_path, torn_at)  # as if killed while writing the last response record
    assert complete_length(open_path) == pointers[-1].warc_offset
    dead = open_path.with_name(open_path.name.replace(f"-{os.getpid()}.", "-999999999."))
    open_path.rename(dead)  # left by a process that is gone

    [recovered] = recover(tmp_path)
    assert size > recovered.stat().st_size == pointers[-1].warc_offset
    records = read_warc(recovered)
    assert [r.rec_type for r in records] == ["warcinfo"] + ["response", "request"] * 3
    assert len(recovered.with_name(recovered.name + ".cdxj").read_text().splitlines()) == 3


def test_recovery_drops_trailing_garbage_and_empty_files(tmp_path: Path) -> None:
    name = "T-20240506070809-00000-h-999999999.warc.gz.open"
    (tmp_path / name).write_bytes(b"\x1f\x8b\x08\x00partial")
    writer = make_writer(tmp_path / "w")
    write(writer, 0)
    writer.close()
    [good] = (tmp_path / "w").glob("*.warc.gz")
    garbled = tmp_path / "T-20240506070809-00001-h-999999999.warc.gz.open"
    garbled.write_bytes(good.read_bytes() + b"not gzip at all")
    [recovered] = recover(tmp_path, host="h")
    assert recovered.read_bytes() == good.read_bytes()
    assert not list(tmp_path.glob("*.open"))


def test_recovery_leaves_files_of_live_writers_alone(tmp_path: Path) -> None:
    ours = tmp_path / f"T-20240506070809-00000-h-{os.getpid()}.warc.gz.open"
    other_host = tmp_path / "T-20240506070809-00000-otherhost-1.warc.gz.open"
    for path in (ours, other_host):
        path.write_bytes(b"")
    assert recover(tmp_path, host="h") == []
    assert ours.exists() and other_host.exists()


def test_config_defaults_and_overrides() -> None:
    config = WarcConfig.from_settings(Settings({"CONTACT_URL": "mailto:ops@example.org"}))
    assert config.enabled is True
    assert config.max_size == DEFAULT_MAX_SIZE
    assert config.prefix == "newscrawl"
    assert config.directory == Path("output/warc")
    assert config.operator == "mailto:ops@example.org"
    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", config.run_id)
    custom = WarcConfig.from_settings(
        Settings({"WARC_MAX_SIZE": 10, "WARC_PREFIX": "X", "WARC_OPERATOR": "o", "RUN_ID": "r"})
    )
    assert (custom.max_size, custom.prefix, custom.operator, custom.run_id) == (10, "X", "o", "r")
    with pytest.raises(ValueError, match="WARC_MAX_SIZE"):
        WarcConfig.from_settings(Settings({"WARC_MAX_SIZE": 0}))


def test_extension_disabled_by_setting() -> None:
    with pytest.raises(NotConfigured):
        WarcExtension.from_crawler(get_crawler(settings_dict={"WARC_ENABLED": False}))


@pytest.mark.parametrize(
    ("encoding", "stored"),
    [
        (b"gzip", True),
        (b"br", True),
        (b"identity, gzip", True),
        (b"identity", False),
        (b"none", False),  # what some servers send on plain pages
        (b"UTF-8", False),
        (b"", False),
        (None, False),
    ],
)
def test_a_payload_that_came_compressed_is_stored_not_compressed_again(
    tmp_path: Path, encoding: bytes | None, stored: bool
) -> None:
    body = b"<p>the same words again and again</p>" * 2000
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
    if encoding is not None:
        head += b"Content-Encoding: " + encoding + b"\r\n"
    head += b"\r\n"
    writer = make_writer(tmp_path)
    pointer = writer.write_exchange("http://example.org/a", REQUEST, b"", head, body, None)
    writer.close()
    (warc,) = tmp_path.glob("*.warc.gz")
    assert (pointer.warc_length > len(body)) is stored  # level 0: no smaller than the payload
    with warc.open("rb") as stream:
        stream.seek(pointer.warc_offset)
        record = next(iter(ArchiveIterator(stream)))
        assert record.raw_stream.read() == body
