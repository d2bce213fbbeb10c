"""HTML and XML for every page of the replica, following docs/koreaherald-site.md.

Article pages only depend on the article itself and on articles published before it, so
publishing new stories (`ReplicaSite.advance`) leaves their bytes, ETag and Last-Modified alone.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime
from html import escape
from itertools import islice
from urllib.parse import quote_plus

from crawler.replica.site import (
    ALL_CODE,
    CURRENT_PAGE_SIZE,
    CURRENT_START,
    KIND_NO_BODY,
    LEGACY_CODES,
    LEGACY_PAGE_SIZE,
    SECTION_LABELS,
    SECTIONS,
    TOP_CODES,
    Article,
    ReplicaSite,
)

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
AP_MONTHS = (
    "Jan.",
    "Feb.",
    "March",
    "April",
    "May",
    "June",
    "July",
    "Aug.",
    "Sept.",
    "Oct.",
    "Nov.",
    "Dec.",
)
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
SITE_NAME = "The Korea Herald"
COPYRIGHT = "Copyright Herald Corporation. All Rights Reserved."
FEED_SECTIONS = tuple(SECTIONS)
#: Sub-section listings that open with a site-wide "Latest News" card.
LATEST_CARD_PATHS = frozenset({"/Business/Technology", "/Opinion"})


@dataclass
class Page:
    """A rendered 200 response before encoding; the server adds transfer details."""

    body: str
    content_type: str  # full header value
    encoding: str  # codec for the body
    last_modified: datetime
    gzip: bool = False  # gzip when the client accepts it
    chunked: bool = False


# ---- date formats ---------------------------------------------------------------------------


def legacy_date(moment: datetime) -> str:
    """`Jan 16, 2020 - 21:21`; pages before 2014 used AP style (`Aug. 13, 2013 - 18:47`)."""
    if moment.year < 2014:
        return ap_date(moment)
    return f"{MONTHS[moment.month - 1]} {moment.day}, {moment.year} - {moment:%H:%M}"


def ap_date(moment: datetime) -> str:
    return f"{AP_MONTHS[moment.month - 1]} {moment.day}, {moment.year} - {moment:%H:%M}"


def list_date(moment: datetime) -> str:
    return f"{MONTHS[moment.month - 1]} {moment.day}, {moment.year}"


def rfc822(moment: datetime) -> str:
    """RFC 822 date with the moment's own offset, as feeds print it."""
    offset = moment.strftime("%z") or "+0000"
    return (
        f"{DAYS[moment.weekday()]}, {moment.day:02d} {MONTHS[moment.month - 1]} "
        f"{moment:%Y %H:%M:%S} {offset}"
    )


def teaser(article: Article, limit: int = 200) -> str:
    if not article.paragraphs:
        return article.title
    first = article.paragraphs[0]
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0] + "..."


def cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


# ---- shared chrome of the current site ------------------------------------------------------


def _gnb(active: str | None = None) -> str:
    items = []
    for section, subs in SECTIONS.items():
        cls = ' class="on"' if section == active else ""
        sub_links = "".join(
            f'<li><a href="/{section}/{sub}">{escape(label)}</a></li>'
            for sub, label in subs.items()
        )
        sub_menu = f'<ul class="gnb_sub">{sub_links}</ul>' if sub_links else ""
        items.append(
            f'<li{cls}><a href="/{section}">{escape(SECTION_LABELS[section])}</a>{sub_menu}</li>'
        )
    return (
        '<header class="header"><div class="header_top"><h1 class="logo"><a href="/">'
        f'{SITE_NAME}</a></h1></div><nav class="gnb_wrap"><ul class="gnb">'
        + "".join(items)
        + "</ul></nav></header>"
    )


def _footer() -> str:
    return (
        '<footer class="footer"><ul class="footer_menu"><li><a href="/">Home</a></li>'
        '<li><a href="/rss/newsAll">RSS</a></li>'
        f'<li><a href="/list.php?ct={ALL_CODE}">Archive</a></li></ul>'
        f'<div class="footer_info"><p>{SITE_NAME} by Herald Corporation</p><p>{COPYRIGHT}</p>'
        "<p>Address : Huam-ro 4-gil 10, Yongsan-gu,Seoul, Korea</p>"
        "<p>Tel : 02.727.0114</p></div></footer>"
    )


def _head(title: str, extra: str = "") -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n"
        '<link rel="alternate" type="application/rss+xml" title="The Korea Herald" '
        'href="/rss/newsAll">\n'
        f"{extra}</head>\n"
    )


def _story_links(articles: list[Article], css: str) -> str:
    items = "".join(
        f'<li><a href="{a.canonical_path}">{escape(a.title)}</a></li>' for a in articles
    )
    return f'<ul class="{css}">{items}</ul>'


# ---- current site ---------------------------------------------------------------------------


def _authors_ld(article: Article, rng: random.Random) -> object:
    people = [{"@type": "Person", "name": name} for name in article.authors]
    if len(people) == 1 and rng.random() < 0.6:
        return people[0]
    return people


def current_article(site: ReplicaSite, article: Article, base: str) -> Page:
    """Template D: meta + JSON-LD, h1/h2.news_title, body in article#articleText."""
    rng = random.Random(article.article_id)
    url = f"{base}{article.canonical_path}"
    image = (
        article.figures[0].src
        if article.figures
        else ("https://static.heraldcorp.com/wbazic/kh/www/image/sns.png")
    )
    description = teaser(article, 160)
    published = article.published.isoformat()
    modified = article.last_modified.isoformat()
    ld: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "headline": article.title,
    }
    if article.subtitle:
        ld["alternativeHeadline"] = article.subtitle
    ld.update(
        {
            "datePublished": f"{article.published:%Y-%m-%dT%H:%M:%S}",
            "dateModified": f"{article.last_modified:%Y-%m-%dT%H:%M:%S}",
            "author": _authors_ld(article, rng),
            "articleSection": article.section,
            "keywords": article.keywords,
            "image": [image],
            "publisher": {
                "@type": "Organization",
                "name": SITE_NAME,
                "logo": {
                    "@type": "ImageObject",
                    "url": "https://res.heraldm.com/kh/www/image/logo.png",
                },
            },
            "description": description,
        }
    )
    meta = (
        f'<meta name="description" content="{escape(description)}">\n'
        f'<meta name="author" content="{escape(", ".join(article.authors))}">\n'
        f'<meta name="keywords" content="{escape(", ".join(article.keywords))}">\n'
        f'<link rel="canonical" href="{url}">\n'
        '<meta property="og:type" content="article">\n'
        f'<meta property="og:site_name" content="{SITE_NAME}">\n'
        f'<meta property="og:title" content="{escape(article.title)}">\n'
        f'<meta property="og:description" content="{escape(description)}">\n'
        f'<meta property="og:url" content="{url}">\n'
        f'<meta property="og:image" content="{escape(image)}">\n'
        f'<meta property="article:published_time" content="{published}">\n'
        f'<meta property="article:modified_time" content="{modified}">\n'
        f'<meta property="article:section" content="{escape(article.section)}">\n'
        '<script type="application/ld+json">'
        + json.dumps(ld, ensure_ascii=False).replace("</", "<\\/")
        + "</script>\n"
    )
    crumbs = f'<a class="category" href="/{article.section}">{SECTION_LABELS[article.section]}</a>'
    if article.subsection:
        label = SECTIONS[article.section][article.subsection]
        crumbs += f' <a class="sub_category" href="{article.section_path}">{escape(label)}</a>'
    subtitle = f'<h2 class="news_title">{escape(article.subtitle)}</h2>' if article.subtitle else ""
    dates = (
        f'<p class="news_date">Published : {ap_date(article.published)}</p>'
        f'<p class="news_date">Updated : {ap_date(article.last_modified)}</p>'
    )
    if article.kind == KIND_NO_BODY:
        body = (
            '<div class="photo_view"><figure class="article-img"><img src="'
            f"https://wimg.heraldcorp.com/news/cms/{article.published:%Y/%m/%d}/"
            f'photo_{article.article_id}_P1.jpg" alt=""></figure></div>'
        )
    else:
        body = _current_body(article)
    earlier = site.stories_before(article)
    popular = rng.sample(earlier[:40], min(5, len(earlier[:40])))
    related = list(islice((a for a in earlier if a.section == article.section), 3))
    html = (
        _head(f"{article.title} - The Korea Herald", meta)
        + '<body>\n<div id="wrap">'
        + _gnb(article.section)
        + '<div class="container"><div class="contents"><div class="view_area">'
        + f'<div class="nav_area">{crumbs}</div>'
        + f'<div class="news_title_area"><h1 class="news_title">{escape(article.title)}</h1>'
        + subtitle
        + f'<div class="news_writer_area"><p class="writer">{escape(article.byline)}</p></div>'
        + f'<div class="news_date_area">{dates}</div></div>\n'
        + body
        + '\n<div class="related_news"><h3>Related Articles</h3>'
        + _story_links(related, "related_list")
        + "</div></div>"
        + '<aside class="side"><div class="popular"><h3>MOST POPULAR</h3>'
        + _story_links(popular, "popular_list")
        + '</div><div class="latest"><h3>LATEST NEWS</h3>'
        + _story_links(earlier[:5], "latest_list")
        + "</div></aside></div></div>"
        + _footer()
        + "</div>\n</body>\n</html>\n"
    )
    return Page(html, "text/html; charset=utf-8", "utf-8", article.last_modified, gzip=True)


def _current_body(article: Article) -> str:
    parts = [
        '<article id="articleText" class="news_content article-view article-body" '
        'itemprop="articleBody">'
    ]
    for index, paragraph in enumerate(article.paragraphs):
        parts.append(f"<p>{escape(paragraph)}</p>")
        for figure in article.figures:
            if figure.after == index:
                caption = escape(figure.caption)
                parts.append(
                    '<div class="article-photo-wrap size-l align-c"><figure class="article-img">'
                    f'<img src="{escape(figure.src)}" alt="{caption}" '
                    'referrerpolicy="no-referrer">'
                    f"<figcaption>{caption}</figcaption></figure></div>"
                )
    parts.append("</article>")
    return "\n".join(parts)


#: Section pages whose list is filled in by JavaScript from `/api/section` (as some sites
#: do): without a browser they show an empty list.
CLIENT_SIDE_SECTIONS = frozenset({"Kpop"})


def _section_items(
    site: ReplicaSite, section: str, sub: str | None, page: int
) -> tuple[str, list[str], list[str], datetime]:
    """A section page's path, `li` items, paging links and newest change."""
    path = f"/{section}" + (f"/{sub}" if sub else "")
    items = site.section_items(section, sub)
    pages = max(1, -(-len(items) // CURRENT_PAGE_SIZE))
    shown = items[(page - 1) * CURRENT_PAGE_SIZE : page * CURRENT_PAGE_SIZE]
    lis = []
    if path in LATEST_CARD_PATHS and page == 1:
        others = [a for a in site.stories() if a.section != section]
        if others:
            card = others[0]
            lis.append(
                f'<li class="latest_card"><a href="{card.canonical_path}">'
                '<span class="label">Latest News</span>'
                f'<p class="news_title">{escape(card.title)}</p>'
                f'<span class="date">{card.published:%Y.%m.%d %H:%M}</span></a></li>'
            )
    for article in shown:
        lis.append(
            f'<li><a href="{site.listing_link(article)}">'
            f'<div class="news_text"><p class="news_title">{escape(article.title)}</p>'
            f'<p class="news_txt">{escape(teaser(article, 120))}</p>'
            f'<span class="date">{article.published:%Y.%m.%d %H:%M}</span></div></a></li>'
        )
    paging = []
    if shown:
        first = (page - 1) // 10 * 10 + 1
        for number in range(first, min(first + 10, pages + 1)):
            cls = ' class="on"' if number == page else ""
            paging.append(f'<a href="{path}?page={number}"{cls}>{number}</a>')
        if page < pages:
            paging.append(f'<a class="next" href="{path}?page={page + 1}">Next</a>')
    newest = max((a.last_modified for a in shown), default=CURRENT_START)
    return path, lis, paging, newest


_CLIENT_SCRIPT = """<script>
fetch(document.querySelector("ul.news_list").dataset.api)
  .then((response) => response.json())
  .then((data) => {
    document.querySelector("ul.news_list").innerHTML = data.items.join("\\n");
    document.querySelector("div.paging").innerHTML = data.paging.join("");
  });
</script>"""


def section_page(site: ReplicaSite, section: str, sub: str | None, page: int, base: str) -> Page:
    """`article.recent_news > ul.news_list > li`, 20 per page, `?page=N` pagination."""
    path, lis, paging, newest = _section_items(site, section, sub, page)
    title = SECTION_LABELS[section] + (f" - {SECTIONS[section][sub]}" if sub else "")
    client_side = section in CLIENT_SIDE_SECTIONS and sub is None
    if client_side:
        api = f"/api/section?path={path}&amp;page={page}"
        listing = (
            f'<ul class="news_list" data-api="{api}"></ul></article><div class="paging"></div>'
        )
    else:
        listing = (
            '<ul class="news_list">\n' + "\n".join(lis) + "\n</ul></article>"
            f'<div class="paging">{"".join(paging)}</div>'
        )
    html = (
        _head(f"{title} - The Korea Herald", f'<link rel="canonical" href="{base}{path}">\n')
        + '<body>\n<div id="wrap">'
        + _gnb(section)
        + f'<div class="container"><div class="nav_area"><a class="category" href="/{section}">'
        + f"{SECTION_LABELS[section]}</a></div>"
        + f'<article class="recent_news"><h2 class="section_title">{escape(title)}</h2>'
        + listing
        + "</div>"
        + (_CLIENT_SCRIPT if client_side else "")
        + _footer()
        + "</div>\n</body>\n</html>\n"
    )
    return Page(html, "text/html; charset=utf-8", "utf-8", newest, chunked=True)


def section_api(site: ReplicaSite, section: str, page: int) -> Page:
    """The JSON behind a client-side section page: its `li` items and paging links."""
    _, lis, paging, newest = _section_items(site, section, None, page)
    body = json.dumps({"items": lis, "paging": paging}, ensure_ascii=False)
    return Page(body, "application/json; charset=utf-8", "utf-8", newest)


def home_page(site: ReplicaSite, base: str) -> Page:
    items = site.home_items()
    lis = "".join(
        f'<li><a href="{site.home_link(a, n)}"><p class="news_title">{escape(a.title)}</p>'
        f'<p class="news_txt">{escape(teaser(a, 120))}</p></a></li>'
        for n, a in enumerate(items)
    )
    aliases = [a for a in site.current_pages() if a.alias_ud]
    archive = "".join(
        f'<li><a href="/view.php?ud={a.alias_ud}">{escape(a.title)}</a></li>' for a in aliases
    )
    newest = max((a.last_modified for a in items), default=CURRENT_START)
    html = (
        _head("The Korea Herald", f'<link rel="canonical" href="{base}/">\n')
        + '<body>\n<div id="wrap">'
        + _gnb()
        + '<div class="container"><section class="main_top"><h2>Top Stories</h2>'
        + f'<ul class="top_news">{lis}</ul></section>'
        + '<section class="archive"><h2>From the archive</h2>'
        + f'<ul class="archive_list">{archive}</ul>'
        + f'<a class="more" href="/list.php?ct={ALL_CODE}">All archived stories</a></section>'
        + "</div>"
        + _footer()
        + "</div>\n</body>\n</html>\n"
    )
    return Page(html, "text/html; charset=utf-8", "utf-8", newest)


# ---- feeds, sitemaps, robots ----------------------------------------------------------------


def rss(site: ReplicaSite, section: str | None, base: str) -> Page:
    """RSS 2.0 with the dc: namespace, modelled on the real 2021 sample."""
    items = site.feed_items(section)
    title = SITE_NAME if section is None else f"{SITE_NAME} - {SECTION_LABELS[section]}"
    newest = max((a.published for a in items), default=CURRENT_START)
    modified = max((a.last_modified for a in items), default=CURRENT_START)
    entries = []
    for article in items:
        entries.append(
            "\t<item>\n"
            f"\t\t<title>{cdata(article.title)}</title>\n"
            f"\t\t<link>{base}{escape(site.feed_path(article))}</link>\n"
            f"\t\t<description>{cdata(teaser(article))}</description>\n"
            f"\t\t<pubDate>{rfc822(article.published)}</pubDate>\n"
            f'\t\t<guid isPermaLink="false">{article.article_id}</guid>\n'
            f"\t\t<dc:creator>{escape(', '.join(article.authors))}</dc:creator>\n"
            f"\t\t<dc:date>{article.published.isoformat()}</dc:date>\n"
            "\t</item>\n"
        )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0">\n<channel>\n'
        f"\t<title>{escape(title)}</title>\n\t<link>{base}/</link>\n"
        f"\t<description>{cdata('The Korea Herald, news from Korea in English.')}"
        "</description>\n\t<language>en</language>\n"
        "\t<copyright>COPYRIGHT HERALD CORPORATION ALL RIGHT RESERVED.</copyright>\n"
        f"\t<pubDate>{rfc822(newest)}</pubDate>\n\t<dc:date>{newest.isoformat()}</dc:date>\n"
        "\t<dc:language>en</dc:language>\n"
        "\t<dc:rights>COPYRIGHT HERALD CORPORATION ALL RIGHT RESERVED.</dc:rights>\n"
        + "".join(entries)
        + "</channel>\n</rss>\n"
    )
    return Page(xml, "application/rss+xml; charset=utf-8", "utf-8", modified, gzip=True)


def robots(base: str) -> Page:
    body = f"User-agent: *\nDisallow: /search/\n\nSitemap: {base}/sitemap.xml\n"
    return Page(body, "text/plain; charset=utf-8", "utf-8", CURRENT_START)


def months(site: ReplicaSite) -> dict[str, list[Article]]:
    """Current pages (newest first) grouped by `YYYY-MM` of publication."""
    grouped: dict[str, list[Article]] = {}
    for article in site.live_current():
        grouped.setdefault(f"{article.published:%Y-%m}", []).append(article)
    return grouped


def sitemap_index(site: ReplicaSite, base: str) -> Page:
    news = site.news_sitemap_items()
    entries = [(f"{base}/sitemap/news.xml", max((a.last_modified for a in news), default=None))]
    for month, items in sorted(months(site).items(), reverse=True):
        entries.append((f"{base}/sitemap/{month}.xml", max(a.last_modified for a in items)))
    body = "".join(
        f"<sitemap><loc>{loc}</loc>"
        + (f"<lastmod>{mod.isoformat()}</lastmod>" if mod else "")
        + "</sitemap>\n"
        for loc, mod in entries
    )
    newest = max((mod for _, mod in entries if mod), default=CURRENT_START)
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + body
        + "</sitemapindex>\n"
    )
    return Page(xml, "application/xml; charset=utf-8", "utf-8", newest)


def news_sitemap(site: ReplicaSite, base: str) -> Page:
    items = site.news_sitemap_items()
    body = "".join(
        f"<url><loc>{base}{a.canonical_path}</loc><news:news><news:publication>"
        f"<news:name>{SITE_NAME}</news:name><news:language>en</news:language>"
        "</news:publication>"
        f"<news:publication_date>{a.published.isoformat()}</news:publication_date>"
        f"<news:title>{cdata(a.title)}</news:title></news:news></url>\n"
        for a in items
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n' + body + "</urlset>\n"
    )
    newest = max((a.last_modified for a in items), default=CURRENT_START)
    return Page(xml, "application/xml; charset=utf-8", "utf-8", newest)


def month_sitemap(items: list[Article], base: str) -> Page:
    body = "".join(
        f"<url><loc>{base}{a.canonical_path}</loc>"
        f"<lastmod>{a.last_modified.isoformat()}</lastmod></url>\n"
        for a in items
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n' + body + "</urlset>\n"
    )
    return Page(xml, "application/xml; charset=utf-8", "utf-8", max(a.last_modified for a in items))


# ---- legacy site (templates B and C) --------------------------------------------------------


def _legacy_head(title: str, charset: str, extra: str) -> str:
    declared = (
        ""
        if charset == "undeclared"
        else f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
    )
    return (
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN" '
        '"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml">\n<head>\n'
        + declared
        + f"<title>{escape(title)}</title>\n"
        + '<link rel="stylesheet" type="text/css" '
        'href="http://res.heraldm.com/koreaherald/version01/www/css/common.css">\n'
        + extra
        + "</head>\n"
    )


def _legacy_menu() -> str:
    groups: dict[str, list[str]] = {}
    for code, (label, sub) in LEGACY_CODES.items():
        if sub and code[8:] == "0000":
            groups.setdefault(label, []).append(
                f'<li><a href="/list.php?ct={code}">{escape(sub)}</a></li>'
            )
    blocks = "".join(
        f'<dl><dt><a href="/list.php?ct={TOP_CODES[label]}">{escape(label)}</a></dt>'
        f"<dd><ul>{''.join(items)}</ul></dd></dl>"
        for label, items in groups.items()
    )
    return (
        '<div class="header"><div class="logo"><a href="/">The Korea Herald</a></div>'
        f'<div class="allMenuDiv">{blocks}</div></div>'
    )


def _legacy_footer() -> str:
    return (
        '<div class="footer"><ul><li><a href="/">Home</a></li></ul>'
        "<p>PRIVACY STATEMENT COPYRIGHT POLICY HERALD OMBUDSMAN</p>"
        f"<p>{SITE_NAME} by Herald Corporation</p><p>{COPYRIGHT}</p>"
        "<p>Address : Huam-ro 4-gil 10, Yongsan-gu,Seoul, Korea</p>"
        "<p>Online newspaper registration No : Seoul \uc54403711</p>"
        "<p>Tel : 02.727.0114</p></div>"
    )


def _legacy_rails(site: ReplicaSite, article: Article) -> str:
    earlier = site.legacy_before(article)
    rng = random.Random(article.article_id)
    popular = rng.sample(earlier[:30], min(5, len(earlier[:30])))
    return (
        '<div class="main_r"><div class="main_r_tit">MOST POPULAR</div>'
        + _story_links(popular, "view_main_c_li")
        + '<div class="main_r_tit">LATEST NEWS</div>'
        + _story_links(earlier[:5], "view_main_c_li")
        + "</div>"
    )


def _legacy_image(src: str, caption: str) -> str:
    return (
        '<table class="img_table" align="center"><tbody><tr><td>'
        f'<img src="{escape(src)}" alt="" id="thumimage"></td></tr>'
        f'<tr><td><div class="view_con_caption">{escape(caption)}</div></td></tr>'
        "</tbody></table>"
    )


def _legacy_body(article: Article) -> str:
    """div.view_con_t: bare text split by `<br><br>`, `<p>` paragraphs, or both."""
    count = len(article.paragraphs)
    bare_until = {"p": 0, "br": count, "mixed": count // 2}[article.body_style]
    parts = []
    for index, paragraph in enumerate(article.paragraphs):
        if index < bare_until:
            parts.append(escape(paragraph) + "<br><br>\n")
        else:
            parts.append(f"<p>{escape(paragraph)}</p>\n")
        for figure in article.figures:
            if figure.after == index:
                parts.append(_legacy_image(figure.src, figure.caption) + "\n")
    return "".join(parts)


def legacy_article(site: ReplicaSite, article: Article, base: str) -> Page:
    """Template B (before 14 Aug 2023) or C (the 2023 redesign), served from view.php."""
    url = f"{base}{article.canonical_path}"
    meta = (
        f'<meta property="og:title" content="{escape(article.title)}">\n'
        f'<meta property="og:url" content="{url}">\n'
        f'<meta property="og:description" content="{escape(teaser(article, 160))}">\n'
        '<meta property="og:type" content="article">\n'
        f'<meta property="og:site_name" content="{SITE_NAME}">\n'
    )
    if article.figures:
        meta += f'<meta property="og:image" content="{escape(article.figures[0].src)}">\n'
    top_code = TOP_CODES[article.section]
    byline_link = (
        f'<a href="/search/list_name.php?byline={quote_plus(article.authors[0])}">'
        f"{escape(article.byline)}</a>"
    )
    if article.template == "redesign2023":
        meta += f'<meta name="keywords" content="{escape(", ".join(article.keywords))}">\n'
        dates = f"Published : {ap_date(article.published)}"
        if article.updated:
            dates += f"&nbsp;&nbsp;&nbsp;&nbsp;Updated : {ap_date(article.updated)}"
        images = "".join(
            f'<div class="img_box"><img src="{escape(f.src)}" alt="">'
            f'<p class="img_caption">{escape(f.caption)}</p></div>'
            for f in article.figures
        )
        paragraphs = "".join(f"<p>{escape(p)}</p>\n" for p in article.paragraphs)
        subtitle = (
            f'<h2 class="news_title">{escape(article.subtitle)}</h2>' if article.subtitle else ""
        )
        main = (
            '<div class="news_content">'
            f'<div class="news_category"><a href="/list.php?ct={top_code}">'
            f"{escape(article.section)}</a></div>"
            f'<div class="news_title_area"><h1 class="news_title">{escape(article.title)}</h1>'
            f'{subtitle}<p class="news_date">{dates}</p></div>'
            f'<div class="news_journalist_area">{byline_link}</div>'
            '<div class="news_btn_wrap"><a href="#" class="btn_share">Share</a></div>'
            f'<div class="news_text_area view_text">{images}'
            f'<div class="text_box">\n{paragraphs}</div></div></div>'
        )
    else:
        dates = f"Published : {legacy_date(article.published)}"
        if article.updated:
            dates += "&nbsp;" * 6 + f"Updated : {legacy_date(article.updated)}"
        subtitle = (
            f'<h2 class="view_tit_sub">{escape(article.subtitle)}</h2>' if article.subtitle else ""
        )
        main = (
            '<div class="view">'
            f'<div class="view_category"><a href="/list.php?ct={top_code}">'
            f"{escape(article.section)}</a></div>"
            f'<h1 class="view_tit">{escape(article.title)}</h1>{subtitle}'
            f'<div class="view_tit_byline"><div class="view_tit_byline_l">{byline_link}</div>'
            f'<div class="view_tit_byline_r">{dates}</div></div>'
            '<div id="articleText" class="view_con article"><div class="view_con_t">\n'
            + _legacy_body(article)
            + "</div></div></div>"
        )
    charset = article.charset
    html = (
        _legacy_head(article.title, charset, meta)
        + "<body>\n"
        + _legacy_menu()
        + '<div class="main">'
        + main
        + _legacy_rails(site, article)
        + "</div>"
        + _legacy_footer()
        + "\n</body>\n</html>\n"
    )
    content_type = "text/html" if charset != "utf-8" else "text/html; charset=utf-8"
    encoding = "euc-kr" if charset == "euc-kr" else "utf-8"
    return Page(html, content_type, encoding, article.last_modified, chunked=True)


def legacy_list(site: ReplicaSite, ct: str, page: int, base: str) -> Page:
    """`div.main_sec li > a` items, 15 per page, `np`/`mp` pagination links."""
    items = site.legacy_items(ct)
    pages = max(1, -(-len(items) // LEGACY_PAGE_SIZE))
    shown = items[(page - 1) * LEGACY_PAGE_SIZE : page * LEGACY_PAGE_SIZE]
    label = "Latest News" if ct == ALL_CODE else " > ".join(filter(None, LEGACY_CODES[ct]))
    lis = []
    for article in shown:
        category = LEGACY_CODES[article.subsection][1] or article.section
        lis.append(
            f'<li><a href="{escape(site.legacy_listing_link(article, page))}">'
            f'<div class="main_l_t1">{escape(article.title)}</div>'
            f'<div class="main_l_t2">{escape(category)}</div>'
            f"<span>{list_date(article.published)}</span></a></li>"
        )

    def link(number: int) -> str:
        return escape(f"/list.php?ct={ct}&np={number}&mp={(number - 1) // 10 + 1}")

    paging = []
    if shown:
        first = (page - 1) // 10 * 10 + 1
        if first > 1:
            paging.append(f'<a class="prev" href="{link(first - 1)}">Prev</a>')
        for number in range(first, min(first + 10, pages + 1)):
            if number == page:
                paging.append(f"<strong>{number}</strong>")
            else:
                paging.append(f'<a href="{link(number)}">{number}</a>')
        if page < pages:
            paging.append(f'<a class="next" href="{link(page + 1)}">Next</a>')
    newest = max((a.last_modified for a in shown), default=CURRENT_START)
    html = (
        _legacy_head(f"{label} - The Korea Herald", "utf-8", "")
        + "<body>\n"
        + _legacy_menu()
        + f'<div class="main"><div class="list_tit"><h2>{escape(label)}</h2></div>'
        + '<div class="main_sec"><ul class="main_sec_li">\n'
        + "\n".join(lis)
        + "\n</ul></div>"
        + f'<div class="paging">{"".join(paging)}</div></div>'
        + _legacy_footer()
        + "\n</body>\n</html>\n"
    )
    return Page(html, "text/html; charset=utf-8", "utf-8", newest, chunked=True)
