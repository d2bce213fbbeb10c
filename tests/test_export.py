from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
from collections import Counter
from contextlib import closing
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from crawler.dedup import DedupConfig
from crawler.export import ExportConfig, export_corpus, manifest_path
from crawler.textstore import TextStoreWriter
from tests.test_dedup import one_paragraph_replaced, one_sentence_changed, paragraphs

CONFIG = ExportConfig()
SMALL_FILES = ExportConfig(target_file_size=64 * 1024, row_group_size=16 * 1024)


def record(
    article_id: str,
    parts: list[str],
    *,
    published: str = "2026-11-20T09:00:00+09:00",
    crawled: str = "2026-11-24T01:00:00+00:00",
    run_id: str = "r1",
) -> dict[str, Any]:
    url = f"https://www.koreaherald.com/article/{article_id}"
    return {
        "article_id": article_id,
        "site": "koreaherald",
        "url": url,
        "canonical_url": url,
        "title": f"Title {article_id}",
        "subtitle": None,
        "authors": ["Yonhap"],
        "section": "National",
        "published_at": published,
        "updated_at": None,
        "crawled_at": crawled,
        "language": "en",
        "keywords": ["defense"],
        "images": [{"url": f"https://img.example/{article_id}.jpg", "caption": None}],
        "paragraphs": parts,
        "text": "\n\n".join(parts),
        "word_count": sum(len(p.split()) for p in parts),
        "template": "current",
        "extractor": "template",
        "field_sources": {"title": "jsonld"},
        "http_status": 200,
        "discovered_via": "sitemap",
        "warc_filename": f"{run_id}-00000.warc.gz",
        "warc_offset": 1234,
        "warc_length": 5678,
        "warc_record_id": f"<urn:uuid:{article_id}>",
        "run_id": run_id,
    }


def write_run(root: Path, run_id: str, records: list[dict[str, Any]], per_part: int = 50) -> None:
    writer = TextStoreWriter(root, run_id, records_per_part=per_part)
    for item in records:
        writer.write(item)
    writer.flush()


def corpus(root: Path) -> pl.DataFrame:
    return pl.scan_parquet(root / "parquet" / "**" / "*.parquet", hive_partitioning=True).collect()


def test_four_readers_open_the_corpus_as_it_is_and_agree(tmp_path: Path) -> None:
    """pandas, Polars, DuckDB and pyarrow.dataset, each with only the README's arguments."""
    records = [record(f"{10000000 + n}", paragraphs(n)) for n in range(5)]
    records.append(record("20200116000798", paragraphs(99), crawled="2026-11-25T23:30:00-05:00"))
    other = record("555", paragraphs(55))
    other.update(site="koreatimes", url="https://www.koreatimes.co.kr/555", canonical_url=None)
    write_run(tmp_path, "r1", [*records, other])
    result = export_corpus(tmp_path, "r1", config=CONFIG)
    assert result.rows == 7
    parquet = tmp_path / "parquet"
    assert (parquet / "koreaherald" / "2026-11-26").is_dir()
    assert manifest_path(tmp_path, "r1").is_file()  # a JSON file under parquet/ too
    expected = {
        ("koreaherald", date(2026, 11, 24)): 5,
        ("koreaherald", date(2026, 11, 26)): 1,
        ("koreatimes", date(2026, 11, 24)): 1,
    }
    glob = str(parquet / "**" / "*.parquet")

    frame = pd.read_parquet(parquet)
    assert str(frame["site"].dtype) == "str"
    assert {type(day) for day in frame["crawl_date"]} == {date}
    assert Counter(zip(frame["site"], frame["crawl_date"], strict=True)) == expected
    assert str(frame["published_at"].dtype) == "datetime64[us, UTC]"
    assert (str(frame["version"].dtype), str(frame["http_status"].dtype)) == ("int32", "int16")
    assert sorted(frame["image_urls"].iloc[0]) == ["https://img.example/10000000.jpg"]

    lazy = pl.scan_parquet(glob, hive_partitioning=True).collect()
    assert (lazy.schema["site"], lazy.schema["crawl_date"]) == (pl.String, pl.Date)
    assert Counter(lazy.select("site", "crawl_date").iter_rows()) == expected
    assert lazy.schema["crawled_at"] == pl.Datetime("us", "UTC")
    assert lazy.schema["duplicate_urls"] == pl.List(pl.String)

    query = f"SELECT * FROM read_parquet('{glob}', hive_partitioning=true)"
    types = {name: kind for name, kind, *_ in duckdb.sql(f"DESCRIBE {query}").fetchall()}
    assert (types["site"], types["crawl_date"]) == ("VARCHAR", "DATE")
    assert types["published_at"] == "TIMESTAMP WITH TIME ZONE"
    assert (types["authors"], types["word_count"], types["warc_offset"]) == (
        "VARCHAR[]",
        "INTEGER",
        "BIGINT",
    )
    rows = duckdb.sql(f"SELECT site, crawl_date, count(*) FROM ({query}) GROUP BY ALL").fetchall()
    assert {(site, day): n for site, day, n in rows} == expected

    table = ds.dataset(parquet, partitioning="hive").to_table()
    assert (table.schema.field("site").type, table.schema.field("crawl_date").type) == (
        pa.string(),
        pa.date32(),
    )
    pairs = zip(table["site"].to_pylist(), table["crawl_date"].to_pylist(), strict=True)
    assert Counter(pairs) == expected


def test_site_directory_is_never_hidden_from_readers(tmp_path: Path) -> None:
    hidden = record("10000001", paragraphs(1))
    hidden["site"] = "_internal"
    write_run(tmp_path, "r1", [hidden])
    export_corpus(tmp_path, "r1", config=CONFIG)
    assert (tmp_path / "parquet" / "%5Finternal" / "2026-11-24").is_dir()
    assert pd.read_parquet(tmp_path / "parquet")["site"].tolist() == ["_internal"]


def test_exact_and_near_duplicates_collapse_to_earliest(tmp_path: Path) -> None:
    wire = paragraphs(1)
    records = [  # input order is not publication order: the earliest must still win
        record("10000002", wire, published="2026-11-20T12:00:00+09:00"),
        record("10000003", one_sentence_changed(wire, 3), published="2026-11-21T08:00:00+09:00"),
        record("20200116000798", wire, published="2026-11-20T10:00:00+09:00"),
        record("10000004", paragraphs(4)),
    ]
    write_run(tmp_path, "r1", records)
    result = export_corpus(tmp_path, "r1", config=CONFIG)
    assert (result.rows, result.duplicates["exact"], result.duplicates["near"]) == (2, 1, 1)
    kept = corpus(tmp_path).filter(pl.col("article_id") == "20200116000798").row(0, named=True)
    assert kept["near_dup_cluster"] == "koreaherald:20200116000798"
    assert kept["duplicate_urls"] == [
        "https://www.koreaherald.com/article/10000002",
        "https://www.koreaherald.com/article/10000003",
    ]


def test_changed_text_is_a_new_version_and_unchanged_adds_nothing(tmp_path: Path) -> None:
    original = paragraphs(1)
    write_run(tmp_path, "r1", [record("10000001", original)])
    export_corpus(tmp_path, "r1", config=CONFIG)
    rewritten = one_paragraph_replaced(original, 5)
    write_run(tmp_path, "r2", [record("10000001", rewritten, run_id="r2")])
    second = export_corpus(tmp_path, "r2", config=CONFIG)
    assert (second.rows, second.versions) == (1, 1)
    write_run(tmp_path, "r3", [record("10000001", one_sentence_changed(rewritten, 6))])
    third = export_corpus(tmp_path, "r3", config=CONFIG)
    assert (third.rows, third.duplicates["same_article"]) == (0, 1)
    rows = corpus(tmp_path).sort("version")
    assert rows["version"].to_list() == [1, 2]
    assert rows["near_dup_cluster"].to_list() == ["koreaherald:10000001", "koreaherald:10000001@v2"]
    assert rows["content_hash"].n_unique() == 2


def test_exports_are_idempotent_and_incremental(tmp_path: Path) -> None:
    write_run(tmp_path, "r1", [record(f"{10000000 + n}", paragraphs(n)) for n in range(10)])
    assert export_corpus(tmp_path, "e1", config=CONFIG).rows == 10
    again = export_corpus(tmp_path, "e2", config=CONFIG)
    assert (again.rows, again.files, again.text_parts) == (0, [], 0)
    assert not manifest_path(tmp_path, "e2").exists()
    old = [record(f"{10000000 + n}", paragraphs(n), run_id="r2") for n in range(5)]
    new = [record(f"{10000100 + n}", paragraphs(100 + n), run_id="r2") for n in range(3)]
    write_run(tmp_path, "r2", old + new)
    third = export_corpus(tmp_path, "e3", config=CONFIG)
    assert (third.rows, third.duplicates["same_article"]) == (3, 5)
    frame = corpus(tmp_path)
    assert frame.height == 13
    assert frame["article_id"].n_unique() == 13


def test_cross_run_duplicate_is_dropped_and_kept_in_state(tmp_path: Path) -> None:
    wire = paragraphs(1)
    write_run(tmp_path, "r1", [record("10000001", wire)])
    export_corpus(tmp_path, "r1", config=CONFIG)
    write_run(tmp_path, "r2", [record("10000009", one_sentence_changed(wire, 2), run_id="r2")])
    result = export_corpus(tmp_path, "r2", config=CONFIG)
    assert (result.rows, result.duplicates["near"]) == (0, 1)
    with closing(sqlite3.connect(tmp_path / "state" / "dedup.sqlite3")) as state:
        lineage = state.execute("SELECT url, kind FROM duplicates").fetchall()
    assert lineage == [("https://www.koreaherald.com/article/10000009", "near")]


def test_manifest_lists_files_with_matching_sha256_and_sizes(tmp_path: Path) -> None:
    write_run(tmp_path, "r1", [record(f"{10000000 + n}", paragraphs(n)) for n in range(60)])
    result = export_corpus(tmp_path, "r1", config=SMALL_FILES)
    manifest = json.loads(manifest_path(tmp_path, "r1").read_text())
    assert manifest["rows"] == 60 == sum(entry["rows"] for entry in manifest["files"])
    assert len(manifest["files"]) == len(result.files) > 1
    assert manifest["text_parts"] == ["text/r1/part-00000.jsonl.gz", "text/r1/part-00001.jsonl.gz"]
    for entry in manifest["files"]:
        path = tmp_path / "parquet" / entry["path"]
        assert hashlib.sha256(path.read_bytes()).hexdigest() == entry["sha256"]
        assert path.stat().st_size == entry["bytes"]
        assert pq.ParquetFile(path).metadata.num_row_groups >= 1
        assert path.stat().st_size < 2 * SMALL_FILES.target_file_size


_KILL_SCRIPT = """
import os, signal, sys
from pathlib import Path
from crawler import export
from crawler.dedup import DedupIndex
from crawler.export import ExportConfig, export_corpus

phase, calls = sys.argv[2], {"n": 0}

def kill_on(original, before):
    def hooked(*args, **kwargs):
        calls["n"] += 1
        if before:
            os.kill(os.getpid(), signal.SIGKILL)
        result = original(*args, **kwargs)
        if calls["n"] == 2:
            os.kill(os.getpid(), signal.SIGKILL)
        return result
    return hooked

if phase == "writing":
    export._ShardWriter.close = kill_on(export._ShardWriter.close, before=False)
elif phase == "renaming":
    export._publish = kill_on(export._publish, before=False)
elif phase == "committing":
    DedupIndex.commit = kill_on(DedupIndex.commit, before=True)
config = ExportConfig(target_file_size=64 * 1024, row_group_size=16 * 1024)
export_corpus(Path(sys.argv[1]), "crashed", config=config)
"""


def _articles(count: int = 80) -> list[dict[str, Any]]:
    wire = paragraphs(7000)
    items = [record(f"{10000000 + n}", paragraphs(n)) for n in range(count)]
    items += [record("20200116000798", wire), record("10000900", wire)]
    return items


def _assert_clean_corpus(root: Path, rows: int = 81) -> None:
    frame = corpus(root)
    assert frame.height == rows
    assert frame.select("article_id", "version").is_unique().all()
    assert not [p for p in (root / "parquet").glob("**/*.parquet") if p.name.startswith(".")]


@pytest.mark.parametrize("phase", ["writing", "renaming", "committing"])
def test_kill_9_during_export_recovers_without_duplicates(tmp_path: Path, phase: str) -> None:
    write_run(tmp_path, "r1", _articles(), per_part=20)
    script = textwrap.dedent(_KILL_SCRIPT)
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path), phase],
        cwd=Path(__file__).parent.parent,
        timeout=60,
        check=False,
    )
    assert done.returncode == -signal.SIGKILL
    visible = list((tmp_path / "parquet").glob("**/*.parquet"))
    for path in visible:
        pq.read_metadata(path)  # every visible file is complete
    assert len(visible) == {"writing": 0, "renaming": 1, "committing": 3}[phase]
    result = export_corpus(tmp_path, "next", config=SMALL_FILES)
    assert result.recovered == (["crashed"] if phase != "writing" else [])
    _assert_clean_corpus(tmp_path)
    assert not list((tmp_path / "parquet").glob("**/.*.tmp"))
    assert export_corpus(tmp_path, "again", config=SMALL_FILES).rows == 0


def test_kill_9_at_arbitrary_moments_never_duplicates(tmp_path: Path) -> None:
    """Up to four real kills at growing delays, then an export that must finish the job."""
    write_run(tmp_path, "r1", _articles(400), per_part=50)
    script = textwrap.dedent(_KILL_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    codes = []
    for delay in (0.25, 0.4, 0.55, 0.7):
        process = subprocess.Popen([sys.executable, "-c", script, str(tmp_path), "none"], env=env)
        try:
            process.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        codes.append(process.returncode)
        for visible in (tmp_path / "parquet").glob("**/*.parquet"):
            pq.read_metadata(visible)
        if process.returncode == 0:
            break
    assert -signal.SIGKILL in codes
    export_corpus(tmp_path, "final", config=SMALL_FILES)
    _assert_clean_corpus(tmp_path, rows=401)


def test_dedup_settings_reach_the_config() -> None:
    from scrapy.settings import Settings

    settings = Settings({"PARQUET_TARGET_FILE_SIZE": 1024, "PARQUET_ROW_GROUP_SIZE": 512})
    settings.set("DEDUP_THRESHOLD", 0.9)
    config = ExportConfig.from_settings(settings)
    assert (config.target_file_size, config.row_group_size) == (1024, 512)
    assert config.dedup == DedupConfig(threshold=0.9)


def test_old_key_value_layout_moves_on_the_next_export(tmp_path: Path) -> None:
    write_run(tmp_path, "r1", [record(f"{10000000 + n}", paragraphs(n)) for n in range(5)])
    export_corpus(tmp_path, "r1", config=CONFIG)
    parquet = tmp_path / "parquet"
    manifest = json.loads(manifest_path(tmp_path, "r1").read_text())
    for entry in manifest["files"]:  # as the previous exporter wrote them
        site, day, name = entry["path"].split("/")
        entry["path"] = f"site={site}/crawl_date={day}/{name}"
        old = parquet / entry["path"]
        old.parent.mkdir(parents=True)
        pq.write_table(pq.read_table(parquet / site / day / name).drop(["crawl_date"]), old)
    shutil.rmtree(parquet / "koreaherald")
    manifest_path(tmp_path, "r1").write_text(json.dumps(manifest))
    with pytest.raises(pa.ArrowTypeError):
        pd.read_parquet(parquet)  # what users hit

    write_run(tmp_path, "r2", [record("10000100", paragraphs(100), run_id="r2")])
    assert export_corpus(tmp_path, "r2", config=CONFIG).rows == 1
    assert not list(parquet.glob("site=*"))
    frame = pd.read_parquet(parquet)
    assert len(frame) == 6
    assert set(frame["crawl_date"]) == {date(2026, 11, 24)}
    for entry in json.loads(manifest_path(tmp_path, "r1").read_text())["files"]:
        moved = parquet / entry["path"]
        assert entry["path"].startswith("koreaherald/2026-11-24/")
        assert hashlib.sha256(moved.read_bytes()).hexdigest() == entry["sha256"]


def test_arrow_table_is_the_table_from_pylist_would_build() -> None:
    """Rows of every shape a column takes: nulls, empty lists and maps, offsets other than
    UTC, a naive time, a day before 1970, astral characters and a row past 1 MB of JSON."""
    from datetime import UTC, datetime, timedelta, timezone

    from crawler.export import SCHEMA, arrow_table

    seoul = timezone(timedelta(hours=9))
    full = {field.name: None for field in SCHEMA}
    full.update(
        site="koreaherald",
        url="https://www.koreaherald.com/article/1",
        title='서울 🚀 "quoted" \\ back\nslash',
        authors=["Kim", ""],
        keywords=[],
        published_at=datetime(2026, 11, 20, 9, 0, 0, 123456, tzinfo=seoul),
        crawled_at=datetime(2026, 11, 24, 1, 0, tzinfo=UTC),
        updated_at=datetime(2026, 11, 21, 8, 30),
        text="word " * 300_000,
        word_count=300_000,
        version=2**31 - 1,
        warc_offset=2**40,
        field_sources=[("title", "jsonld"), ("text", "template")],
        crawl_date=date(1969, 12, 31),
    )
    empty = {field.name: None for field in SCHEMA}
    empty.update(crawl_date=date(2026, 11, 24), field_sources=[], authors=[])
    rows = [full, empty]
    built = arrow_table(rows)
    assert built.schema.equals(SCHEMA, check_metadata=True)
    assert built.equals(pa.Table.from_pylist(rows, schema=SCHEMA))
    assert arrow_table([]).schema.equals(SCHEMA) and arrow_table([]).num_rows == 0


def test_writing_parquet_leaves_pandas_and_arrow_compute_unimported(tmp_path: Path) -> None:
    """pyarrow's `pa.array` imports pandas (0.36 s) to check each list, and casts import
    pyarrow.compute (50 ms); the export needs neither."""
    write_run(tmp_path, "r1", [record(f"{10000000 + n}", paragraphs(n)) for n in range(5)])
    code = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from crawler.export import ExportConfig, export_corpus
        export_corpus(Path({str(tmp_path)!r}), "r1", config=ExportConfig())
        print(sorted({{"pandas", "pyarrow.compute"}} & set(sys.modules)))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parent.parent,
    )
    assert done.stdout.splitlines()[-1] == "[]"
    assert len(pd.read_parquet(tmp_path / "parquet")) == 5
