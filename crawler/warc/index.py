"""CDXJ index beside each closed WARC, so pywb can look records up without a scan.

Uses webrecorder's ``cdxj-indexer`` (the indexer pywb ships with) with SURT keys, sorted.
"""

from __future__ import annotations

import os
from pathlib import Path

from cdxj_indexer import CDXJIndexer

OPEN_SUFFIX = ".open"
INDEX_SUFFIX = ".cdxj"


def write_cdxj(warc_path: Path, filename: str, index_path: Path) -> None:
    """Indexes ``warc_path`` as if it were named ``filename`` (it may still carry ``.open``)."""
    CDXJIndexer(str(index_path), [str(warc_path)], sort=True, filename=filename).process_all()


def finalize(open_path: Path) -> Path:
    """Writes the index, then drops the ``.open`` suffix, each step atomic by rename.

    A crash in between leaves the ``.open`` file, and the next start-up does it again.
    """
    final = open_path.with_name(open_path.name.removesuffix(OPEN_SUFFIX))
    index = final.with_name(final.name + INDEX_SUFFIX)
    index_tmp = index.with_name(index.name + OPEN_SUFFIX)
    write_cdxj(open_path, final.name, index_tmp)
    os.replace(index_tmp, index)
    os.replace(open_path, final)
    return final
