"""Last-resort extraction with trafilatura, for unknown templates and other news sites.

Tuned for precision: a corpus is hurt more by menu and rail text than by a lost paragraph.
"""

from __future__ import annotations

import logging
from copy import deepcopy
from datetime import UTC, tzinfo

import trafilatura
from lxml.html import HtmlElement
from trafilatura.settings import Document, Extractor

from crawler.parsers.boilerplate import drop_link_lists, wrap_bare_text
from crawler.parsers.dates import parse_date
from crawler.parsers.model import Extracted
from crawler.parsers.text import clean_authors, is_prose, normalize_space

TRAFILATURA_VERSION = trafilatura.__version__

# trafilatura logs every page it finds too short; that is expected here, not a warning.
logging.getLogger("trafilatura").setLevel(logging.ERROR)

#: Below this, what trafilatura found is a stray label or error text rather than an article.
MIN_BODY_CHARS = 150
#: Text that is mostly short lines is a menu or a list of labels, not an article: at least
#: MIN_PROSE_SHARE of its characters must be in sentences (`is_prose`).
MIN_PROSE_SHARE = 0.5

#: Precision mode sometimes locks onto a short boilerplate block (a reprint notice, say).
#: Below this many characters the default mode is tried too, and wins when the precise text
#: is under SHORT_RATIO of its length. Measured in `make bench-extraction`: F1 0.964 -> 0.969.
SHORT_RESULT_CHARS = 1000
SHORT_RATIO = 0.2
#: Link lists of this many links (menus, rails) go before the metadata pass too: they carry
#: no byline, and htmldate reads every date in them, most of its time on heavy pages.
#: Measured on the 181 pages: two titles and one author better (a commenter's name gone).
MENU_MIN_LINKS = 10


def _parse(html: str) -> HtmlElement | None:
    try:
        return trafilatura.load_html(html)
    except Exception:  # trafilatura raises assorted errors on junk input; junk means "no body"
        return None


def _metadata(tree: HtmlElement, url: str) -> Document | None:
    """Title, authors and date from the page without its menus and rails only: bylines and
    datelines often sit in the smaller link lists the body goes without."""
    options = Extractor(with_metadata=True)  # as bare_extraction's; dates up to today
    try:
        return trafilatura.extract_metadata(
            tree, url, options.date_params, options.fast, options.author_blacklist
        )
    except Exception:  # as above: junk metadata means none
        return None


def _text(tree: HtmlElement, url: str, *, favor_precision: bool) -> str | None:
    try:
        document = trafilatura.bare_extraction(
            tree,  # trafilatura works on a copy, so both modes can read the same tree
            url=url,
            favor_precision=favor_precision,
            include_comments=False,
            include_images=False,
            include_links=False,
            deduplicate=False,
        )
    except Exception:  # as above: junk means "no body"
        return None
    return None if document is None else document.text or ""


def extract(html: str, url: str, tz: tzinfo = UTC, *, metadata: bool = True) -> Extracted:
    """Body and, unless `metadata` is False, title, authors and date. The metadata pass costs
    most of the time on heavy pages (dates in rails), so callers that have them skip it."""
    tree = _parse(html)
    if tree is None:
        return Extracted(no_body_reason="no-body-element")
    menus = drop_link_lists(tree, teasers=False, min_links=MENU_MIN_LINKS)
    meta = _metadata(tree, url) if metadata else None
    # Lists of teasers go too, unless they are all the page has: a listing page, which the
    # page-kind judgement (crawler.parsers.pagekind) tells by them.
    text, dropped = _body(tree, url, teasers=True)
    if dropped and not _paragraphs(text):
        text, dropped = _body(tree, url, teasers=False)
    dropped += menus
    if text is None:  # nothing but link lists is a menu page: too short, as below
        return Extracted(no_body_reason="too-short" if dropped else "no-body-element")
    paragraphs = _paragraphs(text)
    if not paragraphs:
        return Extracted(no_body_reason="too-short")
    if meta is None:
        return Extracted(paragraphs=paragraphs)
    return Extracted(
        title=normalize_space(meta.title) or None,
        authors=clean_authors((meta.author or "").split(";")),
        published_at=parse_date(meta.date, tz),
        language=meta.language or None,
        paragraphs=paragraphs,
    )


def _body(tree: HtmlElement, url: str, *, teasers: bool) -> tuple[str | None, int]:
    """trafilatura's text of the page without link lists and with bare text in paragraphs
    (`crawler.parsers.boilerplate`), and how many lists went. Measured in
    `make bench-extraction`: F1 0.969 -> 0.973, a quarter less CPU a page."""
    clean = deepcopy(tree)
    dropped = drop_link_lists(clean, teasers=teasers)
    wrap_bare_text(clean)
    text = _text(clean, url, favor_precision=True)
    if len(text or "") < SHORT_RESULT_CHARS:
        recall = _text(clean, url, favor_precision=False)
        if recall is not None and len(text or "") < SHORT_RATIO * len(recall):
            text = recall
    return text, dropped


def _paragraphs(text: str | None) -> list[str]:
    """The text's lines, or none when it is too short or not prose to be an article."""
    lines = (normalize_space(line) for line in (text or "").split("\n"))
    paragraphs = [line for line in lines if line]
    total = sum(map(len, paragraphs))
    prose = sum(len(line) for line in paragraphs if is_prose(line))
    if total < MIN_BODY_CHARS or prose < MIN_PROSE_SHARE * total:
        return []
    return paragraphs
