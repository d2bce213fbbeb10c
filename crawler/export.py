"""Text store -> deduplicated Parquet with an explicit schema, one directory per site and day.

Layout: `OUTPUT_DIR/parquet/<site>/<YYYY-MM-DD>/part-<run_id>-<NNNNN>.parquet` plus
`parquet/_manifests/<run_id>.json`; dedup state in `OUTPUT_DIR/state/dedup.sqlite3`.
`site` and `crawl_date` live in the files, not in `key=value` directory names: readers infer
partition types differently (pandas a dictionary, pyarrow a string, Polars and DuckDB a
date), so only typed columns read the same in all of them, with no arguments.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from itertools import count
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

import orjson
import pyarrow as pa
import pyarrow.json as pa_json
import pyarrow.parquet as pq

from crawler.checks import int_setting
from crawler.dedup import Decision, DedupConfig, DedupIndex, Sketch
from crawler.errors import ConfigError
from crawler.items import Article, stored_columns
from crawler.parquet_layout import migrate_key_value_layout
from crawler.textstore import part_paths, read_parts

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

MIB = 2**20
STATE_FILE = "dedup.sqlite3"
_ROW_OVERHEAD = 512  # bytes assumed per row besides its text, to size row groups
_INITIAL_RATIO = 0.4  # on-disk / in-memory bytes assumed before the first row group is written

#: Arrow types of the column types `crawler.items.Article` declares.
_ARROW_TYPES = {
    "string": pa.string(),
    "int16": pa.int16(),
    "int32": pa.int32(),
    "int64": pa.int64(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "list<string>": pa.list_(pa.string()),
    "map<string,string>": pa.map_(pa.string(), pa.string()),
}
#: The Parquet schema, derived from the Article record: one field list for the whole pipeline.
SCHEMA = pa.schema(
    [
        *((name, _ARROW_TYPES[kind]) for name, kind, _ in stored_columns()),
        ("crawl_date", pa.date32()),  # UTC day of `crawled_at`, set at export; also the directory
    ],
    metadata={"newscrawl.schema_version": "3"},
)
DICTIONARY_COLUMNS = [name for name, _, dictionary in stored_columns() if dictionary]
_MAP_COLUMNS = [f.name for f in SCHEMA if pa.types.is_map(f.type)]
#: What `arrow_table` reads: JSON has no maps, so each map is read as the list of key-value
#: structs a map is made of, and the day as a number of days (pyarrow's JSON reader parses no
#: date strings). Both are the same bits as the final column, so it is a view of them.
_JSON_SCHEMA = pa.schema(
    [
        pa.field(
            f.name,
            pa.list_(pa.field("entries", pa.struct([f.type.key_field, f.type.item_field]), False)),
        )
        if f.name in _MAP_COLUMNS
        else pa.field(f.name, pa.int32() if f.name == "crawl_date" else f.type)
        for f in SCHEMA
    ]
)
_EPOCH_DAY = date(1970, 1, 1)


class ExportError(ConfigError):
    """An export that cannot proceed as asked (e.g. a run id already used)."""


@dataclass(frozen=True, slots=True)
class ExportConfig:
    """Parquet and dedup settings, read once."""

    target_file_size: int = 256 * MIB  # PARQUET_TARGET_FILE_SIZE, bytes on disk
    row_group_size: int = 128 * MIB  # PARQUET_ROW_GROUP_SIZE, bytes on disk (estimated)
    compression_level: int = 3  # PARQUET_ZSTD_LEVEL
    dedup: DedupConfig = field(default_factory=DedupConfig)

    def __post_init__(self) -> None:
        if not 0 < self.row_group_size <= self.target_file_size:
            raise ConfigError(
                f"PARQUET_ROW_GROUP_SIZE={self.row_group_size}: expected more than 0 and at most"
                f" PARQUET_TARGET_FILE_SIZE ({self.target_file_size})"
            )

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> ExportConfig:
        default = cls()
        return cls(
            target_file_size=int_setting(
                settings, "PARQUET_TARGET_FILE_SIZE", default.target_file_size, minimum=1
            ),
            row_group_size=int_setting(settings, "PARQUET_ROW_GROUP_SIZE", default.row_group_size),
            compression_level=int_setting(
                settings, "PARQUET_ZSTD_LEVEL", default.compression_level, minimum=1
            ),
            dedup=DedupConfig.from_settings(settings),
        )


@dataclass(slots=True)
class ExportResult:
    run_id: str
    rows: int = 0
    versions: int = 0  # rows with version > 1
    duplicates: Counter[str] = field(default_factory=Counter)  # same_article, exact, near
    files: list[Path] = field(default_factory=list)
    bytes: int = 0
    text_parts: int = 0
    recovered: list[str] = field(default_factory=list)  # runs completed after a crash
    sketches_reused: int = 0  # texts whose dedup sketch came from the extraction pool
    #: Per site: rows, versions, duplicates/<kind> and bytes, for the per-site report.
    by_site: dict[str, Counter[str]] = field(default_factory=dict)

    def count(self, site: str, key: str, value: int = 1) -> None:
        self.by_site.setdefault(site, Counter())[key] += value


#: Finds a text's dedup sketch computed earlier (by url and text), or None.
SketchLookup = Callable[[str, str], Sketch | None]
#: Told (records deduplicated, records to deduplicate) as the export goes, the long part.
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class _File:
    temporary: Path
    final: Path
    rows: int
    bytes: int
    sha256: str


def export_corpus(
    output_dir: Path,
    run_id: str,
    *,
    config: ExportConfig,
    text_run_ids: list[str] | None = None,
    sketches: SketchLookup | None = None,
    progress: ProgressCallback | None = None,
) -> ExportResult:
    """Export text-store parts not exported yet (of `text_run_ids`, or all) as run `run_id`.

    Commit order: Parquet under temporary names, manifest (the journal: inputs and final names),
    renames, then one SQLite transaction holding the dedup state and the exported parts. A run
    whose manifest exists but whose state never committed is redone first, from the same inputs
    and the same state, into the same file names, so a crash never duplicates rows.
    """
    parquet_root = output_dir / "parquet"
    with _locked(output_dir / "state" / "export.lock"):
        index = DedupIndex(output_dir / "state" / STATE_FILE, config.dedup)
        try:
            _remove_temporaries(parquet_root)
            migrate_key_value_layout(parquet_root, SCHEMA, _directory_name)
            recovered = [
                _export(
                    output_dir,
                    index,
                    config,
                    pending,
                    _pending_parts(output_dir, pending),
                    sketches,
                    progress,
                )
                for pending in _pending_runs(parquet_root, index)
            ]
            exported = index.exported_parts()
            parts = [
                path
                for path in part_paths(output_dir, text_run_ids)
                if _relative(path, output_dir) not in exported
            ]
            if not parts:
                result = ExportResult(run_id)
            elif index.is_exported(run_id):
                raise ExportError(f"run id {run_id!r}: exported already; expected a new run id")
            else:
                result = _export(output_dir, index, config, run_id, parts, sketches, progress)
            result.recovered = [r.run_id for r in recovered]
            return result
        finally:
            index.close()


def manifest_path(output_dir: Path, run_id: str) -> Path:
    return output_dir / "parquet" / "_manifests" / f"{run_id}.json"


def _export(
    output_dir: Path,
    index: DedupIndex,
    config: ExportConfig,
    run_id: str,
    parts: list[Path],
    sketches: SketchLookup | None = None,
    progress: ProgressCallback | None = None,
) -> ExportResult:
    result = ExportResult(run_id, text_parts=len(parts))
    records = sorted((Article.from_record(r) for r in read_parts(parts)), key=_order)
    parquet_root = output_dir / "parquet"
    index.begin()
    try:
        rows = _deduplicate(records, index, run_id, result, sketches, progress)
        files = _write(rows, parquet_root, run_id, config)
        previous = _read_manifest(manifest_path(output_dir, run_id))
        _write_manifest(output_dir, run_id, files, parts, result, config)
        for file in files:
            _publish(file.temporary, file.final)
        written = {_relative(file.final, parquet_root) for file in files}
        for stale in {entry["path"] for entry in previous.get("files", [])} - written:
            (parquet_root / stale).unlink(missing_ok=True)
        _sync_directories({file.final.parent for file in files})
        parts_done = [_relative(part, output_dir) for part in parts]
        index.mark_exported(run_id, parts_done, len(rows), len(files))
        index.commit()
    except BaseException:
        index.rollback()
        raise
    result.rows = len(rows)
    result.files = [file.final for file in files]
    result.bytes = sum(file.bytes for file in files)
    for file in files:
        site = unquote(file.final.parent.parent.name)  # see _directory_name
        result.count(site, "bytes", file.bytes)
    return result


def _deduplicate(
    records: list[Article],
    index: DedupIndex,
    run_id: str,
    result: ExportResult,
    sketches: SketchLookup | None = None,
    progress: ProgressCallback | None = None,
) -> list[dict[str, Any]]:
    """Rows to write, in input order; duplicates fold their URL into the row they repeat."""
    rows: dict[int, dict[str, Any]] = {}
    for done, record in enumerate(records, 1):
        if progress is not None:
            progress(done, len(records))
        sketch = sketches(record.url, record.text) if sketches else None
        result.sketches_reused += sketch is not None
        decision = index.add(record.key(), record.text, sketch)
        if decision.kind in ("new", "version"):
            rows[decision.row] = _row(record, decision)
            result.versions += decision.kind == "version"
            result.count(record.site, "rows")
            result.count(record.site, "versions", decision.kind == "version")
            continue
        result.duplicates[decision.kind] += 1
        result.count(record.site, f"duplicates/{decision.kind}")
        url = record.canonical_url or record.url
        target = rows.get(decision.row)
        if target is None:
            if decision.kind != "same_article":
                index.record_duplicate(url, decision.row, decision.kind, run_id)
        elif url not in (target["url"], target["canonical_url"], *target["duplicate_urls"]):
            target["duplicate_urls"].append(url)
    return list(rows.values())


def _row(record: Article, decision: Decision) -> dict[str, Any]:
    record.content_hash = decision.content_hash
    record.near_dup_cluster = decision.cluster
    record.version = decision.version
    record.duplicate_urls = []
    row = {name: getattr(record, name) for name, _, _ in stored_columns()}
    row["crawl_date"] = (record.crawled_at or _EPOCH).date()
    row["field_sources"] = list(record.field_sources.items())
    return row


_EPOCH = datetime.min.replace(tzinfo=UTC)


def _order(record: Article) -> tuple[bool, datetime, str, datetime]:
    """Earliest publication first, so it is the row a cluster keeps; then key, then crawl time."""
    return (
        record.published_at is None,
        record.published_at or _EPOCH,
        record.key(),
        record.crawled_at or _EPOCH,
    )


def _write(
    rows: list[dict[str, Any]], root: Path, run_id: str, config: ExportConfig
) -> list[_File]:
    partitions: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        partitions.setdefault((row["site"] or "", row["crawl_date"].isoformat()), []).append(row)
    serials = count()
    files: list[_File] = []
    for (site, day), partition in sorted(partitions.items()):
        directory = root / _directory_name(site) / day
        files += _write_partition(directory, partition, run_id, serials, config)
    return files


def _directory_name(site: str) -> str:
    """A site's directory: quoted, and never hidden from readers (they skip `.` and `_`)."""
    name = quote(site, safe="") or "unknown-site"
    return f"%{ord(name[0]):02X}{name[1:]}" if name[0] in "._" else name


def _write_partition(
    directory: Path, rows: list[dict[str, Any]], run_id: str, serials: count, config: ExportConfig
) -> list[_File]:
    """Row groups of about `row_group_size` on disk, rotated into files of about the target."""
    directory.mkdir(parents=True, exist_ok=True)
    files: list[_File] = []
    writer: _ShardWriter | None = None
    ratio, start = _INITIAL_RATIO, 0
    while start < len(rows):
        end, size, budget = start, 0, config.row_group_size / ratio
        while end < len(rows) and (end == start or size < budget):
            size += len(rows[end]["text"]) + _ROW_OVERHEAD
            end += 1
        if writer is not None and writer.size + config.row_group_size > config.target_file_size:
            files.append(writer.close())
            writer = None
        if writer is None:
            writer = _ShardWriter(directory, f"part-{run_id}-{next(serials):05d}.parquet", config)
        before = writer.size
        writer.write(rows[start:end])
        ratio = max((writer.size - before) / size, 0.01)
        start = end
    if writer is not None:
        files.append(writer.close())
    return files


class _ShardWriter:
    """One Parquet file under a dot-prefixed temporary name, so `**/*.parquet` never sees it."""

    def __init__(self, directory: Path, name: str, config: ExportConfig) -> None:
        self.final = directory / name
        self.temporary = directory / f".{name}.tmp"
        self.rows = 0
        self.sink = pa.OSFile(str(self.temporary), "wb")
        self.writer = pq.ParquetWriter(
            self.sink,
            SCHEMA,
            compression="zstd",
            compression_level=config.compression_level,
            use_dictionary=DICTIONARY_COLUMNS,
        )

    @property
    def size(self) -> int:
        return self.sink.tell()

    def write(self, rows: list[dict[str, Any]]) -> None:
        self.writer.write_table(arrow_table(rows), len(rows))
        self.rows += len(rows)

    def close(self) -> _File:
        self.writer.close()
        self.sink.close()
        digest = hashlib.sha256()
        with self.temporary.open("rb") as handle:
            for chunk in iter(lambda: handle.read(MIB), b""):
                digest.update(chunk)
            os.fsync(handle.fileno())
        size = self.temporary.stat().st_size
        return _File(self.temporary, self.final, self.rows, size, digest.hexdigest())


def arrow_table(rows: list[dict[str, Any]]) -> pa.Table:
    """The same table as `pa.Table.from_pylist(rows, schema=SCHEMA)`, built by pyarrow's JSON
    reader: `pa.array` imports pandas (0.36 s of every crawl's close) only to ask whether a
    list is a pandas object."""
    if not rows:
        return SCHEMA.empty_table()
    lines = b"\n".join(orjson.dumps(_json_row(row)) for row in rows)
    table = pa_json.read_json(
        pa.py_buffer(lines),
        read_options=pa_json.ReadOptions(use_threads=False, block_size=len(lines) + 1),
        parse_options=pa_json.ParseOptions(
            explicit_schema=_JSON_SCHEMA, unexpected_field_behavior="error"
        ),
    )
    # Views, not casts: pyarrow's compute module, which casts, takes 50 ms to import.
    columns = [
        column.combine_chunks().view(field.type) if column.type != field.type else column
        for field, column in zip(SCHEMA, table.columns, strict=True)
    ]
    return pa.Table.from_arrays(columns, schema=SCHEMA)


def _json_row(row: dict[str, Any]) -> dict[str, Any]:
    json_row = {**row, "crawl_date": (row["crawl_date"] - _EPOCH_DAY).days}
    for name in _MAP_COLUMNS:
        pairs = row[name]
        if pairs is not None:
            pairs = pairs.items() if isinstance(pairs, dict) else pairs
            json_row[name] = [{"key": key, "value": value} for key, value in pairs]
    return json_row


def _write_manifest(
    output_dir: Path,
    run_id: str,
    files: list[_File],
    parts: list[Path],
    result: ExportResult,
    config: ExportConfig,
) -> None:
    parquet_root = output_dir / "parquet"
    manifest = {
        "run_id": run_id,
        "rows": sum(file.rows for file in files),
        "bytes": sum(file.bytes for file in files),
        "versions": result.versions,
        "duplicates": dict(result.duplicates),
        "files": [
            {
                "path": _relative(file.final, parquet_root),
                "rows": file.rows,
                "bytes": file.bytes,
                "sha256": file.sha256,
            }
            for file in files
        ],
        "text_parts": [_relative(part, output_dir) for part in parts],
        "dedup": asdict(config.dedup),
    }
    path = manifest_path(output_dir, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    with temporary.open("w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)
        handle.flush()
        os.fsync(handle.fileno())
    _publish(temporary, path)


def _publish(temporary: Path, final: Path) -> None:
    os.replace(temporary, final)


def _sync_directories(directories: set[Path]) -> None:
    for directory in directories:
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def _read_manifest(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _pending_runs(parquet_root: Path, index: DedupIndex) -> list[str]:
    """Runs whose manifest was published but whose state never committed (a crash)."""
    manifests = sorted((parquet_root / "_manifests").glob("*.json"))
    return [path.stem for path in manifests if not index.is_exported(path.stem)]


def _pending_parts(output_dir: Path, run_id: str) -> list[Path]:
    manifest = _read_manifest(manifest_path(output_dir, run_id))
    return [output_dir / part for part in manifest["text_parts"]]


def _remove_temporaries(parquet_root: Path) -> None:
    """Files a killed export left under temporary names; safe while we hold the lock."""
    for temporary in parquet_root.glob("**/.*.tmp"):
        temporary.unlink()


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One export at a time per output directory; the OS drops the lock if we are killed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
