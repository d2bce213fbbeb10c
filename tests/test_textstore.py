"""The clean-text store: atomic gzip JSON-lines parts that read back as written."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from crawler.textstore import TextStoreWriter, part_paths, read_parts

KST = timezone(timedelta(hours=9))


def test_records_read_back_with_iso_dates_and_unicode(tmp_path: Path) -> None:
    published = datetime(2020, 1, 16, 21, 21, tzinfo=KST)
    crawled = datetime(2026, 12, 1, 13, 45, 25, 123456, tzinfo=UTC)
    record = {
        "url": "https://www.koreaherald.com/article/10000001",
        "published_at": published,
        "crawled_at": crawled,
        "updated_at": None,
        "text": "서울 — “Quoted”, 1,000 won\nsecond paragraph",
        "authors": ["Yonhap"],
    }
    written: list[list[dict]] = []
    writer = TextStoreWriter(tmp_path, "run-1", records_per_part=2)
    writer.on_part_written = written.append
    for serial in range(3):
        writer.write({**record, "url": f"{record['url']}{serial}"})
    writer.flush()

    parts = part_paths(tmp_path, ["run-1"])
    assert [p.name for p in parts] == ["part-00000.jsonl.gz", "part-00001.jsonl.gz"]
    assert [len(batch) for batch in written] == [2, 1]
    rows = list(read_parts(parts))
    assert [row["url"][-1] for row in rows] == ["0", "1", "2"]
    assert rows[0]["published_at"] == published.isoformat() == "2020-01-16T21:21:00+09:00"
    assert rows[0]["crawled_at"] == crawled.isoformat()
    assert rows[0]["text"] == record["text"] and rows[0]["updated_at"] is None
    assert "서울".encode() in gzip.decompress(parts[0].read_bytes()), "UTF-8, not \\u escapes"
    assert not list((tmp_path / "text" / "run-1").glob(".*.tmp"))
