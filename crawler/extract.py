"""Page -> `Article`: the CPU-bound step, run in worker processes.

Everything here is a pure function of its inputs, so it runs the same in the crawl's pool,
in `scrapy rebuild` over old WARC files, and in the benchmark.
"""

from __future__ import annotations

from crawler.dedup import DedupConfig, Sketch
from crawler.items import Article
from crawler.parsers.article import parse_article
from crawler.parsers.encoding import decode_html
from crawler.sites.profile import DRIFT_FIELDS, SiteProfile

#: Fields whose fill rates are reported per site and template; a drop means the site changed.
TRACKED_FIELDS = DRIFT_FIELDS
#: A body shorter than this many words counts as not filled.
MIN_BODY_WORDS = 50
#: Characters of text given to the language identifier: plenty for a reliable answer,
#: and its cost grows with the length (it was half of all extraction time at 5,000).
LANGUAGE_SAMPLE_CHARS = 1000


def load_language_model() -> None:
    """Load py3langid's model now rather than on the first page (0.9 s of CPU)."""
    import py3langid

    py3langid.classify("")


def detect_language(text: str) -> str | None:
    """ISO 639-1 code from py3langid (its model loads on first use, or in the workers' fork
    server beforehand: `load_language_model`)."""
    if not text.strip():
        return None
    import py3langid

    language, _score = py3langid.classify(text[:LANGUAGE_SAMPLE_CHARS])
    return str(language)


def set_language(article: Article) -> None:
    """The language detected in the text, else the one the page declares."""
    detected = detect_language(article.text) if article.text else None
    article.language = detected or article.language


def filled_fields(article: Article) -> dict[str, bool]:
    """Which tracked fields the page filled, for the fill rates and the drift alarm."""
    return {
        "title": bool(article.title),
        "authors": bool(article.authors),
        "published_at": article.published_at is not None,
        "body": article.word_count >= MIN_BODY_WORDS,
    }


def extract_page(
    url: str,
    body: bytes,
    content_type: str | None,
    profile: SiteProfile,
    dedup: DedupConfig | None = None,
) -> tuple[Article, Sketch | None]:
    """Decode and parse one page of `profile`'s site.

    With `dedup`, also the text's dedup sketch, so the export does not compute it later in
    the crawl process.
    """
    article = parse_article(url, decode_html(body, content_type), profile)
    set_language(article)
    sketch = Sketch.of(article.text, dedup) if dedup is not None else None
    return article, sketch
