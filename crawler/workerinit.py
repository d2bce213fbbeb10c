"""Imported once by the extraction workers' fork server, before it forks any worker.

Each worker used to import the parsers (trafilatura above all) and load the language model
itself, paid again for every replacement. The fork server pays it once and every worker starts
with it already in memory.
"""

import crawler.parsers.generic  # noqa: F401  (trafilatura, for pages no site parser reads)
from crawler.extract import load_language_model

load_language_model()
