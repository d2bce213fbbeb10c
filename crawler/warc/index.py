"""CDXJ index beside each closed WARC, so pywb can look records up without a scan.

The writer makes each line as it writes the record, the same line webrecorder's ``cdxj-indexer``
(the indexer pywb ships with) writes when it reads the file back, so closing a file costs no
second pass over it. A file a crash left ``.open`` has no such lines: cdxj-indexer reads it.
"""

from __future__ import annotations

import json
import os
import re
from io import BytesIO
from typing import TYPE_CHECKING

import surt
from warcio.statusandheaders import StatusAndHeadersParser
from warcio.timeutils import iso_date_to_timestamp

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

OPEN_SUFFIX = ".open"
INDEX_SUFFIX = ".cdxj"

#: How warcio's ArchiveIterator reads the HTTP head of a record for cdxj-indexer.
_HTTP_HEAD_PARSER = StatusAndHeadersParser(["HTTP/1.0", "HTTP/1.1"], verify=False)
_MIME_END = re.compile(r"[;\s]")


def cdxj_line(
    url: str,
    date: str,
    warc_type: str,
    http_head: bytes,
    payload_digest: str,
    offset: int,
    length: int,
    filename: str,
) -> str:
    """cdxj-indexer's line for a ``response`` or ``revisit`` record (it skips the other types
    this writer emits: warcinfo, request, conversion): the SURT key, the 14-digit timestamp,
    then its fields in its order, each left out where it would leave it out.

    ``http_head`` is the head as received, ending with its blank line, so parsing it alone stops
    where parsing the record block would (renaming Transfer-Encoding changes no field read here).
    An empty ``payload_digest`` is a revisit's without one, which cdxj-indexer leaves out too.
    """
    url = url.replace(" ", "%20")  # as warcio reads WARC-Target-URI
    fields = {"url": url}
    head = None
    if http_head and url.startswith(("http:", "https:")):
        head = _HTTP_HEAD_PARSER.parse(BytesIO(http_head))
    if warc_type == "revisit":
        fields["mime"] = "warc/revisit"
    elif head is not None and (mime := head.get_header("Content-Type")) is not None:
        fields["mime"] = _MIME_END.split(mime, 1)[0]
    if head:
        fields["status"] = head.get_statuscode()
    if payload_digest:
        fields["digest"] = payload_digest
    fields |= {"length": str(length), "offset": str(offset), "filename": filename}
    return f"{_surt_key(url)} {iso_date_to_timestamp(date)} {json.dumps(fields)}\n"


def _surt_key(url: str) -> str:
    try:
        return surt.surt(url)
    except Exception:  # cdxj-indexer keys a URL that surt cannot parse by itself
        return url


def finalize(open_path: Path, index_lines: Iterable[str] | None = None) -> Path:
    """Writes the index, then drops the ``.open`` suffix, each step atomic by rename.

    ``index_lines`` are those the writer made; without them the file is read back. A crash in
    between leaves the ``.open`` file, and the next start-up does it again.
    """
    final = open_path.with_name(open_path.name.removesuffix(OPEN_SUFFIX))
    index = final.with_name(final.name + INDEX_SUFFIX)
    index_tmp = index.with_name(index.name + OPEN_SUFFIX)
    if index_lines is None:
        write_cdxj(open_path, final.name, index_tmp)
    else:
        index_tmp.write_text("".join(sorted(index_lines)), encoding="utf-8")
    os.replace(index_tmp, index)
    os.replace(open_path, final)
    return final


def write_cdxj(warc_path: Path, filename: str, index_path: Path) -> None:
    """Indexes ``warc_path`` as if it were named ``filename`` (it may still carry ``.open``).

    Imported here: only recovery needs it, and what it imports beyond surt (pyamf, multipart,
    pkg_resources) costs a crawl about 0.06 s of CPU.
    """
    from cdxj_indexer import CDXJIndexer

    CDXJIndexer(str(index_path), [str(warc_path)], sort=True, filename=filename).process_all()
