"""WARC/1.1 records assembled from the bytes that crossed the wire, one gzip member each.

warcio's writer re-serialises HTTP heads from their parsed form, which would change them; here
the block is written as received and only the WARC header block is generated.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime

from warcio.statusandheaders import StatusAndHeadersParser
from warcio.timeutils import datetime_to_iso_date
from zlib_ng import zlib_ng

RENAMED_TRANSFER_ENCODING = b"X-Crawler-Transfer-Encoding"
"""The body is stored without transfer framing, so its ``Transfer-Encoding`` header is renamed:
replay tools (warcio, pywb) would otherwise try to de-chunk it again."""


def digest(data: bytes) -> str:
    """``sha1:<base32>``, the form WARC readers and CDXJ indexes use."""
    return "sha1:" + base64.b32encode(hashlib.sha1(data).digest()).decode("ascii")


def new_record_id() -> str:
    return StatusAndHeadersParser.make_warc_id()


def warc_date(now: datetime | None = None) -> str:
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    return datetime_to_iso_date(moment, use_micros=True)


def without_transfer_encoding(head: bytes) -> bytes:
    """Renames ``Transfer-Encoding`` header lines, keeping their value, case and position."""
    lines = head.split(b"\n")
    for i, line in enumerate(lines[1:], start=1):
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() == b"transfer-encoding":
            lines[i] = RENAMED_TRANSFER_ENCODING + b":" + value
    return b"\n".join(lines)


#: Level 0: deflate's stored blocks, a valid gzip member with nothing searched for.
STORED = 0
#: A Content-Encoding header naming a compression among its codings; servers also send
#: "none", "utf-8" or "binary" there, whose payloads deflate as well as any page.
_CONTENT_ENCODED = re.compile(
    rb"^content-encoding:[^\r\n]*?\b(?:x-)?(?:gzip|deflate|br|zstd|compress)\b", re.I | re.M
)


def content_encoded(http_head: bytes) -> bool:
    """The payload came compressed: deflating its record again at level 4 gained 0.1% on the
    replica's gzip pages (their WARC and HTTP headers, ~1 KB, included) and cost 0.23 ms of
    the crawl thread for a 19 KB page, so its member is `STORED`."""
    return _CONTENT_ENCODED.search(http_head) is not None


def gzip_member(record: bytes, level: int) -> bytes:
    """One record as its own gzip member, so it can be read alone from its offset. zlib-ng
    makes the same format as zlib: at level 4, in a fifth less time on the real benchmark
    pages (1.37 against 1.74 ms a page) and a quarter less on the replica's uncompressed
    pages, and 1.5-5% smaller."""
    return zlib_ng.compress(record, level, wbits=31)


def _record(
    fields: list[tuple[str, str]], block: bytes, content_type: str, payload_digest: str | None
) -> bytes:
    """One uncompressed WARC record: its header block, then `block`."""
    fields = [*fields, ("Content-Type", content_type)]
    if payload_digest is not None:
        fields.append(("WARC-Payload-Digest", payload_digest))
    fields += [("WARC-Block-Digest", digest(block)), ("Content-Length", str(len(block)))]
    head = "WARC/1.1\r\n" + "".join(f"{name}: {value}\r\n" for name, value in fields) + "\r\n"
    return b"".join((head.encode("utf-8"), block, b"\r\n\r\n"))


def warcinfo_record(filename: str, info: dict[str, str], date: str) -> bytes:
    block = "".join(f"{key}: {value}\r\n" for key, value in info.items()).encode("utf-8")
    fields = [
        ("WARC-Type", "warcinfo"),
        ("WARC-Record-ID", new_record_id()),
        ("WARC-Date", date),
        ("WARC-Filename", filename),
    ]
    return _record(fields, block, "application/warc-fields", None)


def response_record(
    url: str,
    record_id: str,
    date: str,
    head: bytes,
    body: bytes,
    ip_address: str | None,
    payload_digest: str,
) -> bytes:
    fields = [
        ("WARC-Type", "response"),
        ("WARC-Record-ID", record_id),
        ("WARC-Date", date),
        ("WARC-Target-URI", url),
    ]
    if ip_address:
        fields.append(("WARC-IP-Address", ip_address))
    head = without_transfer_encoding(head)
    return _record(fields, head + body, "application/http; msgtype=response", payload_digest)


#: WARC 1.1 revisit profiles: same payload as an earlier capture, or the server said 304.
IDENTICAL_PAYLOAD_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
NOT_MODIFIED_PROFILE = "http://netpreserve.org/warc/1.1/revisit/server-not-modified"


def revisit_record(
    url: str,
    record_id: str,
    date: str,
    head: bytes,
    *,
    profile: str,
    payload_digest: str | None,
    refers_to_uri: str,
    refers_to_date: str,
    ip_address: str | None,
) -> bytes:
    """A revisit: the response head only, pointing at the earlier capture it repeats."""
    fields = [
        ("WARC-Type", "revisit"),
        ("WARC-Record-ID", record_id),
        ("WARC-Date", date),
        ("WARC-Target-URI", url),
        ("WARC-Profile", profile),
        ("WARC-Refers-To-Target-URI", refers_to_uri),
        ("WARC-Refers-To-Date", refers_to_date),
    ]
    if ip_address:
        fields.append(("WARC-IP-Address", ip_address))
    if payload_digest:
        fields.append(("WARC-Payload-Digest", payload_digest))
    block = without_transfer_encoding(head)
    return _record(fields, block, "application/http; msgtype=response", None)


def request_record(
    url: str, date: str, concurrent_to: str, head: bytes, body: bytes, ip_address: str | None
) -> bytes:
    fields = [
        ("WARC-Type", "request"),
        ("WARC-Record-ID", new_record_id()),
        ("WARC-Date", date),
        ("WARC-Target-URI", url),
        ("WARC-Concurrent-To", concurrent_to),
    ]
    if ip_address:
        fields.append(("WARC-IP-Address", ip_address))
    return _record(fields, head + body, "application/http; msgtype=request", digest(body))


def conversion_record(
    url: str,
    record_id: str,
    date: str,
    body: bytes,
    content_type: str,
    refers_to: str | None,
    payload_digest: str,
) -> bytes:
    """A page as a browser rendered it: derived from the response it refers to, not a fetch."""
    fields = [
        ("WARC-Type", "conversion"),
        ("WARC-Record-ID", record_id),
        ("WARC-Date", date),
        ("WARC-Target-URI", url),
    ]
    if refers_to:
        fields.append(("WARC-Refers-To", refers_to))
    return _record(fields, body, content_type, payload_digest)
