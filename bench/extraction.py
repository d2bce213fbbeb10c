"""Score generic article-body extraction on the article-extraction benchmark.

Usage::

    python -m bench.extraction [--dataset DIR] [--out FILE] [--extractor NAME ...]

Dataset: ``../shared/benchmarks/article-extraction/`` relative to the repo root (a copy of
scrapinghub/article-extraction-benchmark: ``ground-truth.json`` + ``html/<id>.html.gz``).

Metric (re-implementation of upstream ``evaluate.py``, see the dataset's SOURCES.md):

* Tokens are ``re.findall(r"\\w+", text)`` (Unicode, case kept).
* Shingles are 4-token tuples, counted as multisets for truth and prediction; per document
  TP = sum(min), FP = sum(pred excess), FN = sum(truth excess), then (TP, FP, FN) are divided
  by their sum so every document weighs the same.
* Edge cases, as upstream: a text with 1-3 tokens yields a single short shingle (all its
  tokens); an empty or ``None`` prediction yields no shingles, so TP = FP = 0, FN = 1: recall
  0 and the document is *left out of the precision mean* (upstream averages precision only
  over docs with TP + FP > 0, recall over docs with TP + FN > 0). Empty truth and empty
  prediction give (0, 0, 0) and count in neither mean. Per-doc score is 1 when FP = FN = 0.
  Because of this rule an extractor that returns nothing on hard pages is not penalised in
  precision; we therefore also report ``empty`` (number of empty predictions).
* P and R are macro-averaged over documents; F1 = 2PR / (P + R) of the averages.
* Accuracy = mean of exact token-sequence equality (truth tokens == prediction tokens).
* ``*_std`` = standard deviation over 1,000 bootstrap resamples of the documents
  (``random.Random(seed)``, seed 0 by default; upstream is unseeded). Upstream's published
  ``±`` values are this std (not a 95% interval).

Each extractor is a function ``(html, url) -> str | None``; the ground truth's ``url`` is
passed. ``rebuild-export`` is the offline path end to end instead (``bench/offline.py``): the
pages packed into one WARC, ``scrapy rebuild`` and ``scrapy export`` run on it, the text
column of the Parquet scored; a page without a row scores as an empty prediction. Its
``docs/s`` is wall clock over both commands, start-up included. Results go to
``bench/results/extraction-<date>-<gitrev>.json`` unless ``--out``.

A second section, "padded replica, generic path", runs ``parse_article`` with a bare profile on
the Korea Herald replica's pages at 0 and 120 KB (``score_padded_replica``): a site without a
parser, on pages as heavy as real ones. Its scores, per template, go in the same JSON file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import random
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from bench.offline import run_offline

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATASET = (REPO_ROOT / ".." / "shared" / "benchmarks" / "article-extraction").resolve()
RESULTS_DIR = REPO_ROOT / "bench" / "results"
NGRAM_N = 4
N_BOOTSTRAP = 1000

TpFpFn = tuple[float, float, float]
Extractor = Callable[[str, str], "str | None"]

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)


# --------------------------------------------------------------------------- metric


def tokenize(text: str | None) -> list[str]:
    """Split text into Unicode ``\\w+`` tokens (``None`` -> no tokens)."""
    return _TOKEN_RE.findall(text or "")


def shingles(text: str | None, n: int = NGRAM_N) -> Counter[tuple[str, ...]]:
    """Multiset of n-token shingles; 1..n-1 tokens give one short shingle, 0 tokens none."""
    tokens = tokenize(text)
    if not tokens:
        return Counter()
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))


def shingle_matching(true: str | None, pred: str | None, n: int = NGRAM_N) -> TpFpFn:
    """Per-document (TP, FP, FN) over shingles, normalised to sum to 1 (if non-zero)."""
    t, p = shingles(true, n), shingles(pred, n)
    tp = float(sum((t & p).values()))
    fp = float(sum((p - t).values()))
    fn = float(sum((t - p).values()))
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s > 0 else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fn)


def metrics_from_counts(counts: Sequence[TpFpFn]) -> dict[str, float]:
    """Macro precision/recall (upstream inclusion rules) and F1 of the averages."""
    ps = [_precision(*c) for c in counts if c[0] + c[1] > 0]
    rs = [_recall(*c) for c in counts if c[0] + c[2] > 0]
    precision = statistics.fmean(ps) if ps else 0.0
    recall = statistics.fmean(rs) if rs else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return {"f1": f1, "precision": precision, "recall": recall}


def evaluate(
    truth: dict[str, str],
    pred: dict[str, str | None],
    n_bootstrap: int = N_BOOTSTRAP,
    seed: int = 0,
) -> dict[str, Any]:
    """Score predictions against truth (same keys); adds bootstrap ``*_std``."""
    if truth.keys() != pred.keys():
        raise ValueError("prediction keys do not match ground truth")
    keys = sorted(truth)
    counts = [shingle_matching(truth[k], pred[k]) for k in keys]
    accs = [float(tokenize(truth[k]) == tokenize(pred[k])) for k in keys]
    out: dict[str, Any] = metrics_from_counts(counts)
    out["accuracy"] = statistics.fmean(accs)
    rng = random.Random(seed)
    n = len(keys)
    samples: dict[str, list[float]] = {}
    for _ in range(n_bootstrap):
        idx = [rng.randrange(n) for _ in range(n)]
        m = metrics_from_counts([counts[i] for i in idx])
        m["accuracy"] = statistics.fmean(accs[i] for i in idx)
        for key, val in m.items():
            samples.setdefault(key, []).append(val)
    for key, vals in samples.items():
        out[f"{key}_std"] = statistics.stdev(vals) if len(vals) > 1 else 0.0
    out["docs"] = n
    out["empty"] = sum(1 for k in keys if not tokenize(pred[k]))
    out["per_doc"] = {k: {"tp_fp_fn": counts[i], "accuracy": accs[i]} for i, k in enumerate(keys)}
    return out


# --------------------------------------------------------------------------- extractors

#: trafilatura's ``extract`` on a page whose precise result is shorter than this many characters
#: is re-run with default settings (see ``precision_fallback``).
SHORT_CHARS = 1000
#: ...and the default result replaces it when the precise one keeps less than this share of it.
SHORT_RATIO = 0.2


def _quiet_trafilatura() -> None:
    """Silence trafilatura's per-page 'too short' log lines (expected here)."""
    import logging

    logging.getLogger("trafilatura").setLevel(logging.ERROR)


def trafilatura_default(html: str, url: str) -> str | None:
    """Upstream baseline: ``extract(html, include_comments=False)`` (no url)."""
    import trafilatura

    return trafilatura.extract(html, include_comments=False)


def _traf(**options: Any) -> Extractor:
    """An extractor calling ``trafilatura.extract(html, url=url, include_comments=False, ...)``."""

    def run(html: str, url: str) -> str | None:
        import trafilatura

        return trafilatura.extract(html, url=url, include_comments=False, **options)

    return run


def precision_fallback(html: str, url: str) -> str | None:
    """``favor_precision=True``; if that result is short (< SHORT_CHARS) and keeps less than
    SHORT_RATIO of what default settings extract, use the default result instead.

    favor_precision occasionally locks onto the wrong small block (a reprint notice, a teaser);
    a precise result that small relative to the default one is a failure, not a trim.
    """
    import trafilatura

    precise = trafilatura.extract(html, url=url, include_comments=False, favor_precision=True)
    if precise is not None and len(precise) >= SHORT_CHARS:
        return precise
    default = trafilatura.extract(html, url=url, include_comments=False)
    if precise is None or (default is not None and len(precise) < SHORT_RATIO * len(default)):
        return default
    return precise


def crawler_generic(html: str, url: str) -> str | None:
    """Our fallback parser ``crawler.parsers.generic.extract(html, url) -> Extracted``;
    body text = paragraphs joined by blank lines (as ``Article.text``)."""
    from crawler.parsers import generic

    result = generic.extract(html, url)
    paragraphs = getattr(result, "paragraphs", None) or []
    return "\n\n".join(paragraphs) or None


#: The offline path, scored beside the extractors: `scrapy rebuild` + `scrapy export`.
OFFLINE = "rebuild-export"

#: name -> (extractor, human-readable call)
EXTRACTORS: dict[str, tuple[Extractor, str]] = {
    "trafilatura-default": (
        trafilatura_default,
        "extract(html, include_comments=False)",
    ),
    "trafilatura-url": (_traf(), "extract(html, url=url, include_comments=False)"),
    "trafilatura-fast": (_traf(fast=True), "... url=url, include_comments=False, fast=True"),
    "trafilatura-recall": (
        _traf(favor_recall=True),
        "... url=url, include_comments=False, favor_recall=True",
    ),
    "trafilatura-notables": (
        _traf(include_tables=False),
        "... url=url, include_comments=False, include_tables=False",
    ),
    "trafilatura-precision": (
        _traf(favor_precision=True),
        "... url=url, include_comments=False, favor_precision=True",
    ),
    "trafilatura-precision-notables": (
        _traf(favor_precision=True, include_tables=False),
        "... url=url, include_comments=False, favor_precision=True, include_tables=False",
    ),
    "trafilatura-precision-dedup": (
        _traf(favor_precision=True, deduplicate=True),
        "... url=url, include_comments=False, favor_precision=True, deduplicate=True",
    ),
    "trafilatura-precision-fast": (
        _traf(favor_precision=True, fast=True),
        "... url=url, include_comments=False, favor_precision=True, fast=True",
    ),
    "trafilatura-precision-fallback": (
        precision_fallback,
        "favor_precision=True, url=url, include_comments=False; if < "
        f"{SHORT_CHARS} chars and < {SHORT_RATIO:.0%} of default-settings output, use that",
    ),
    "crawler-generic": (crawler_generic, "crawler.parsers.generic.extract(html, url)"),
}


# --------------------------------------------------------------------------- running


def load_dataset(dataset: Path) -> dict[str, dict[str, str]]:
    """Ground truth: id -> {"articleBody", "url"}."""
    with (dataset / "ground-truth.json").open(encoding="utf8") as f:
        return json.load(f)


def _extract_one(args: tuple[str, Path, str, str]) -> tuple[str, str | None, float, str | None]:
    """Worker: run one extractor on one page; returns (id, text, seconds, error)."""
    name, dataset, key, url = args
    _quiet_trafilatura()
    with gzip.open(dataset / "html" / f"{key}.html.gz", "rt", encoding="utf8") as f:
        html = f.read()
    start = time.perf_counter()
    try:
        text = EXTRACTORS[name][0](html, url)
        error = None
    except Exception as exc:  # score a crash as an empty prediction, but report it
        text, error = None, f"{type(exc).__name__}: {exc}"
    return key, text, time.perf_counter() - start, error


def run_extractor(
    name: str, dataset: Path, truth: dict[str, dict[str, str]], pool: ProcessPoolExecutor
) -> tuple[dict[str, str | None], float, list[str]]:
    """Predictions for every doc, total extraction seconds (CPU-side) and errors."""
    jobs = [(name, dataset, key, truth[key]["url"]) for key in sorted(truth)]
    preds: dict[str, str | None] = {}
    seconds = 0.0
    errors: list[str] = []
    for key, text, secs, error in pool.map(_extract_one, jobs, chunksize=4):
        preds[key] = text
        seconds += secs
        if error:
            errors.append(f"{key}: {error}")
    return preds, seconds, errors


def score_offline(
    dataset: Path,
    truth: dict[str, dict[str, str]],
    true_text: dict[str, str],
    args: argparse.Namespace,
) -> dict[str, Any]:
    """Score the offline path; with what reached the corpus and what was dropped, and why."""
    run = run_offline(dataset, {key: value["url"] for key, value in truth.items()}, args.jobs)
    m = evaluate(true_text, run.texts, args.n_bootstrap, args.seed)
    m["docs_per_s"] = len(run.texts) / run.seconds
    m["call"] = "scrapy rebuild + scrapy export over one WARC of the pages; Parquet via DuckDB"
    m["errors"] = []
    m["in_corpus"] = run.in_corpus
    m["skipped"] = run.skipped
    m["duplicates"] = run.duplicates
    m["folded"] = run.folded
    m["missing"] = sorted(truth[key]["url"] for key, text in run.texts.items() if text is None)
    return m


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items())) or "none"


# --------------------------------------------------------------------------- padded replica

#: Page weights of the padded-replica section, in KB: as built, and as real pages weigh.
REPLICA_PAD_KB = (0, 120)
#: Korea Herald replica articles (all three templates: current, legacy, redesign2023).
REPLICA_ARTICLES = 300
#: A page scoring below this F1 counts as failed in the per-template summary.
REPLICA_LOW_F1 = 0.9


def score_padded_replica(
    pad_kb: Sequence[int] = REPLICA_PAD_KB, articles: int = REPLICA_ARTICLES
) -> dict[str, dict[str, dict[str, Any]]]:
    """The generic path (``parse_article`` with a bare profile: no parser, no selectors) on the
    replica's article pages padded with boilerplate (``crawler/replica/padding.py``), body text
    scored against the replica's ground truth; per pad (KB) and template. ``ms_per_page`` is the
    CPU time of ``parse_article``, after one pass over every tenth page (one-time set-up)."""
    from crawler.parsers.article import parse_article
    from crawler.replica import padding
    from crawler.replica.server import route
    from crawler.replica.site import ReplicaSite
    from crawler.sites.profile import SiteProfile

    _quiet_trafilatura()
    base = "http://127.0.0.1"
    site = ReplicaSite(n_articles=articles)
    profile = SiteProfile(name="replica", base_url=base)
    truths = site.ground_truth()
    built = {t["canonical_path"]: route(site, t["canonical_path"], base) for t in truths}
    scores: dict[str, dict[str, dict[str, Any]]] = {}
    for kb in pad_kb:
        pages = [(t, padding.pad(built[t["canonical_path"]].body, kb * 1024)) for t in truths]
        for truth, html in pages[::10]:
            parse_article(base + truth["canonical_path"], html, profile)
        rows: dict[str, list[tuple[TpFpFn, float]]] = {}
        for truth, html in pages:
            start = time.process_time()
            article = parse_article(base + truth["canonical_path"], html, profile)
            seconds = time.process_time() - start
            counts = shingle_matching(truth["text"], article.text)
            rows.setdefault(truth["template"], []).append((counts, seconds))
        scores[str(kb)] = {name: _replica_scores(rows[name]) for name in sorted(rows)}
    return scores


def _replica_scores(rows: list[tuple[TpFpFn, float]]) -> dict[str, Any]:
    m: dict[str, Any] = metrics_from_counts([counts for counts, _ in rows])
    m["pages"] = len(rows)
    m["below_0_9"] = sum(metrics_from_counts([counts])["f1"] < REPLICA_LOW_F1 for counts, _ in rows)
    m["ms_per_page"] = 1000 * statistics.fmean(seconds for _, seconds in rows)
    return m


def print_padded_replica(scores: dict[str, dict[str, dict[str, Any]]]) -> None:
    print("\npadded replica, generic path (parse_article, bare profile; CPU ms a page)")
    header = f"{'pad KB':>6} {'template':14} {'pages':>5} {'P':>6} {'R':>6} {'F1':>6} {'<0.9':>5}"
    print(header + f" {'ms/page':>8}")
    print("-" * (len(header) + 9))
    for kb, templates in scores.items():
        for name, m in templates.items():
            print(
                f"{kb:>6} {name:14} {m['pages']:5d} {m['precision']:6.3f} {m['recall']:6.3f} "
                f"{m['f1']:6.3f} {m['below_0_9']:5d} {m['ms_per_page']:8.1f}"
            )


def git_rev() -> str:
    """Short git revision of the repo, or 'nogit'."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return out.stdout.strip() or "nogit"
    except (OSError, subprocess.CalledProcessError):
        return "nogit"


def _generic_available() -> str | None:
    """None if crawler.parsers.generic imports and has ``extract``, else the reason."""
    try:
        from crawler.parsers import generic
    except Exception as exc:
        return f"import failed: {type(exc).__name__}: {exc}"
    return None if callable(getattr(generic, "extract", None)) else "no extract() function"


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--out", type=Path, help="JSON results file")
    parser.add_argument(
        "--extractor",
        action="append",
        choices=[*sorted(EXTRACTORS), OFFLINE],
        help="extractor to score (repeatable; default: all)",
    )
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    parser.add_argument("--n-bootstrap", type=int, default=N_BOOTSTRAP)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    import trafilatura

    dataset = args.dataset.resolve()
    truth = load_dataset(dataset)
    true_text = {k: v.get("articleBody", "") for k, v in truth.items()}
    names = args.extractor or [*EXTRACTORS, OFFLINE]
    skipped: dict[str, str] = {}
    if "crawler-generic" in names and (reason := _generic_available()):
        skipped["crawler-generic"] = reason
        names = [n for n in names if n != "crawler-generic"]

    results: dict[str, Any] = {}
    header = f"{'extractor':32} {'P':>6} {'R':>6} {'F1':>6} {'± std':>6} {'acc':>6} {'docs/s':>7}"
    print(header)
    print("-" * len(header))
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for name in names:
            if name == OFFLINE:
                m = score_offline(dataset, truth, true_text, args)
            else:
                preds, seconds, errors = run_extractor(name, dataset, truth, pool)
                m = evaluate(true_text, preds, args.n_bootstrap, args.seed)
                m["docs_per_s"] = len(preds) / seconds if seconds else float("inf")
                m["call"] = EXTRACTORS[name][1]
                m["errors"] = errors
            results[name] = m
            print(
                f"{name:32} {m['precision']:6.3f} {m['recall']:6.3f} {m['f1']:6.3f} "
                f"{m['f1_std']:6.3f} {m['accuracy']:6.3f} {m['docs_per_s']:7.1f}"
                + (f"  ({len(m['errors'])} errors)" if m["errors"] else ""),
                flush=True,
            )
    for name, reason in skipped.items():
        print(f"{name:32} skipped: {reason}")
    print("docs/s = single-core extraction throughput (sum of per-page extraction times);")
    print(f"for {OFFLINE}, pages over the wall clock of both commands ({args.jobs} workers).")
    if OFFLINE in results:
        offline = results[OFFLINE]
        print(
            f"{OFFLINE}: {offline['in_corpus']} of {len(truth)} pages reached the corpus;"
            f" rebuild skipped: {_counts(offline['skipped'])};"
            f" export dropped: {_counts(offline['duplicates'])}"
        )
        if "trafilatura-default" in results:
            bar = results["trafilatura-default"]["f1"]
            offline["at_least_trafilatura_default"] = offline["f1"] >= bar
            verdict = "met" if offline["at_least_trafilatura_default"] else "missed"
            print(f"{OFFLINE} F1 {offline['f1']:.3f} >= trafilatura-default {bar:.3f}: {verdict}")

    padded_replica = score_padded_replica()
    print_padded_replica(padded_replica)

    rev = git_rev()
    out = args.out or RESULTS_DIR / f"extraction-{dt.date.today():%Y%m%d}-{rev}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "dataset": str(dataset),
        "docs": len(truth),
        "git_rev": rev,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "trafilatura": trafilatura.__version__,
        "n_bootstrap": args.n_bootstrap,
        "seed": args.seed,
        "upstream_reference": {
            "trafilatura 2.0.0 extract(html, include_comments=False)": {
                "f1": 0.958,
                "f1_std": 0.006,
                "precision": 0.938,
                "recall": 0.978,
            }
        },
        "skipped": skipped,
        "results": results,
        "padded_replica": padded_replica,
    }
    out.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf8")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
