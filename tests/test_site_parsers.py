"""Saved pages of every site profile, parsed with no network: the shipped Korea Times and
Yonhap profiles, and the test-only WordPress and look-alike profiles (configuration alone).

The pages and their expected fields are written by `python -m crawler.replica.save_fixtures`
from the replicas' ground truth. The Korea Herald's saved pages are in test_parsers_article.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from crawler.parsers import parse_article
from crawler.parsers.discovery import parse_listing
from crawler.sites import SiteProfile, find_profile, load_profile

FIXTURES = Path(__file__).parent / "fixtures" / "sites"
SITES = ("koreatimes", "yonhap", "wpnews", "lookalike")


def profile(name: str) -> SiteProfile:
    """A shipped profile, or the test-only one saved beside the fixtures."""
    own = FIXTURES / name / "profile.toml"
    return load_profile(own) if own.exists() else find_profile(name)


def same_minute(found: datetime | None, truth: str | None) -> bool:
    if found is None or truth is None:
        return found is None and truth is None
    return found.replace(second=0) == datetime.fromisoformat(truth).replace(second=0)


def expected(name: str, page: str) -> dict:
    return json.loads((FIXTURES / name / f"{page}.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", SITES)
def test_article_page_fields(name: str) -> None:
    truth = expected(name, "article")
    html = (FIXTURES / name / "article.html").read_text(encoding="utf-8")
    article = parse_article(truth["url"], html, profile(name))
    assert article.no_body_reason is None
    assert article.site == name
    assert article.article_id == truth["article_id"]
    assert article.title == truth["title"]
    assert article.authors == truth["authors"]
    # Pages that show minutes only (Yonhap's dateline) give the time to the minute.
    assert same_minute(article.published_at, truth["published_at"])
    assert same_minute(article.updated_at, truth["updated_at"])
    assert article.section == truth["section"]
    assert len(article.paragraphs) == truth["paragraph_count"]
    assert article.paragraphs[0] == truth["first_paragraph"]
    assert article.paragraphs[-1] == truth["last_paragraph"]
    # Each field says where it came from; the body comes from the site's own layer.
    assert article.field_sources["paragraphs"] == "selectors"
    assert article.extractor.startswith(f"{name}:")


@pytest.mark.parametrize("name", SITES)
def test_listing_page_links(name: str) -> None:
    truth = expected(name, "listing")
    html = (FIXTURES / name / "listing.html").read_text(encoding="utf-8")
    listing = parse_listing(truth["url"], html, profile(name))
    found = [link.url for link in listing.articles]
    site = profile(name)
    assert [site.canonical_url(url) for url in found] == [
        site.canonical_url(url) for url in truth["all_article_links"]
    ]
    if truth["next_page"]:
        assert truth["next_page"] in listing.next_pages


def test_wordpress_boilerplate_and_comments_stay_out_of_the_text() -> None:
    truth = expected("wpnews", "article")
    html = (FIXTURES / "wpnews" / "article.html").read_text(encoding="utf-8")
    text = parse_article(truth["url"], html, profile("wpnews")).text
    for boilerplate in ("Related:", "Share this", "Get the morning brief", "Sign up", "says:"):
        assert boilerplate not in text
    assert "Leave a Reply" not in text and "thoughts on" not in text
