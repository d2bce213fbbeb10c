"""Measure WARC reading for `scrapy rebuild`: warcio against fastwarc, same file, same work.

Writes a gzip-per-record WARC of N HTML responses (half gzip-encoded), then times iterating
the response records and reading their decoded payloads with each library.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import tempfile
import time
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "tests" / "fixtures" / "parsers" / "current" / "article-10493730.html"


def write_sample(path: Path, records: int) -> None:
    html = SAMPLE.read_bytes()
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for serial in range(records):
            body = html.replace(b"10493730", str(10000000 + serial).encode())
            headers = [("Content-Type", "text/html; charset=utf-8")]
            if serial % 2:
                body = gzip.compress(body)
                headers.append(("Content-Encoding", "gzip"))
            http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
            url = f"https://www.koreaherald.com/article/{10000000 + serial}"
            writer.write_record(
                writer.create_warc_record(
                    url, "response", payload=io.BytesIO(body), http_headers=http
                )
            )


def read_warcio(path: Path) -> int:
    total = 0
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "response":
                total += len(record.content_stream().read())
    return total


def read_fastwarc(path: Path) -> int:
    from fastwarc.warc import ArchiveIterator as FastIterator
    from fastwarc.warc import WarcRecordType

    total = 0
    records = FastIterator(
        str(path), record_types=WarcRecordType.response, parse_http=True, auto_decode="all"
    )
    for record in records:
        total += len(record.reader.read())
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sample.warc.gz"
        write_sample(path, args.records)
        results = {}
        for name, reader in [("warcio", read_warcio), ("fastwarc", read_fastwarc)]:
            times = []
            for _ in range(args.repeat):
                start = time.perf_counter()
                payload = reader(path)
                times.append(time.perf_counter() - start)
            best = sorted(times)[len(times) // 2]
            results[name] = {
                "seconds": round(best, 4),
                "records_per_s": round(args.records / best),
                "payload_bytes": payload,
            }
    results["fastwarc_speedup"] = round(
        results["warcio"]["seconds"] / results["fastwarc"]["seconds"], 2
    )
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
