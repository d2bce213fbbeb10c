"""`scrapy crawl koreaherald`: the news spider on The Korea Herald's profile alone.

Kept as its own spider so existing cron lines and scripts work unchanged: the same arguments
(base_url, sections, since, until, max_articles) and the same outputs.
"""

from __future__ import annotations

from spiders.news import NewsSpider


class KoreaHeraldSpider(NewsSpider):
    name = "koreaherald"
    default_sites = "koreaherald"
