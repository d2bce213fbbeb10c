"""Bytes to text for fetched pages; old Korean pages are EUC-KR, which must decode as CP949."""

from __future__ import annotations

from w3lib.encoding import html_to_unicode


def decode_html(body: bytes, content_type: str | None) -> str:
    """Decode by the header charset, then BOM / meta sniffing; undecodable bytes are replaced."""
    try:
        _, text = html_to_unicode(content_type, body)
    except (LookupError, ValueError, TypeError):
        return body.decode("utf-8", errors="replace")
    return text
