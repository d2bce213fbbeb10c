"""Scrapy commands: rebuild (WARC -> text store) and export (text store -> Parquet)."""
