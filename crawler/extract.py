"""Page -> extracted article fields: the CPU-bound step, run in worker processes.

Everything here is a pure function of its inputs, so it runs the same in the crawl's pool,
in `scrapy rebuild` over old WARC files, and in the benchmark.
"""

from __future__ import annotations

import re
from typing import Any

from crawler.dedup import DedupConfig, Sketch
from crawler.parsers.article import parse_article
from crawler.parsers.encoding import decode_html

#: Fields whose fill rates are reported per template; a drop means the site changed.
TRACKED_FIELDS = ("title", "authors", "published_at", "body")
#: A body shorter than this many words counts as not filled.
MIN_BODY_WORDS = 50
#: Characters of text given to the language identifier: plenty for a reliable answer,
#: and its cost grows with the length (it was half of all extraction time at 5,000).
LANGUAGE_SAMPLE_CHARS = 1000

_WORD = re.compile(r"\w+", re.UNICODE)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code from py3langid (its model loads once per process, on import)."""
    if not text.strip():
        return None
    import py3langid

    language, _score = py3langid.classify(text[:LANGUAGE_SAMPLE_CHARS])
    return str(language)


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def extract_page(
    url: str, body: bytes, content_type: str | None, dedup: DedupConfig | None = None
) -> dict[str, Any]:
    """Decode and parse one page; returns plain, picklable fields.

    With `dedup`, also the text's dedup `sketch`, so the export does not compute it later in
    the crawl process.
    """
    html = decode_html(body, content_type)
    parsed = parse_article(url, html)
    text = parsed.text
    words = word_count(text)
    detected = detect_language(text) if text else None
    return {
        "article_id": parsed.article_id,
        "canonical_url": parsed.canonical_url,
        "title": parsed.title,
        "subtitle": parsed.subtitle,
        "authors": list(parsed.authors),
        "section": parsed.section,
        "published_at": parsed.published_at,
        "updated_at": parsed.updated_at,
        "language": detected or parsed.language,
        "keywords": list(parsed.keywords),
        "images": [{"url": image.url, "caption": image.caption} for image in parsed.images],
        "paragraphs": list(parsed.paragraphs),
        "text": text,
        "word_count": words,
        "template": parsed.template,
        "extractor": parsed.extractor,
        "field_sources": dict(parsed.sources),
        "no_body_reason": parsed.no_body_reason,
        "sketch": Sketch.of(text, dedup) if dedup is not None else None,
        "filled": {
            "title": bool(parsed.title),
            "authors": bool(parsed.authors),
            "published_at": parsed.published_at is not None,
            "body": words >= MIN_BODY_WORDS,
        },
    }
