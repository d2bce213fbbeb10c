"""Scrapy commands: crawl (Scrapy's, with one-line errors), rebuild, export and report."""
