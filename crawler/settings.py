"""Scrapy settings for newscrawl, with our own settings documented next to their defaults.

Politeness defaults suit the real site; anything given with `-s` on the command line wins.
"""

from __future__ import annotations

from pathlib import Path

from scrapy.settings import default_settings

from crawler import __version__

BOT_NAME = "newscrawl"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
COMMANDS_MODULE = "crawler.commands"

# --- Who we are -----------------------------------------------------------------------------
# Where site operators can reach the people running the crawl; part of the User-Agent.
CONTACT_URL = "https://github.com/newscrawl/newscrawl#contact"
USER_AGENT = f"newscrawl/{__version__} (+{CONTACT_URL})"

# --- Politeness (real-site defaults) -------------------------------------------------------
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0  # seconds between requests to one host, before AutoThrottle adjusts it
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
RETRY_TIMES = 2  # initial response + 2 retries = 3 requests
# Delays are minimums: no random jitter may shorten a host's delay below its floor.
DOWNLOAD_DELAY_JITTER = 0.0
# Per-host politeness (crawler.politeness): floor = max(DOWNLOAD_DELAY or the host's own
# DOWNLOAD_SLOTS delay, robots Crawl-delay, back-off); Retry-After delays the host's next request.
POLITENESS_MAX_CRAWL_DELAY = 30.0  # seconds; a longer robots Crawl-delay is cut to this
POLITENESS_MAX_RETRY_AFTER = 600.0  # seconds; a 429/503 asking for longer drops the page
POLITENESS_RETRY_AFTER_TIMES = 3  # retries of one request after a 429/503 with Retry-After
# Back-off on 429/503 without Retry-After, other 5xx and timeouts (StormCrawler's model):
# BASE seconds, doubling per trouble, capped at MAX, +-JITTER share, forgotten after RESET
# quiet seconds.
POLITENESS_BACKOFF_BASE = 60.0
POLITENESS_BACKOFF_MAX = 3600.0
POLITENESS_BACKOFF_JITTER = 0.1
POLITENESS_BACKOFF_RESET = 1800.0

# --- Bounded work per response (crawler.limits, crawler.scope) -----------------------------
# Whole response, body included: a server that drips bytes holds a slot at most this long.
DOWNLOAD_TIMEOUT = 30
# Raw body, and body after Content-Encoding is undone: a gzip bomb stops inflating here.
# The largest real article pages are under 1 MB.
DOWNLOAD_MAXSIZE = 16 * 2**20
DOWNLOAD_WARNSIZE = 4 * 2**20
REDIRECT_MAX_TIMES = 10  # a longer chain is dropped as dropped/redirect_max; loops as redirect_loop
URLLENGTH_LIMIT = 2048  # longer URLs are never requested (dropped/url_too_long)
# Links are followed through at most this many pages in a row that bring no new article
# (calendar and pagination traps); further ones are dropped/listing_trap.
SCOPE_MAX_BARREN_PAGES = 5
SCOPE_MAX_DEPTH = 0  # hops from a start request; 0 = no cap (listings paginate deeply)
# An article with more clean text than this is dropped (dropped/text_too_large): the longest
# real articles have about 50,000 characters.
EXTRACT_MAX_TEXT_CHARS = 200_000

# --- No listeners on the crawl host ----------------------------------------------------------
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# --- Incremental crawling: skip what is stored, re-check what is recent ----------------------
DOWNLOADER_MIDDLEWARES = {
    # Before RobotsTxtMiddleware (100): nothing, not even robots.txt, is asked off the origins.
    # It replaces Scrapy's OffsiteMiddleware, which looks at the host only (not scheme or
    # port) and filtered at scheduling time, so its refusals went uncounted here.
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "crawler.scope.OriginScopeMiddleware": 50,
    # Engine side of RetryMiddleware (550): counts the errors retries gave up on.
    "crawler.limits.DownloadDropsMiddleware": 540,
    # Between RetryMiddleware and the redirects: sees 429/503 first and answers Retry-After.
    "crawler.politeness.PolitenessMiddleware": 560,
    "scrapy.downloadermiddlewares.redirect.MetaRefreshMiddleware": None,
    "crawler.limits.BoundedMetaRefreshMiddleware": 580,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "crawler.limits.BoundedHttpCompressionMiddleware": 590,
    "scrapy.downloadermiddlewares.redirect.RedirectMiddleware": None,
    "crawler.limits.BoundedRedirectMiddleware": 600,
    # Below DownloaderStats (850), so skipped re-checks still count as responses received.
    "crawler.incremental.IncrementalMiddleware": 800,
    # Beside the downloader: responses and download errors counted per site.
    "crawler.sitestats.SiteStatsMiddleware": 950,
}
SPIDER_MIDDLEWARES = {
    "crawler.scope.TrapGuardMiddleware": 950,
}
INCREMENTAL_ENABLED = True
RECHECK_DAYS = 3.0  # stored articles published within this many days get a conditional GET
# The crawl's clock (ISO 8601); empty means the wall clock. Tests and replays pin it.
CRAWL_NOW = ""
# newscrawl-nightly: a run's window starts this long before the last successful run started.
NIGHTLY_SAFETY_MARGIN_HOURS = 6.0

# --- Identity: one request per (site, article id), whatever URL variant points to it ---------
REQUEST_FINGERPRINTER_CLASS = "crawler.fingerprint.ArticleRequestFingerprinter"

# --- Our settings ----------------------------------------------------------------------------
# Root of everything a run writes (warc/, text/, parquet/, state/, runs/).
OUTPUT_DIR = "output"
# Id of this run; empty means one is made from the start time (UTC) and a random suffix.
RUN_ID = ""
# The default publication window: articles of the last N days; 0 means each site profile's
# `default_window_days`.
NEWS_DEFAULT_WINDOW_DAYS = 0.0  # may be fractional, like RECHECK_DAYS
# Safety cap on listing pages followed per listing, in case a site paginates forever; a
# profile's `max_listing_pages` may set a lower one.
NEWS_MAX_LISTING_PAGES = 1000

ITEM_PIPELINES = {
    "pipelines.extract.ExtractArticlePipeline": 100,
    "pipelines.store.TextStorePipeline": 300,
}
# Order matters on close: the export runs before the report, which records its stats.
EXTENSIONS = {
    "crawler.extensions.warc.WarcExtension": 500,
    "crawler.extensions.export.ParquetExportOnClose": 505,
    "crawler.extensions.progress.CrawlProgress": 507,  # before the report, for its final rate
    "crawler.extensions.report.RunReport": 510,
}
# Scrapy's remote control is off unless enabled, but even a None entry is imported, and it
# imports aiohttp: 0.15 s of every start-up. So it is left out of the base list.
EXTENSIONS_BASE = {
    path: order
    for path, order in default_settings.EXTENSIONS_BASE.items()
    if path != "scrapy.extensions.remote_control.RemoteControl"
}
# Seconds between progress lines: the crawl's articles/min and queue size (0 turns them off),
# and `scrapy rebuild`/`scrapy export` off a terminal (on one they draw a bar instead).
PROGRESS_LOG_INTERVAL = 60.0

# --- WARC capture: every exchange as received, before Scrapy decodes anything ---------------
DOWNLOAD_HANDLERS = {
    "http": "crawler.render.RenderingDownloadHandler",
    "https": "crawler.render.RenderingDownloadHandler",
}
WARC_ENABLED = True
WARC_MAX_SIZE = 1_000_000_000  # bytes; a file is closed and a new one opened past this
# Files are <site>-<UTC time>-<serial>-<host>-<pid>.warc.gz; captures no site claims (an
# off-site robots.txt, say) go to files with this prefix instead of a site name.
WARC_PREFIX = "newscrawl"
WARC_OPERATOR = ""  # contact written into warcinfo; empty means CONTACT_URL
WARC_GZIP_LEVEL = 4  # zlib level 1-9 of each record: 4 costs half of 6's CPU for 4.5% more bytes

FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"

# Outputs of one response handled at once. Scrapy's default (100) starts 100 asyncio tasks per
# response; ours yield one item (articles) or a list of requests (listings), so 4 is plenty and
# saves about 1 ms of reactor time per page (profiled with py-spy under `make bench`).
CONCURRENT_ITEMS = 4
# A check, for every response, that the callback is not a generator returning a value. Scrapy
# caches the answer by bound method, which each request holds anew, so it re-parsed the
# callback's source with `ast` for every page (3% of the reactor thread). Our callbacks are
# tested; the warning is for spider authors.
WARN_ON_GENERATOR_RETURN_VALUE = False

# --- Extraction pool ---------------------------------------------------------------------------
# Worker processes; -1 = one per core less the crawl process's (at least one), 0 = parse in
# the crawl process.
EXTRACT_WORKERS = -1
EXTRACT_MAX_IN_FLIGHT = 0  # pages being parsed at once; 0 = 16 x workers
# Seconds of run time (not queue time) one page may take in a worker; past it the worker is
# killed and replaced, and the page dropped as `dropped/extract_timeout`.
EXTRACT_TIMEOUT = 60.0
# Bytes of heap (RLIMIT_DATA) per worker; a page past it is dropped as `dropped/extract_oom`
# and the worker replaced. A worker with its libraries loaded holds about 220 MB. 0 = no cap.
EXTRACT_WORKER_MEMORY = 1024 * 2**20
# Workers run this much nicer than the crawl process: the reactor thread paces the crawl and
# Chromium waits on it, while the workers have time to spare (`make bench`: +10% articles/s).
EXTRACT_WORKER_NICE = 10

# --- Run report and drift alarm ---------------------------------------------------------------
# A tracked field (title, authors, published_at, body >= 50 words) filled on fewer than this
# share of a template's pages raises the drift alarm, once the template has enough pages.
DRIFT_MIN_FILL_RATE = 0.9
DRIFT_MIN_PAGES = 10

# --- Clean-text store ----------------------------------------------------------------------------
TEXTSTORE_RECORDS_PER_PART = 200  # records per atomic part; a kill -9 loses at most one part

# --- Parquet corpus ------------------------------------------------------------------------------
PARQUET_EXPORT_ENABLED = True  # export when the crawl closes; `scrapy export` does it by hand
PARQUET_TARGET_FILE_SIZE = 256 * 2**20  # bytes; a new file starts before one would pass this
PARQUET_ROW_GROUP_SIZE = 128 * 2**20  # bytes on disk per row group, for scans
PARQUET_ZSTD_LEVEL = 3
# Dedup sketches the extraction workers computed, kept (about 1.2 KB each) for the export at
# close; a longer run's export sketches the rest itself. 200,000 is about 240 MB at most.
EXPORT_SKETCHES_KEPT = 200_000

# --- Dedup (tuned on the replica's ground truth; see README) ----------------------------------
DEDUP_SHINGLE_SIZE = 5  # word n-grams
DEDUP_NUM_PERM = 256  # MinHash permutations (rensa)
DEDUP_BANDS = 32  # LSH bands of 8 rows: candidates from an estimated Jaccard of about 0.65
DEDUP_THRESHOLD = 0.7  # estimated Jaccard at or above which two texts are one story...
DEDUP_MAX_CHANGED_WORDS = 40  # ...if at most this many words sit in changed sentences
DEDUP_SEED = 42  # changing the seed, permutations or bands needs a fresh state/

# --- Shared crawl: several workers on one frontier and one state in Redis -----------------
# redis://host:port/db of the shared frontier and state (scrapy-redis' setting); empty means
# one process with its embedded SQLite state. See crawler/shared/ and the README.
REDIS_URL = ""
ADDONS = {"crawler.shared.addon.SharedCrawl": 0}
# Names the crawl the workers share (its queue, dupefilter, seed flag); a new crawl, a new id.
SHARED_CRAWL_ID = ""
# This worker's name in the crawl (heartbeat, busy mark); empty means <hostname>-<pid>.
SHARED_WORKER_ID = ""
# First part of every Redis key: one corpus (one OUTPUT_DIR's state) per prefix.
SHARED_KEY_PREFIX = "newscrawl"
# "set" of fingerprints, or "bloom": the server's Bloom filter (RedisBloom's BF.*), if it has it.
SHARED_DUPEFILTER = "set"
SHARED_BLOOM_CAPACITY = 10_000_000  # fingerprints the Bloom filter is sized for
SHARED_BLOOM_ERROR_RATE = 0.001  # false positives: requests wrongly taken for seen ones
SHARED_HEARTBEAT = 10.0  # seconds a worker counts as alive after its last heartbeat
SHARED_POLL_INTERVAL = 0.5  # seconds between looks at the shared queue while idle

# --- JavaScript rendering (scrapy-playwright with the system's Chromium) ---------------------
# Listing pages whose items only appear with JavaScript are fetched again through Chromium.
# Rendering is skipped, with a warning, when the browser below is not installed.
NEWS_RENDER_JS = True
PLAYWRIGHT_BROWSER_TYPE = "chromium"
# Debian's builds, never `playwright install`. The headless shell (package
# chromium-headless-shell, the build Playwright itself uses for headless pages) rendered the
# replica's listings with a fifth of the full browser's CPU; the full browser (package
# chromium) is the fallback.
_DEBIAN_CHROMIUM = ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium")
PLAYWRIGHT_LAUNCH_OPTIONS = {
    "executable_path": next(
        (p for p in _DEBIAN_CHROMIUM if Path(p).exists()), _DEBIAN_CHROMIUM[-1]
    ),
    "headless": True,
    "args": [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ],
}
PLAYWRIGHT_MAX_PAGES_PER_CONTEXT = 4
# Same-host requests only, and no images, media, fonts or styles: see crawler.render.
PLAYWRIGHT_ABORT_REQUEST = "crawler.render.abort_request"
