"""The corpus report: one static HTML page per output directory, `OUTPUT_DIR/report/index.html`.

`crawler.report.data` reads the Parquet corpus and the run reports with DuckDB;
`crawler.report.page` draws them with Plotly, its JavaScript inlined, so the page opens offline.
"""

from __future__ import annotations

from pathlib import Path

from crawler.report.data import DriftFloor, load
from crawler.report.page import render

REPORT_PATH = Path("report") / "index.html"


def write_report(output_dir: Path, drift: DriftFloor) -> Path:
    """Read `output_dir` and write its report atomically; returns the page's path."""
    from crawler.files import write_text_atomic

    path = output_dir / REPORT_PATH
    write_text_atomic(path, render(load(output_dir, drift)))
    return path
