"""The Parquet corpus of real replica crawls: types, dedup against ground truth, reruns."""

from __future__ import annotations

import io
import json
from pathlib import Path

import duckdb
import pytest

from crawler.replica import ReplicaServer, ReplicaSite
from tests.crawling import run_crawl

GLOB = "parquet/**/*.parquet"


def _rows(output: Path) -> list[dict]:
    query = f"SELECT * FROM read_parquet('{output / GLOB}', hive_partitioning=true)"
    with duckdb.connect() as connection:
        cursor = connection.execute(query)
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[ReplicaSite, Path, ReplicaServer]:
    site = ReplicaSite(n_articles=300, seed=11)
    output = tmp_path_factory.mktemp("corpus")
    with ReplicaServer(site) as server:
        result = run_crawl(server.base_url, output, "since=2011-01-01", now=site.now)
        assert result.returncode == 0, result.log[-3000:]
        yield site, output, server


def test_every_unique_article_once_and_no_duplicates(corpus) -> None:
    site, output, _ = corpus
    rows = _rows(output)
    truth = site.ground_truth()
    unique = {row["article_id"] for row in truth if not row["duplicate_of"]}
    ids = [row["article_id"] for row in rows]
    assert len(ids) == len(set(ids))
    assert set(ids) == unique
    hashes = [row["content_hash"] for row in rows]
    assert len(hashes) == len(set(hashes))
    duplicates = {row["article_id"]: row for row in truth if row["duplicate_of"]}
    assert {"exact", "near"} <= {row["duplicate_kind"] for row in duplicates.values()}
    by_id = {row["article_id"]: row for row in rows}
    for copy_id, copy in duplicates.items():
        kept = by_id[copy["duplicate_of"]]
        assert copy_id not in by_id
        assert any(copy["canonical_path"] in url for url in kept["duplicate_urls"])
        assert kept["near_dup_cluster"]


def test_dedup_used_the_sketches_from_the_extraction_pool(corpus) -> None:
    """Workers sketch each text, so the export at close does not tokenise it again."""
    _, output, _ = corpus
    first_run = min((output / "runs").glob("*.json"))  # run ids start with their UTC time
    stats = json.loads(first_run.read_text())["stats"]
    assert stats["export/sketches_reused"] == stats["textstore/records"] > 0


def test_sketches_past_the_cap_are_computed_by_the_export(tmp_path: Path) -> None:
    site = ReplicaSite(n_articles=40, seed=12)
    with ReplicaServer(site) as server:
        result = run_crawl(
            server.base_url,
            tmp_path,
            "since=2011-01-01",
            settings={"EXPORT_SKETCHES_KEPT": "5"},
            now=site.now,
        )
    assert result.returncode == 0, result.log[-3000:]
    assert result.stats["export/sketches_reused"] == 5
    unique = {row["article_id"] for row in site.ground_truth() if not row["duplicate_of"]}
    assert {row["article_id"] for row in _rows(tmp_path)} == unique


def test_declared_types(corpus) -> None:
    _, output, _ = corpus
    query = f"DESCRIBE SELECT * FROM read_parquet('{output / GLOB}', hive_partitioning=true)"
    with duckdb.connect() as connection:
        types = {name: kind for name, kind, *_ in connection.execute(query).fetchall()}
    assert types["published_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["authors"] == "VARCHAR[]"
    assert types["word_count"] == "INTEGER"
    assert types["http_status"] == "SMALLINT"
    assert types["warc_offset"] == "BIGINT"
    assert types["crawl_date"] == "DATE"


def test_rows_point_at_their_warc_records(corpus) -> None:
    from warcio.archiveiterator import ArchiveIterator

    _, output, _ = corpus
    for row in _rows(output)[:40]:
        with (output / "warc" / row["warc_filename"]).open("rb") as handle:
            handle.seek(row["warc_offset"])
            data = handle.read(row["warc_length"])
        record = next(iter(ArchiveIterator(io.BytesIO(data))))
        assert record.rec_headers.get_header("WARC-Record-ID") == row["warc_record_id"]
        assert record.rec_headers.get_header("WARC-Target-URI") == row["url"]


def test_second_crawl_adds_nothing_then_new_articles_add_exactly_those(corpus) -> None:
    site, output, server = corpus
    before = len(_rows(output))
    again = run_crawl(server.base_url, output, "since=2011-01-01", now=site.now)
    assert again.returncode == 0, again.log[-3000:]
    assert len(_rows(output)) == before
    assert again.stats["export/rows"] == 0

    change = site.advance(days=1, new_articles=6)
    later = run_crawl(server.base_url, output, "since=2011-01-01", now=site.now)
    assert later.returncode == 0, later.log[-3000:]
    rows = _rows(output)
    added = [row for row in rows if row["run_id"] == later.report["run_id"]]
    assert {row["article_id"] for row in added if row["version"] == 1} == set(change["new_ids"])
    assert [row["article_id"] for row in added if row["version"] > 1] == [change["changed_id"]]


def test_rebuild_from_the_crawls_warcs_reproduces_its_text(corpus, tmp_path: Path) -> None:
    import subprocess
    import sys

    from crawler.textstore import part_paths, read_parts
    from tests.crawling import REPO_ROOT

    _, output, _ = corpus
    crawled = {}
    for row in read_parts(part_paths(output)):
        crawled.setdefault(row["article_id"], row["text"])
    rebuilt_dir = tmp_path / "rebuilt"
    finished = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "rebuild",
            str(output / "warc"),
            "-s",
            f"OUTPUT_DIR={rebuilt_dir}",
            "--run-id",
            "rebuilt",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    rebuilt = {}
    for row in read_parts(part_paths(rebuilt_dir, ["rebuilt"])):
        rebuilt.setdefault(row["article_id"], row["text"])
    assert rebuilt == crawled


def test_polars_and_pandas_read_the_declared_types(corpus) -> None:
    import pandas as pd
    import polars as pl

    _, output, _ = corpus
    frame = pl.scan_parquet(str(output / GLOB), hive_partitioning=True).collect()
    assert frame.schema["published_at"] == pl.Datetime("us", "UTC")
    assert frame.schema["authors"] == pl.List(pl.String)
    assert frame.schema["version"] == pl.Int32
    assert frame.schema["http_status"] == pl.Int16
    table = pd.read_parquet(output / "parquet")
    assert str(table["crawled_at"].dtype) == "datetime64[us, UTC]"
    assert str(table["warc_offset"].dtype) == "int64"
    assert len(table) == frame.height


def test_warc_holds_one_record_per_response_received(corpus) -> None:
    from warcio.archiveiterator import ArchiveIterator

    _, output, _ = corpus
    reports = sorted((output / "runs").glob("*.json"), key=lambda path: path.stat().st_mtime)
    received = sum(
        json.loads(path.read_text())["stats"]["downloader/response_count"] for path in reports
    )
    kinds: dict[str, int] = {}
    for path in (output / "warc").glob("*.warc.gz"):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream, check_digests="raise"):
                kinds[record.rec_type] = kinds.get(record.rec_type, 0) + 1
    rendered = kinds.get("conversion", 0)  # pages Chromium rendered: their DOM, no request
    assert kinds.get("response", 0) + kinds.get("revisit", 0) + rendered == received
    assert kinds["request"] == received - rendered
