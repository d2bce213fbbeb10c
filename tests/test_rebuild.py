"""`scrapy rebuild` reads foreign WARCs: revisits, non-HTML, gzip and chunked payloads; it
counts every page it skips, with its reason."""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler.replica import ReplicaSite
from crawler.textstore import part_paths, read_parts
from tests.crawling import REPO_ROOT

FIXTURES = REPO_ROOT / "tests" / "fixtures" / "parsers"
KH_ARTICLE = FIXTURES / "current" / "article-10493730.html"
FOREIGN_ARTICLE = FIXTURES / "generic" / "example-news.html"
#: A host no profile names: its pages are judged by themselves, not by URL patterns.
UNKNOWN_SITE = "https://replica.example"


def _chunked(payload: bytes, size: int = 700) -> bytes:
    pieces = [payload[i : i + size] for i in range(0, len(payload), size)]
    framed = b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces)
    return framed + b"0\r\n\r\n"


def _response(writer: WARCWriter, url: str, status: str, headers: list, body: bytes) -> None:
    http = StatusAndHeaders(status, headers, protocol="HTTP/1.1")
    record = writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http)
    writer.write_record(record)


def build_foreign_warc(path: Path, replica: ReplicaSite) -> None:
    """A WARC as other tools write it, with every kind of record rebuild must cope with, and
    the replica's home and section pages served from a host no profile knows."""
    kh_html = KH_ARTICLE.read_bytes()
    foreign_html = FOREIGN_ARTICLE.read_bytes()
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        html = [("Content-Type", "text/html; charset=utf-8")]
        _response(
            writer,
            "https://www.koreaherald.com/article/10493730",
            "200 OK",
            [*html, ("Content-Encoding", "gzip")],
            gzip.compress(kh_html),
        )
        _response(
            writer,
            "https://news.example.com/2025/01/02/story.html",
            "200 OK",
            [*html, ("Transfer-Encoding", "chunked")],
            _chunked(foreign_html),
        )
        _response(
            writer,
            "https://www.koreaherald.com/logo.png",
            "200 OK",
            [("Content-Type", "image/png")],
            b"\x89PNG\r\n\x1a\n",
        )
        _response(
            writer,
            "https://www.koreaherald.com/rss/newsAll",
            "200 OK",
            [("Content-Type", "application/rss+xml")],
            b"<rss/>",
        )
        _response(
            writer,
            "https://www.koreaherald.com/National",
            "200 OK",
            html,
            b"<html><body><p>listing</p></body></html>",
        )
        _response(
            writer, "https://www.koreaherald.com/article/10000001", "404 Not Found", html, b"gone"
        )
        for listing in ("/", "/National"):
            page = replica.route(listing, UNKNOWN_SITE)
            body = page.body.encode(page.encoding)
            _response(
                writer,
                UNKNOWN_SITE + listing,
                "200 OK",
                [("Content-Type", page.content_type)],
                body,
            )
        revisit = writer.create_revisit_record(
            "https://www.koreaherald.com/article/10493730",
            digest="sha1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            refers_to_uri="https://www.koreaherald.com/article/10493730",
            refers_to_date="2025-01-02T00:00:00Z",
            http_headers=StatusAndHeaders("304 Not Modified", [], protocol="HTTP/1.1"),
        )
        writer.write_record(revisit)


def test_rebuild_reads_a_foreign_warc(tmp_path: Path, replica_site: ReplicaSite) -> None:
    warc = tmp_path / "foreign.warc.gz"
    build_foreign_warc(warc, replica_site)
    output = tmp_path / "out"
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "rebuild",
            str(warc),
            "-s",
            f"OUTPUT_DIR={output}",
            "-s",
            "EXTRACT_WORKERS=1",
            "--run-id",
            "rebuild-test",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    records = {row["url"]: row for row in read_parts(part_paths(output, ["rebuild-test"]))}
    assert set(records) == {
        "https://www.koreaherald.com/article/10493730",
        "https://news.example.com/2025/01/02/story.html",
    }
    kh = records["https://www.koreaherald.com/article/10493730"]
    assert kh["article_id"] == "10493730"
    assert kh["extractor"].startswith("koreaherald:")
    assert kh["warc_filename"] == "foreign.warc.gz"
    foreign = records["https://news.example.com/2025/01/02/story.html"]
    assert foreign["extractor"].startswith("trafilatura")
    assert foreign["word_count"] > 50
    summary = finished.stdout
    assert "5 HTML pages, 2 articles" in summary, summary
    reasons = [
        "revisit 1",
        "not-html 2",
        "not-article-url 1",
        "status-404 1",
        "not-article/teasers 2",
    ]
    for reason in reasons:
        assert reason in summary, summary


def test_rebuild_pointer_reads_back_the_record(tmp_path: Path, replica_site: ReplicaSite) -> None:
    from warcio.archiveiterator import ArchiveIterator

    warc = tmp_path / "foreign.warc.gz"
    build_foreign_warc(warc, replica_site)
    output = tmp_path / "out"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "rebuild",
            str(tmp_path),
            "-s",
            f"OUTPUT_DIR={output}",
            "-s",
            "EXTRACT_WORKERS=1",
            "--run-id",
            "r",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    for row in read_parts(part_paths(output, ["r"])):
        with warc.open("rb") as handle:
            handle.seek(row["warc_offset"])
            chunk = io.BytesIO(handle.read(row["warc_length"]))
        record = next(iter(ArchiveIterator(chunk)))
        assert record.rec_headers.get_header("WARC-Target-URI") == row["url"]
        assert record.rec_headers.get_header("WARC-Record-ID") == row["warc_record_id"]


def test_rebuild_without_paths_fails_clearly(tmp_path: Path) -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "scrapy", "rebuild", str(tmp_path / "missing.warc.gz")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert finished.returncode != 0
    assert "missing.warc.gz': no such file or directory" in finished.stderr


def test_the_benchmark_offline_path_scores_rows_by_page(
    tmp_path: Path, replica_site: ReplicaSite
) -> None:
    """`make bench-extraction`'s offline path: pages packed into a WARC, both commands run,
    each Parquet row mapped back to its page; a page without a row of its own has no text."""
    from bench.offline import run_offline

    article = next(t for t in replica_site.ground_truth() if t["template"] == "current")
    pages = {
        "1-article": article["canonical_path"],
        "2-copy": article["canonical_path"] + "?utm_source=feed",  # declares the same canonical
        "3-home": "/",
    }
    (tmp_path / "html").mkdir()
    for key, path in pages.items():
        body = replica_site.route(path, UNKNOWN_SITE).body.encode()
        (tmp_path / "html" / f"{key}.html.gz").write_bytes(gzip.compress(body))
    run = run_offline(tmp_path, {key: UNKNOWN_SITE + path for key, path in pages.items()}, 1)
    assert run.texts["1-article"] == article["text"]
    assert run.texts["2-copy"] is None
    assert run.texts["3-home"] is None
    assert run.in_corpus == 1
    assert run.skipped == {"not-article/teasers": 1}
    assert run.duplicates == {"same_article": 1}
