"""The Korea Herald replica: its public contract, served over loopback."""

from __future__ import annotations

import gzip
import html
import json
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from crawler.parsers import parse_article
from crawler.parsers.encoding import decode_html
from crawler.replica import KST, ReplicaServer, ReplicaSite
from crawler.sites import find_profile

ROOT = Path(__file__).resolve().parents[1]
SEED_UD = "20200116000798"
SEED_TEXT = ROOT / "crawler" / "replica" / "data" / f"seed_{SEED_UD}.txt"
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.fixture(scope="module")
def site() -> ReplicaSite:
    return ReplicaSite(n_articles=60)


@pytest.fixture(scope="module")
def server(site: ReplicaSite) -> Iterator[ReplicaServer]:
    with ReplicaServer(site) as running:
        yield running


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def fetch(
    server: ReplicaServer, path: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(server.base_url + path, headers=headers or {}, method=method)
    try:
        with _OPENER.open(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_robots(server: ReplicaServer) -> None:
    status, _, body = fetch(server, "/robots.txt")
    text = body.decode()
    assert status == 200
    assert "User-agent: *" in text
    assert "Disallow: /search/" in text
    assert f"Sitemap: {server.base_url}/sitemap.xml" in text


def test_sitemaps_parse(server: ReplicaServer, site: ReplicaSite) -> None:
    _, _, body = fetch(server, "/sitemap.xml")
    index = ET.fromstring(body)
    locs = [el.text for el in index.iter(f"{SITEMAP_NS}loc")]
    assert f"{server.base_url}/sitemap/news.xml" in locs
    months = [loc for loc in locs if re.search(r"/sitemap/\d{4}-\d{2}\.xml$", loc)]
    assert months
    urls = set()
    for loc in locs:
        status, _, child = fetch(server, loc.removeprefix(server.base_url))
        assert status == 200
        urls.update(el.text for el in ET.fromstring(child).iter(f"{SITEMAP_NS}loc"))
    news = fetch(server, "/sitemap/news.xml")[2].decode()
    assert "<news:title><![CDATA[" in news
    assert re.search(r"<news:publication_date>[^<]+\+09:00</news:publication_date>", news)
    current = {a.article_id for a in site.stories()}
    in_maps = {url.rsplit("/", 1)[1] for url in urls}
    assert current <= in_maps
    assert not any("view.php" in url for url in urls)


def test_feeds_parse(server: ReplicaServer) -> None:
    for path in ("/rss/newsAll", "/rss/kh_National", "/rss/kh_LifenCulture", "/rss/kh_Kpop"):
        status, _, body = fetch(server, path)
        assert status == 200
        channel = ET.fromstring(body).find("channel")
        items = channel.findall("item")
        assert items or path != "/rss/newsAll"
        for item in items:
            assert item.findtext("link").startswith(server.base_url + "/article/")
            assert item.findtext("pubDate").endswith("+0900")
            assert item.findtext("{http://purl.org/dc/elements/1.1/}creator")
    body = fetch(server, "/rss/newsAll")[2].decode()
    assert "?ref=rss" in body
    assert "<title><![CDATA[" in body


def test_current_article_structured_data(server: ReplicaServer, site: ReplicaSite) -> None:
    article = site.stories()[0]
    status, headers, body = fetch(server, article.canonical_path)
    page = body.decode()
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    ld = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    )
    assert ld["@type"] == "NewsArticle"
    assert ld["headline"] == article.title
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", ld["datePublished"])
    assert 'property="article:published_time" content="' in page
    assert re.search(r'article:published_time" content="[^"]+\+09:00"', page)
    assert 'id="articleText" class="news_content article-view article-body"' in page
    for paragraph in article.paragraphs:
        assert f"<p>{html.escape(paragraph)}</p>" in page


def test_seed_page(server: ReplicaServer) -> None:
    status, headers, body = fetch(server, f"/view.php?ud={SEED_UD}&np=3&mp=1")
    page = html.unescape(body.decode("utf-8"))
    assert status == 200
    assert headers.get("Transfer-Encoding") == "chunked"
    assert (
        '<h1 class="view_tit">S. Korea, China hold working-level defense talks over peninsula<'
        in page
    )
    assert "Published : Jan 16, 2020 - 21:21" in page
    assert "By Yonhap" in page
    for paragraph in SEED_TEXT.read_text(encoding="utf-8").split("\n\n"):
        if paragraph.strip():
            assert paragraph.strip() in page
    assert "application/ld+json" not in page


def test_seed_ground_truth(site: ReplicaSite) -> None:
    record = next(r for r in site.ground_truth() if r["article_id"] == SEED_UD)
    gold = [p.strip() for p in SEED_TEXT.read_text(encoding="utf-8").split("\n\n") if p.strip()]
    assert record["paragraphs"] == gold
    assert "(Yonhap)" in record["paragraphs"]
    assert record["published_at"] == "2020-01-16T12:21:00+00:00"
    assert record["section"] == "National"
    assert record["template"] == "legacy"


def test_conditional_requests(server: ReplicaServer, site: ReplicaSite) -> None:
    path = site.stories()[1].canonical_path
    _, headers, _ = fetch(server, path)
    status, _, body = fetch(server, path, {"If-None-Match": headers["ETag"]})
    assert status == 304
    assert body == b""
    status, _, _ = fetch(server, path, {"If-Modified-Since": headers["Last-Modified"]})
    assert status == 304
    status, _, _ = fetch(server, path, {"If-None-Match": '"other"'})
    assert status == 200


def test_gzip_when_asked(server: ReplicaServer, site: ReplicaSite) -> None:
    path = site.stories()[2].canonical_path
    status, headers, body = fetch(server, path, {"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(body).startswith(b"<!DOCTYPE html>")
    assert server.sent_payloads[path] == body
    _, plain_headers, plain = fetch(server, path)
    assert "Content-Encoding" not in plain_headers
    assert gzip.decompress(body) == plain


def test_chunked_section_page(server: ReplicaServer) -> None:
    with socket.create_connection(("127.0.0.1", int(server.base_url.rsplit(":", 1)[1]))) as sock:
        sock.sendall(b"GET /National HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        raw = b""
        while chunk := sock.recv(65536):
            raw += chunk
    head, _, rest = raw.partition(b"\r\n\r\n")
    assert b"Transfer-Encoding: chunked" in head
    assert re.match(rb"[0-9a-f]+\r\n", rest)
    assert rest.endswith(b"0\r\n\r\n")
    assert b'<article class="recent_news">' in server.sent_payloads["/National"]


def test_listings_and_errors(server: ReplicaServer, site: ReplicaSite) -> None:
    assert fetch(server, "/list.php?ct=029900000000")[0] == 404
    status, headers, _ = fetch(server, "/list.php?ct=021900000000")
    assert status == 301
    assert headers["Location"] == server.base_url + "/"
    body = fetch(server, "/list.php?ct=020000000000&np=1")[2].decode()
    assert 'class="main_l_t1"' in body
    assert "np=2&amp;mp=1" in body
    empty = fetch(server, "/list.php?ct=020000000000&np=999")
    assert empty[0] == 200
    assert 'class="main_l_t1"' not in empty[2].decode()
    assert fetch(server, f"/article/{site.gone_ids()[0]}")[0] == 404
    no_body = fetch(server, f"/article/{site.no_body_ids()[0]}")
    assert no_body[0] == 200
    assert b"articleBody" not in no_body[2]
    alias = next(a for a in site.articles if a.alias_ud)
    status, headers, _ = fetch(server, f"/view.php?ud={alias.alias_ud}")
    assert status == 301
    assert headers["Location"] == server.base_url + alias.canonical_path
    assert fetch(server, "/", method="HEAD")[0] == 200


def test_every_ground_truth_url_is_linked(server: ReplicaServer, site: ReplicaSite) -> None:
    """A breadth-first walk over the served pages meets every URL the ground truth lists."""
    seen: set[str] = set()
    sections = ("National", "Business", "LifenCulture", "Sports", "World", "Opinion", "Kpop")
    queue = ["/", "/sitemap.xml", "/rss/newsAll", *(f"/rss/kh_{s}" for s in sections)]
    links: set[str] = set()
    while queue:
        path = queue.pop()
        if path in seen or path.startswith("/search/"):
            continue
        seen.add(path)
        status, _, body = fetch(server, path, {"Accept-Encoding": "identity"})
        if status != 200 or "/article/" in path or "view.php" in path:
            continue
        # Client-side pages name their JSON in data-api; its items hold escaped hrefs.
        text = body.decode("utf-8", "replace").replace('\\"', '"')
        found = re.findall(r'(?:href="|<loc>|<link>|data-api=")([^"<]+)', text)
        for link in found:
            link = html.unescape(link).removeprefix(server.base_url)
            if link.startswith("/"):
                links.add(link)
                queue.append(link)
    for record in site.ground_truth():
        for url in record["urls"][1:]:
            assert url in links, url


def test_charsets(server: ReplicaServer, site: ReplicaSite) -> None:
    euc = next(a for a in site.articles if a.charset == "euc-kr")
    _, headers, body = fetch(server, euc.canonical_path)
    assert headers["Content-Type"] == "text/html"
    assert b"charset=euc-kr" in body
    page = html.unescape(body.decode("euc-kr"))
    assert any(re.search("[\uac00-\ud7a3]", p) for p in euc.paragraphs)
    for paragraph in euc.paragraphs:
        assert paragraph in page
    plain = next(a for a in site.articles if a.charset == "undeclared")
    _, headers, body = fetch(server, plain.canonical_path)
    assert headers["Content-Type"] == "text/html"
    assert b"charset" not in body.lower()


def test_site_shape(site: ReplicaSite) -> None:
    records = site.ground_truth()
    assert len(records) == 60
    ids = [r["article_id"] for r in records]
    assert len(set(ids)) == len(ids)
    kinds = {r["duplicate_kind"]: r for r in records if r["duplicate_kind"]}
    assert kinds["exact"]["text"] == next(
        r["text"] for r in records if r["article_id"] == kinds["exact"]["duplicate_of"]
    )
    near_original = next(r for r in records if r["article_id"] == kinds["near"]["duplicate_of"])
    assert near_original["text"] != kinds["near"]["text"]
    recent = [a for a in site.stories() if a.published > site.now - timedelta(days=3)]
    assert len(recent) >= 10
    current = [r for r in records if r["template"] == "current"]
    assert all(re.fullmatch(r"10\d{6}", r["article_id"]) for r in current)
    assert not set(site.no_body_ids() + site.gone_ids()) & set(ids)
    for record in records:
        assert 4 <= len(record["paragraphs"]) <= 13 or record["article_id"] == SEED_UD


def test_determinism(tmp_path: Path) -> None:
    first = ReplicaSite(n_articles=60, seed=7)
    second = ReplicaSite(n_articles=60, seed=7)
    other = ReplicaSite(n_articles=60, seed=8)
    assert first.ground_truth() == second.ground_truth()
    assert first.ground_truth() != other.ground_truth()
    first.write_ground_truth(tmp_path / "gt.jsonl")
    lines = (tmp_path / "gt.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == second.ground_truth()


def test_advance() -> None:
    site = ReplicaSite(n_articles=60, seed=11)
    twin = ReplicaSite(n_articles=60, seed=11)
    with ReplicaServer(site) as server:
        before = {a.article_id: fetch(server, a.canonical_path)[1]["ETag"] for a in site.stories()}
        old_now = site.now
        result = site.advance(days=1, new_articles=10)
        assert result == twin.advance(days=1, new_articles=10)
        assert len(result["new_ids"]) == 10
        new = [site.get(i) for i in result["new_ids"]]
        assert all(old_now < a.published <= site.now for a in new)
        assert min(int(i) for i in result["new_ids"]) > max(int(i) for i in before)
        changed = site.get(result["changed_id"])
        assert changed.published > site.now - timedelta(days=3)
        assert changed.updated > old_now
        after = {i: fetch(server, f"/article/{i}")[1]["ETag"] for i in before}
        assert {i for i in before if before[i] != after[i]} == {result["changed_id"]}
        assert fetch(server, f"/article/{result['new_ids'][0]}")[0] == 200
    assert site.ground_truth() == twin.ground_truth()


def test_now_is_respected() -> None:
    now = datetime(2025, 6, 1, 12, 0, tzinfo=KST)
    site = ReplicaSite(n_articles=40, now=now)
    assert max(a.published for a in site.articles) <= now


def test_cli_prints_replica_line(tmp_path: Path) -> None:
    truth = tmp_path / "gt.jsonl"
    command = [sys.executable, "-m", "crawler.replica", "--articles", "40", "--port", "0"]
    command += ["--ground-truth", str(truth)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline().strip()
        assert re.fullmatch(r"REPLICA http://127\.0\.0\.1:\d+", line)
        with urllib.request.urlopen(line.split()[1] + "/robots.txt", timeout=10) as response:
            assert response.status == 200
        assert len(truth.read_text(encoding="utf-8").splitlines()) == 40
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_padding_brings_pages_to_real_weight_and_changes_no_field() -> None:
    """Padded to 120 KB, every article page parses to its ground truth, as unpadded."""
    site = ReplicaSite(n_articles=40, seed=3)
    with ReplicaServer(site) as server:
        server.pad_bytes = 120 * 1024
        profile = find_profile("koreaherald").with_base_url(server.base_url)
        for truth in site.ground_truth():
            url = server.base_url + truth["canonical_path"]
            with urllib.request.urlopen(url) as response:
                body = response.read()
                html = decode_html(body, response.headers.get("Content-Type"))
            assert len(body) >= 120 * 1024
            article = parse_article(url, html, profile)
            assert (article.title, article.authors, article.paragraphs) == (
                truth["title"],
                truth["authors"],
                truth["paragraphs"],
            ), url
        robots = urllib.request.urlopen(server.base_url + "/robots.txt").read()
        assert len(robots) < 1024  # only HTML pages carry the padding
