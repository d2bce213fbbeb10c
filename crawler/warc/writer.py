"""Appends HTTP exchanges to size-rotated WARC files that appear only once complete.

A file is written as ``<name>.warc.gz.open`` with one gzip member per record and no buffering,
so a kill leaves every finished record readable; on close its index, made as the records were
written, goes beside it and it is renamed.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from crawler.warc.config import DEFAULT_GZIP_LEVEL
from crawler.warc.index import OPEN_SUFFIX, cdxj_line, finalize
from crawler.warc.records import (
    STORED,
    content_encoded,
    conversion_record,
    digest,
    gzip_member,
    new_record_id,
    request_record,
    response_record,
    revisit_record,
    warc_date,
    warcinfo_record,
)
from crawler.warc.recovery import safe_hostname


@dataclass(frozen=True, slots=True)
class WarcPointer:
    """Where a response record lives: reading ``warc_length`` bytes at ``warc_offset`` gives it."""

    warc_filename: str
    warc_offset: int
    warc_length: int
    warc_record_id: str
    payload_digest: str
    warc_date: str
    warc_type: str = "response"

    def as_meta(self) -> dict[str, str | int]:
        return asdict(self)


class WarcWriter:
    """Owns the current file: opens it on demand, rotates at ``max_size``, finalises on close."""

    def __init__(
        self,
        directory: Path,
        prefix: str,
        max_size: int,
        info: dict[str, str],
        *,
        on_closed: Callable[[Path], None] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        gzip_level: int = DEFAULT_GZIP_LEVEL,
    ) -> None:
        self.directory = directory
        self.prefix = prefix
        self.max_size = max_size
        self.info = info
        self._on_closed = on_closed
        self._now = now
        self.gzip_level = gzip_level
        self._host = safe_hostname()
        self._serial = 0
        self._file: BinaryIO | None = None
        self._path: Path | None = None
        self._name = ""
        self._size = 0
        self._index_lines: list[str] = []

    def write_exchange(
        self,
        url: str,
        request_head: bytes,
        request_body: bytes,
        response_head: bytes,
        response_body: bytes,
        ip_address: str | None,
    ) -> WarcPointer:
        """Writes the response record, then its request record, and points at the response."""
        date = warc_date(self._now())
        record_id = new_record_id()
        payload_digest = digest(response_body)
        response = response_record(
            url, record_id, date, response_head, response_body, ip_address, payload_digest
        )
        return self._append(
            url,
            date,
            record_id,
            response,
            response_head,
            request_head,
            request_body,
            ip_address,
            payload_digest=payload_digest,
            level=STORED if content_encoded(response_head) else self.gzip_level,
        )

    def write_revisit(
        self,
        url: str,
        request_head: bytes,
        request_body: bytes,
        response_head: bytes,
        ip_address: str | None,
        *,
        profile: str,
        payload_digest: str | None,
        refers_to_uri: str,
        refers_to_date: str,
    ) -> WarcPointer:
        """Writes a revisit (head only) instead of a second full copy of a known payload."""
        date = warc_date(self._now())
        record_id = new_record_id()
        revisit = revisit_record(
            url,
            record_id,
            date,
            response_head,
            profile=profile,
            payload_digest=payload_digest,
            refers_to_uri=refers_to_uri,
            refers_to_date=refers_to_date,
            ip_address=ip_address,
        )
        return self._append(
            url,
            date,
            record_id,
            revisit,
            response_head,
            request_head,
            request_body,
            ip_address,
            payload_digest=payload_digest or "",
            level=self.gzip_level,
            warc_type="revisit",
        )

    def write_conversion(
        self, url: str, body: bytes, content_type: str, refers_to: str | None
    ) -> WarcPointer:
        """Writes a rendered page (a `conversion` record; no request, the browser sent it)."""
        if self._file is None:
            self._open()
        date = warc_date(self._now())
        record_id = new_record_id()
        payload_digest = digest(body)
        record = self._compress(
            conversion_record(url, record_id, date, body, content_type, refers_to, payload_digest)
        )
        pointer = WarcPointer(
            self._name, self._size, len(record), record_id, payload_digest, date, "conversion"
        )
        self._write(record)
        if self._size >= self.max_size:
            self.close()
        return pointer

    def _append(
        self,
        url: str,
        date: str,
        record_id: str,
        record: bytes,
        response_head: bytes,
        request_head: bytes,
        request_body: bytes,
        ip_address: str | None,
        *,
        payload_digest: str,
        level: int,
        warc_type: str = "response",
    ) -> WarcPointer:
        if self._file is None:
            self._open()
        record = gzip_member(record, level)
        request = self._compress(
            request_record(url, date, record_id, request_head, request_body, ip_address)
        )
        pointer = WarcPointer(
            self._name, self._size, len(record), record_id, payload_digest, date, warc_type
        )
        self._write(record + request)
        self._index_lines.append(
            cdxj_line(
                url,
                date,
                warc_type,
                response_head,
                payload_digest,
                pointer.warc_offset,
                pointer.warc_length,
                self._name,
            )
        )
        if self._size >= self.max_size:
            self.close()
        return pointer

    def close(self) -> None:
        if self._file is None or self._path is None:
            return
        self._file.close()
        self._file = None
        final = finalize(self._path, self._index_lines)
        if self._on_closed:
            self._on_closed(final)

    def _open(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        now = self._now()
        stamp = now.astimezone(UTC).strftime("%Y%m%d%H%M%S")
        self._name = f"{self.prefix}-{stamp}-{self._serial:05d}-{self._host}-{os.getpid()}.warc.gz"
        self._serial += 1
        self._path = self.directory / (self._name + OPEN_SUFFIX)
        self._file = self._path.open("xb", buffering=0)
        self._size = 0
        self._index_lines = []
        self._write(self._compress(warcinfo_record(self._name, self.info, warc_date(now))))

    def _compress(self, record: bytes) -> bytes:
        return gzip_member(record, self.gzip_level)

    def _write(self, data: bytes) -> None:
        assert self._file is not None
        view = memoryview(data)
        while view:
            view = view[self._file.write(view) :]
        self._size += len(data)
