"""Listings filled in by JavaScript are rendered by a real Chromium (scrapy-playwright)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from crawler.parsers.discovery import needs_rendering
from crawler.replica import ReplicaServer, ReplicaSite
from crawler.sites import find_profile
from tests.crawling import run_crawl

#: Both of Debian's builds: the crawl prefers the headless shell and falls back to the browser.
CHROMIUM_BUILDS = [
    pytest.param(
        path,
        marks=pytest.mark.skipif(not Path(path).exists(), reason=f"make test installs {path}"),
        id=Path(path).name,
    )
    for path in ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
]


KH = find_profile("koreaherald")
URL = "https://www.koreaherald.com/Kpop"


def test_needs_rendering_only_for_an_empty_list_with_scripts() -> None:
    empty = '<ul class="news_list" data-api="/api"></ul><script>fetch("/api")</script>'
    assert needs_rendering(URL, f"<html><body>{empty}</body></html>", KH)
    assert not needs_rendering(URL, '<html><body><ul class="news_list"></ul></body></html>', KH)
    filled = (
        '<ul class="news_list"><li><a href="/article/10000001">x</a></li></ul><script></script>'
    )
    assert not needs_rendering(URL, f"<html><body>{filled}</body></html>", KH)
    assert not needs_rendering(
        URL, "<html><body><p>no listing</p><script></script></body></html>", KH
    )


@pytest.fixture(scope="module")
def site() -> ReplicaSite:
    return ReplicaSite(n_articles=120, seed=4)


@pytest.mark.parametrize("chromium", CHROMIUM_BUILDS)
def test_client_side_listing_is_rendered_and_archived(
    site: ReplicaSite, tmp_path: Path, chromium: str
) -> None:
    launch = json.dumps({"executable_path": chromium, "headless": True, "args": ["--no-sandbox"]})
    with ReplicaServer(site) as server:
        result = run_crawl(
            server.base_url,
            tmp_path,
            "sections=Kpop",
            "since=2011-01-01",
            settings={"PLAYWRIGHT_LAUNCH_OPTIONS": launch},
        )
        api_calls = [r for r in server.requests if r.path.startswith("/api/section")]
    assert result.returncode == 0, result.log[-3000:]
    stats = result.stats
    assert stats["discovery/listings_rendered"] >= 1
    first_page = min(20, len(site.section_items("Kpop", None)))
    assert stats["discovery/links_from_rendered_listing"] >= first_page > 0
    assert api_calls, "Chromium ran the page's script, which asked the replica for its list"
    conversions = []
    for path in (tmp_path / "warc").glob("*.warc.gz"):
        for record in ArchiveIterator(io.BytesIO(path.read_bytes())):
            if record.rec_type == "conversion":
                body = record.content_stream().read()
                conversions.append((record.rec_headers.get_header("WARC-Refers-To"), body))
    assert conversions
    refers_to, rendered = conversions[0]
    assert refers_to
    assert b"/article/" in rendered


def test_without_rendering_the_list_stays_empty(site: ReplicaSite, tmp_path: Path) -> None:
    with ReplicaServer(site) as server:
        result = run_crawl(
            server.base_url,
            tmp_path,
            "sections=Kpop",
            "since=2011-01-01",
            settings={"NEWS_RENDER_JS": "False"},
        )
    assert result.returncode == 0, result.log[-3000:]
    assert "discovery/listings_rendered" not in result.stats
    assert "discovery/links_from_rendered_listing" not in result.stats
