"""Scrapy extensions of the crawler, each enabled through the ``EXTENSIONS`` setting."""
