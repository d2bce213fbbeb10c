"""Article parsing on saved pages: the seed gold text, every template, and the edge cases."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from crawler.extract import extract_page
from crawler.items import Article
from crawler.parsers import parse_article
from crawler.parsers.dates import parse_date, parse_published_updated
from crawler.parsers.encoding import decode_html
from crawler.sites import SiteProfile, find_profile

KH = find_profile("koreaherald")
#: A site with no profile of its own: structured data and trafilatura only, dates in UTC.
COASTAL = SiteProfile(name="coastaltimes", base_url="https://www.coastaltimes.example")

FIXTURES = Path(__file__).parent / "fixtures" / "parsers"
SHARED = Path(__file__).resolve().parents[2] / "shared"
SEED_GOLD = SHARED / "seeds" / "001_cd471310c6203116.txt"

#: fixture file -> (page URL, Content-Type header)
CASES = {
    "legacy/seed-20200116000798.html": (
        "http://www.koreaherald.com/view.php?ud=20200116000798",
        "text/html; charset=utf-8",
    ),
    "current/article-10493730.html": ("https://www.koreaherald.com/article/10493730", None),
    "redesign2023/view-20231228000512.html": (
        "https://www.koreaherald.com/view.php?ud=20231228000512",
        None,
    ),
    "edge/no-jsonld-10500001.html": ("https://www.koreaherald.com/article/10500001", None),
    "edge/no-body.html": ("https://www.koreaherald.com/view.php?ud=20991231000001", None),
    "edge/euckr-20120302000900.html": (
        "http://www.koreaherald.com/view.php?ud=20120302000900",
        "text/html",
    ),
    "generic/example-news.html": (
        "https://www.coastaltimes.example/local/2024/03/05/floating-solar",
        None,
    ),
}


def as_expected(article: Article) -> dict:
    """The parsed fields as `expected.json` states them."""
    return {
        "url": article.url,
        "article_id": article.article_id,
        "canonical_url": article.canonical_url,
        "title": article.title,
        "subtitle": article.subtitle,
        "authors": article.authors,
        "section": article.section,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "updated_at": article.updated_at.isoformat() if article.updated_at else None,
        "language": article.language,
        "keywords": article.keywords,
        "images": [{"url": i.url, "caption": i.caption} for i in article.images],
        "paragraphs": article.paragraphs,
        "text": article.text,
        "template": article.template,
        "sources": article.field_sources,
        "extractor": article.extractor,
        "no_body_reason": article.no_body_reason,
    }


def _parse(name: str) -> dict:
    url, content_type = CASES[name]
    html = decode_html((FIXTURES / name).read_bytes(), content_type)
    profile = COASTAL if name.startswith("generic/") else KH
    return as_expected(parse_article(url, html, profile))


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixture_matches_expected(name: str) -> None:
    expected = json.loads((FIXTURES / "expected.json").read_text(encoding="utf-8"))[name]
    assert _parse(name) == expected


@pytest.mark.skipif(not SEED_GOLD.exists(), reason="shared/ folder (seed gold text) is absent")
def test_seed_article_matches_gold_text() -> None:
    gold = [" ".join(p.split()) for p in SEED_GOLD.read_text(encoding="utf-8").split("\n\n")]
    url, _ = CASES["legacy/seed-20200116000798.html"]
    html = (FIXTURES / "legacy/seed-20200116000798.html").read_text(encoding="utf-8")
    article = parse_article(url, html, KH)
    assert article.paragraphs == [p for p in gold if p]
    assert article.published_at == datetime(2020, 1, 16, 12, 21, tzinfo=UTC)
    assert article.authors == ["Yonhap"]
    assert article.title == "S. Korea, China hold working-level defense talks over peninsula"
    assert article.section == "National"
    assert article.template == "legacy"
    assert article.article_id == "20200116000798"


def test_current_template_keeps_captions_and_rails_out_of_body() -> None:
    data = _parse("current/article-10493730.html")
    body = " ".join(data["paragraphs"])
    for noise in ("late-night bus runs", "Related articles", "ADVERTISEMENT", "Most Popular"):
        assert noise not in body
    assert data["published_at"] == "2025-05-12T01:15:00+00:00"  # JSON-LD without offset = KST
    assert data["extractor"] == "koreaherald:jsonld+current"


def test_euckr_bytes_decode_from_meta() -> None:
    data = _parse("edge/euckr-20120302000900.html")
    assert data["title"] == "서울시, 심야버스 확대"
    assert data["paragraphs"][-1] == "똠방각하 뷁 (연합뉴스)"


@pytest.mark.parametrize(
    "html", ["", "   ", "<html>", "\x00\x01garbage", "<html><body></body></html>"]
)
def test_junk_html_gives_no_body_reason(html: str) -> None:
    article = parse_article("https://www.koreaherald.com/article/10000000", html, KH)
    assert article.paragraphs == []
    assert article.no_body_reason
    assert article.article_id == "10000000"


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Published : Jan 16, 2020 - 21:21", "2020-01-16T12:21:00+00:00"),
        ("Published : Aug. 13, 2013 - 18:47", "2013-08-13T09:47:00+00:00"),
        ("Published : Sept. 30, 2023 - 20:50", "2023-09-30T11:50:00+00:00"),
        ("2025.01.02 10:20", "2025-01-02T01:20:00+00:00"),
        ("2025-05-12T10:15:00", "2025-05-12T01:15:00+00:00"),
        ("2025-05-12T10:15:00+00:00", "2025-05-12T10:15:00+00:00"),
        ("Tue, 09 Feb 2021 15:22:43 +0900", "2021-02-09T06:22:43+00:00"),
    ],
)
def test_parse_date_formats(text: str, iso: str) -> None:
    parsed = parse_date(text, KH.tz)
    assert parsed is not None and parsed.isoformat() == iso


def test_published_and_updated_are_told_apart() -> None:
    published, updated = parse_published_updated(
        "Published : Aug 26, 2020 - 15:44\xa0\xa0\xa0\xa0\xa0\xa0Updated : Aug 26, 2020 - 20:36",
        KH.tz,
    )
    assert published == datetime(2020, 8, 26, 6, 44, tzinfo=UTC)
    assert updated == datetime(2020, 8, 26, 11, 36, tzinfo=UTC)


def test_jsonld_author_shapes() -> None:
    shapes = ('"By Kim Arin"', '{"name": "Kim Arin"}', '[{"@type": "Person", "name": "Kim Arin"}]')
    for author in shapes:
        html = (
            '<html><script type="application/ld+json">{"@type": "NewsArticle", '
            f'"headline": "H", "author": {author}}}</script>'
            '<article id="articleText" class="article-body"><p>Body.</p></article></html>'
        )
        article = parse_article("https://www.koreaherald.com/article/10000001", html, KH)
        assert article.authors == ["Kim Arin"]
        assert article.field_sources["authors"] == "jsonld"


def test_menu_only_page_has_no_body() -> None:
    """A photo page: structured data and navigation, but no article text anywhere."""
    menu = "".join(f"<li><a href='/S{i}'>Section {i}</a></li>" for i in range(30))
    html = (
        "<html><head><script type='application/ld+json'>"
        '{"@type": "NewsArticle", "headline": "[Photo News] A picture"}</script></head>'
        f"<body><nav><ul>{menu}</ul></nav><h1>[Photo News] A picture</h1>"
        "<p>By Kim Ji-hyun</p><p>Published : Nov. 5, 2026 - 07:08</p>"
        "<figure><img src='x.jpg' alt=''></figure>"
        "<ul><li><a href='/article/1'>Kakao weighs supply chains</a></li></ul></body></html>"
    )
    parsed = parse_article("https://www.koreaherald.com/article/10839891", html, KH)
    assert parsed.paragraphs == []
    assert parsed.no_body_reason is not None
    assert parsed.title == "[Photo News] A picture"


def _with_rails(page: str, before: str, after: str = "") -> str:
    """The fixture with rails of other stories before and after its article column."""
    html = (FIXTURES / page).read_text(encoding="utf-8")
    html = html.replace("<body>", f"<body>\n<div class='rail'>{before}</div>", 1)
    return html.replace("</body>", f"<div class='rail'>{after}</div>\n</body>", 1)


def test_redesign2023_byline_and_section_come_from_the_article_column() -> None:
    """Page-wide, a rail's byline would come first and a rail's section last (the one kept)."""
    html = _with_rails(
        "redesign2023/view-20231228000512.html",
        before="<div class='news_journalist_area'><p class='name'>Park Rail</p></div>",
        after="<p class='news_category'>Rail Section</p>",
    )
    article = parse_article("https://www.koreaherald.com/view.php?ud=20231228000512", html, KH)
    assert article.authors == ["Choi Jae-hee"]
    assert article.section == "Business"


def test_template_falls_back_to_the_page_outside_its_column() -> None:
    """A byline missing from the article column is still read from the rest of the page."""
    page = "redesign2023/view-20231228000512.html"
    html = _with_rails(page, before="<div class='news_writer'>By Kim Rail</div>")
    moved = html.replace("news_journalist_area", "news_share_area")
    url = "https://www.koreaherald.com/view.php?ud=20231228000512"
    assert parse_article(url, moved, KH).authors == ["Kim Rail"]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("The court upheld the fine on Thursday, saying the regulator had been right.", "en"),
        ("서울 증시가 월요일 상승 마감했다. 코스피는 외국인 매수에 힘입어 1.2% 올랐다.", "ko"),
        ("O tribunal manteve a multa na quinta-feira e disse que o regulador tinha razão.", "pt"),
    ],
)
def test_language_is_read_from_the_text_not_the_page_declaration(text: str, language: str) -> None:
    html = (
        '<html lang="fr"><head><meta property="og:locale" content="fr_FR"></head><body>'
        f"<article>{''.join(f'<p>{n}. {text} {text}</p>' for n in range(6))}</article>"
        "</body></html>"
    )
    article, _ = extract_page("https://www.coastaltimes.example/a/1", html.encode(), None, COASTAL)
    assert article.language == language


def test_current_template_without_a_headline_element_still_reads_its_subtitle() -> None:
    """No `h1`, no column: the subtitle, above the article body, is looked for page-wide (and
    not in JSON-LD, which would give it first)."""
    html = (FIXTURES / "current/article-10493730.html").read_text(encoding="utf-8")
    headline = re.search(r"<h1 class=\"news_title\">.*?</h1>", html, re.S)
    structured = re.search(r'"alternativeHeadline": "[^"]*",', html)
    assert headline is not None and structured is not None
    page = html.replace(headline.group(0), "").replace(structured.group(0), "")
    article = parse_article("https://www.koreaherald.com/article/10493730", page, KH)
    assert article.subtitle == "City adds 14 owl routes as subway hours stay unchanged"


@pytest.mark.parametrize(
    ("body", "template"),
    [
        ('<section itemprop="articleBody">{}</section>', "current"),
        ('<div itemprop="articleBodyText">{}</div>', None),
        ('<div data-itemprop="articleBody">{}</div>', None),
    ],
)
def test_current_template_is_told_by_its_microdata_body_alone(
    body: str, template: str | None
) -> None:
    """A page of the current template whose body has neither its id nor its class is still
    told by `itemprop="articleBody"` (an exact value, as the CSS selector it replaced)."""
    from parsel import Selector

    from crawler.sites.koreaherald.parser import detect_template

    paragraphs = "".join(f"<p>Paragraph {n} of the story, in full sentences.</p>" for n in range(5))
    html = f"<html><body><h1>Title</h1>{body.format(paragraphs)}</body></html>"
    assert detect_template(Selector(text=html)) == template
