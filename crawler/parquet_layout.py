"""Moves Parquet files of the old `site=<site>/crawl_date=<day>/` layout into `<site>/<day>/`.

Readers typed those `key=value` directories each their own way, and a corpus holding both
layouts would not open at all; the export runs this first, under its lock. Each file is
rewritten with the current schema (`crawl_date` from its directory), published, and only then
is the old file removed; manifests are updated to the new paths and checksums. A crash between
the two leaves both copies until the next export finishes the move.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.parquet as pq

from crawler.files import write_json_atomic

OLD_LAYOUT = "site=*/crawl_date=*/*.parquet"


def migrate_key_value_layout(
    parquet_root: Path, schema: pa.Schema, directory_of: Callable[[str], str]
) -> int:
    """Move every old-layout file; `directory_of(site)` names a site's new directory."""
    moved = 0
    for old in sorted(parquet_root.glob(OLD_LAYOUT)):
        if old.name.startswith("."):
            continue
        new = parquet_root / _new_path(old.relative_to(parquet_root).as_posix(), directory_of)
        _rewrite(old, new, schema)
        old.unlink()
        for directory in (old.parent, old.parent.parent):
            if not any(directory.iterdir()):
                directory.rmdir()
        moved += 1
    _update_manifests(parquet_root, directory_of)
    return moved


def _new_path(old: str, directory_of: Callable[[str], str]) -> str:
    site, day, name = old.split("/")
    return f"{directory_of(unquote(site.removeprefix('site=')))}/{_day(day)}/{name}"


def _day(directory: str) -> str:
    return date.fromisoformat(directory.removeprefix("crawl_date=")).isoformat()


def _rewrite(old: Path, new: Path, schema: pa.Schema) -> None:
    table = pq.read_table(old, partitioning=None)
    columns = {
        name: table[name] if name in table.column_names else pa.nulls(table.num_rows)
        for name in schema.names
    }
    day = date.fromisoformat(_day(old.parent.name))
    columns["crawl_date"] = pa.array([day] * table.num_rows, pa.date32())
    rebuilt = pa.table(columns).cast(schema)
    new.parent.mkdir(parents=True, exist_ok=True)
    temporary = new.with_name(f".{new.name}.tmp")
    pq.write_table(rebuilt, temporary, compression="zstd")
    with temporary.open("rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, new)


def _update_manifests(parquet_root: Path, directory_of: Callable[[str], str]) -> None:
    """Entries that still name an old path get the moved file's path, size and checksum."""
    for path in sorted((parquet_root / "_manifests").glob("[!.]*.json")):
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest.get("files", [])
        stale = [entry for entry in files if str(entry.get("path", "")).startswith("site=")]
        if not stale:
            continue
        for entry in stale:
            entry["path"] = _new_path(entry["path"], directory_of)
            moved = parquet_root / entry["path"]
            if moved.is_file():
                entry["bytes"] = moved.stat().st_size
                entry["sha256"] = hashlib.sha256(moved.read_bytes()).hexdigest()
        manifest["bytes"] = sum(entry.get("bytes", 0) for entry in files)
        write_json_atomic(path, manifest)
