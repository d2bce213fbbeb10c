"""newscrawl: a polite news crawler that archives WARC, extracts clean text and writes Parquet."""

__version__ = "0.1.0"
