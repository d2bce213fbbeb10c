"""The generic path (no parser, no selectors) on heavy pages: the replica's pages padded to
120 KB, also with the boilerplate inside the article's column, where trafilatura kept it."""

from __future__ import annotations

import re

from lxml.html import fromstring, tostring

from crawler.parsers.article import parse_article
from crawler.parsers.boilerplate import drop_link_lists, wrap_bare_text
from crawler.replica import padding
from crawler.replica.server import route
from crawler.replica.site import ReplicaSite
from crawler.sites.profile import SiteProfile

BASE = "http://127.0.0.1"
BARE = SiteProfile(name="unknown", base_url=BASE)


def _teaser_rail(items: int) -> str:
    rows = "".join(
        f'<li><a href="/news/{i}">Weather report growth campus market seoul council {i}</a>'
        f"<span>{i} min ago</span></li>"
        for i in range(items)
    )
    return f'<div class="most-read"><div class="title">Most read</div><ul>{rows}</ul></div>'


def test_padded_legacy_pages_give_the_article_text_without_a_parser() -> None:
    """At 120 KB, legacy pages (bodies of bare text split by <br><br>) read to their ground
    truth; the subtitle, a heading on the page, is the only line the truth does not have."""
    site = ReplicaSite(n_articles=40, seed=3)
    legacy = [truth for truth in site.ground_truth() if truth["template"] == "legacy"]
    styles = {site.get(truth["article_id"]).body_style for truth in legacy}
    assert {"br", "mixed"} <= styles  # the styles whose first paragraph trafilatura dropped
    for truth in legacy:
        html = padding.pad(route(site, truth["canonical_path"], BASE).body, 120 * 1024)
        article = parse_article(BASE + truth["canonical_path"], html, BARE)
        body = [p for p in article.paragraphs if p != truth["subtitle"]]
        assert body == truth["paragraphs"], truth["canonical_path"]
        assert article.field_sources["paragraphs"] == "trafilatura"


def _in_column(html: str) -> str:
    """The page's padding moved into its main column, next to the rails, and built of <div>s
    only, so no tag name gives it away: there trafilatura kept the teasers (F1 0.27)."""
    head, found, rest = html.partition('<nav class="mega-menu">')
    filler, _, tail = rest.rpartition("</body>")
    assert found and '<div class="main_r">' in head  # the padding's and the rails' markup
    filler = re.sub(r"<(/?)(?:nav|aside|footer)\b", r"<\1div", found + filler)
    return (
        head.replace('<div class="main_r">', filler + '<div class="main_r">', 1) + "</body>" + tail
    )


def test_padding_in_the_article_column_is_not_body_text() -> None:
    site = ReplicaSite(n_articles=40, seed=3)
    pages = [truth for truth in site.ground_truth() if truth["template"] != "current"]
    for truth in pages[::3]:
        html = padding.pad(route(site, truth["canonical_path"], BASE).body, 120 * 1024)
        article = parse_article(BASE + truth["canonical_path"], _in_column(html), BARE)
        body = [p for p in article.paragraphs if p != truth["subtitle"]]
        assert body[-len(truth["paragraphs"]) :] == truth["paragraphs"], truth["canonical_path"]
        assert len(body) <= len(truth["paragraphs"]) + 1  # at most the dateline of redesign2023


def test_link_lists_go_and_prose_with_links_stays() -> None:
    root = fromstring(
        "<html><body><div id='story'><p>Read the <a href='/a'>report</a>, the "
        "<a href='/b'>annex</a> and the <a href='/c'>minutes</a> before the vote next week.</p>"
        "</div>" + _teaser_rail(3) + "</body></html>"
    )
    assert drop_link_lists(root) == 1
    assert root.xpath("//ul") == []
    assert len(root.xpath("//div[@id='story']/p/a")) == 3


def test_bare_text_runs_become_paragraphs() -> None:
    root = fromstring(
        "<html><body><div>First <b>run</b><br><br>Second run<p>Third</p>Fourth</div></body></html>"
    )
    wrap_bare_text(root)
    assert tostring(root.find("body/div"), encoding="unicode") == (
        "<div><p>First <b>run</b></p><br><br><p>Second run</p><p>Third</p><p>Fourth</p></div>"
    )
