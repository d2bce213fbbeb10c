"""Signals of our own, sent and connected through `crawler.signals` like Scrapy's."""

#: An extracted article's dedup sketch, computed in the extraction pool beside the parsing.
#: Sent with `url`, `text` and `sketch`; the export at close uses it instead of tokenising the
#: text again on the reactor thread.
text_sketched = object()
