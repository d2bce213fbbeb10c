"""Choose the MinHash library and tune near-duplicate parameters, by measurement.

Usage::

    python -m bench.dedup_libs [--docs 1000] [--out FILE]

Synthetic news texts model the replica: eight paragraphs of about three sentences, ~500 words,
drawn from a Zipf vocabulary seeded with real wire copy (`crawler/replica/data`). Each text gets
two edits: one sentence rewritten (must count as a duplicate) and one paragraph of eight
replaced (must count as a new text).

1. Speed: signatures per second of rensa `RMinHash` and datasketch `MinHash` (`update_batch`)
   on the same word 5-gram shingles, 128 permutations.
2. Agreement: mean absolute error of each library's estimate against the true Jaccard
   similarity, and how often the two agree on the threshold decision.
3. Separation: the true Jaccard of both edits for shingle sizes 3-5.
4. Pair detection with `crawler.dedup.DedupIndex` (the real code path): precision and recall
   of duplicate pairs on a corpus with planted exact and one-sentence duplicates, plus how
   many paragraph rewrites were wrongly merged; and on the replica's ground truth when
   `crawler.replica` is importable, where one `advance` edit must become a version.
5. With `--state N`: SQLite state bytes per article after N articles, scaled to 2M.

Results are printed and written to `bench/results/dedup-<date>.json` unless `--out`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import tempfile
import time
from itertools import accumulate
from pathlib import Path

from datasketch import MinHash
from rensa import RMinHash

from crawler.dedup import DedupConfig, DedupIndex, shingles, signature, similarity, tokens

SEED_DIR = Path(__file__).resolve().parent.parent / "crawler" / "replica" / "data"


class TextFactory:
    """Seeded news-like sentences from a Zipf vocabulary."""

    def __init__(self, seed: int = 0) -> None:
        self.random = random.Random(seed)
        real = sorted({w for p in SEED_DIR.glob("*.txt") for w in tokens(p.read_text())})
        made = [self._word() for _ in range(6000)]
        self.vocabulary = real + made
        self.cumulative = list(accumulate(1 / (rank + 1) for rank in range(len(self.vocabulary))))

    def _word(self) -> str:
        return "".join(self.random.choice("etaoinshrdlucmfwypvbgk") for _ in range(3, 10))

    def sentence(self) -> str:
        size = self.random.randint(14, 26)
        words = self.random.choices(self.vocabulary, cum_weights=self.cumulative, k=size)
        return " ".join(words).capitalize() + "."

    def paragraph(self) -> str:
        return " ".join(self.sentence() for _ in range(3))

    def article(self) -> list[str]:
        return [self.paragraph() for _ in range(8)]

    def one_sentence_changed(self, paragraphs: list[str]) -> list[str]:
        edited = list(paragraphs)
        index = self.random.randrange(len(edited))
        sentences = edited[index].split(". ")
        sentences[self.random.randrange(len(sentences))] = self.sentence().rstrip(".")
        edited[index] = ". ".join(sentences)
        return edited

    def one_paragraph_replaced(self, paragraphs: list[str]) -> list[str]:
        edited = list(paragraphs)
        edited[self.random.randrange(len(edited))] = self.paragraph()
        return edited


def jaccard(left: str, right: str, size: int) -> float:
    a, b = set(shingles(tokens(left), size)), set(shingles(tokens(right), size))
    return len(a & b) / len(a | b)


def measure_speed(texts: list[str], num_perm: int) -> dict[str, float]:
    grams = [shingles(tokens(t), 5) for t in texts]
    encoded = [[g.encode() for g in doc] for doc in grams]
    start = time.perf_counter()
    for doc in grams:
        rensa_minhash = RMinHash(num_perm, 42)
        rensa_minhash.update(doc)
        rensa_minhash.digest()
    rensa_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for doc in encoded:
        datasketch_minhash = MinHash(num_perm=num_perm, seed=42)
        datasketch_minhash.update_batch(doc)
    datasketch_seconds = time.perf_counter() - start
    return {
        "rensa_docs_per_s": len(texts) / rensa_seconds,
        "datasketch_docs_per_s": len(texts) / datasketch_seconds,
        "speedup": datasketch_seconds / rensa_seconds,
    }


def measure_agreement(pairs: list[tuple[str, str]], num_perm: int, threshold: float) -> dict:
    errors: dict[str, list[float]] = {"rensa": [], "datasketch": []}
    agree = 0
    for left, right in pairs:
        truth = jaccard(left, right, 5)
        r = [RMinHash(num_perm, 42) for _ in range(2)]
        d = [MinHash(num_perm=num_perm, seed=42) for _ in range(2)]
        for text, rm, dm in zip((left, right), r, d, strict=True):
            doc = shingles(tokens(text), 5)
            rm.update(doc)
            dm.update_batch([g.encode() for g in doc])
        estimate_r, estimate_d = r[0].jaccard(r[1]), d[0].jaccard(d[1])
        errors["rensa"].append(abs(estimate_r - truth))
        errors["datasketch"].append(abs(estimate_d - truth))
        agree += (estimate_r >= threshold) == (estimate_d >= threshold)
    return {
        "pairs": len(pairs),
        "rensa_mae": statistics.fmean(errors["rensa"]),
        "datasketch_mae": statistics.fmean(errors["datasketch"]),
        "decision_agreement": agree / len(pairs),
    }


def measure_separation(factory: TextFactory, docs: list[list[str]]) -> dict:
    table = {}
    for size in (3, 4, 5):
        sentence = [
            jaccard("\n".join(p), "\n".join(factory.one_sentence_changed(p)), size) for p in docs
        ]
        paragraph = [
            jaccard("\n".join(p), "\n".join(factory.one_paragraph_replaced(p)), size) for p in docs
        ]
        table[f"k={size}"] = {
            "one_sentence_changed": _summary(sentence),
            "one_paragraph_replaced": _summary(paragraph),
        }
    return table


def _summary(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "mean": statistics.fmean(values), "max": max(values)}


def measure_detection(factory: TextFactory, docs: list[list[str]], config: DedupConfig) -> dict:
    """Feed originals, exact copies, one-sentence edits and paragraph rewrites under new ids."""
    records: list[tuple[str, str, str | None]] = []  # (key, text, true original or None)
    for n, paragraphs in enumerate(docs):
        records.append((f"o{n}", "\n".join(paragraphs), None))
        if n % 4 == 0:
            records.append((f"e{n}", "\n".join(paragraphs), f"o{n}"))
        if n % 4 == 1:
            records.append((f"s{n}", "\n".join(factory.one_sentence_changed(paragraphs)), f"o{n}"))
        if n % 4 == 2:
            records.append((f"p{n}", "\n".join(factory.one_paragraph_replaced(paragraphs)), None))
    with tempfile.TemporaryDirectory() as tmp:
        index = DedupIndex(Path(tmp) / "state.sqlite3", config)
        index.begin()
        keys: dict[int, str] = {}
        tp = fp = fn = 0
        start = time.perf_counter()
        for key, text, original in records:
            decision = index.add(key, text)
            if decision.kind == "new":
                keys[decision.row] = key
                fn += original is not None
            elif keys.get(decision.row) == original:
                tp += 1
            else:
                fp += 1
        seconds = time.perf_counter() - start
        index.commit()
        index.close()
    return {
        "records": len(records),
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / (tp + fn) if tp + fn else 1.0,
        "false_merges": fp,
        "missed": fn,
        "records_per_s": len(records) / seconds,
    }


def measure_replica(config: DedupConfig, seeds: range) -> dict | None:
    """Pairs on the replica's ground truth, then one `advance`: its edit must be a version."""
    try:
        from crawler.replica import ReplicaSite
    except ImportError:
        return None
    tp = fp = fn = versions_right = versions_wrong = 0
    for seed in seeds:
        site = ReplicaSite(n_articles=300, seed=seed)
        with tempfile.TemporaryDirectory() as tmp:
            index = DedupIndex(Path(tmp) / "state.sqlite3", config)
            index.begin()
            keys: dict[int, str] = {}
            for article in _in_publication_order(site.ground_truth()):
                decision = index.add(article["article_id"], article["text"])
                original = article["duplicate_of"]
                if decision.kind == "new":
                    keys[decision.row] = article["article_id"]
                    fn += original is not None
                elif original is not None and keys.get(decision.row) == original:
                    tp += 1
                else:
                    fp += 1
            changed = site.advance(1, 10)["changed_id"]
            for article in _in_publication_order(site.ground_truth()):
                kind = index.add(article["article_id"], article["text"]).kind
                expected = "version" if article["article_id"] == changed else kind
                if article["article_id"] == changed or kind == "version":
                    versions_right += kind == expected
                    versions_wrong += kind != expected
            index.rollback()
            index.close()
    return {
        "sites": len(seeds),
        "pair_precision": tp / (tp + fp) if tp + fp else 1.0,
        "pair_recall": tp / (tp + fn) if tp + fn else 1.0,
        "edits_found_as_versions": versions_right,
        "wrong_versions": versions_wrong,
    }


def _in_publication_order(articles: list[dict]) -> list[dict]:
    return sorted(articles, key=lambda a: (a["published_at"] or "", a["article_id"]))


def measure_state(factory: TextFactory, articles: int, config: DedupConfig) -> dict:
    """Bytes of the SQLite state per article, and that cost scaled to two million articles."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dedup.sqlite3"
        index = DedupIndex(path, config)
        index.begin()
        start = time.perf_counter()
        for n in range(articles):
            index.add(f"{10000000 + n}", "\n".join(factory.article()))
        seconds = time.perf_counter() - start
        index.commit()
        index.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        index.close()
        per_article = path.stat().st_size / articles
    return {
        "articles": articles,
        "bytes_per_article": per_article,
        "two_million_articles_gb": per_article * 2_000_000 / 1e9,
        "articles_per_s": articles / seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=1000)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--state", type=int, metavar="N", help="only measure the state of N docs")
    args = parser.parse_args()
    config = DedupConfig()
    if args.state:
        print(json.dumps(measure_state(TextFactory(seed=2), args.state, config), indent=2))
        return
    factory = TextFactory(seed=0)
    docs = [factory.article() for _ in range(args.docs)]
    texts = ["\n".join(p) for p in docs]
    edits = list(zip(texts, docs, strict=True))[:300]
    pairs = [(t, "\n".join(factory.one_sentence_changed(p))) for t, p in edits]
    pairs += [(t, "\n".join(factory.one_paragraph_replaced(p))) for t, p in edits]
    pairs += list(zip(texts[:100], texts[100:200], strict=True))
    result = {
        "config": {
            "shingle_size": config.shingle_size,
            "num_perm": config.num_perm,
            "bands": config.bands,
            "rows": config.rows,
            "threshold": config.threshold,
        },
        "mean_words": statistics.fmean(len(tokens(t)) for t in texts),
        "speed": measure_speed(texts, config.num_perm),
        "agreement": measure_agreement(pairs, config.num_perm, config.threshold),
        "separation": measure_separation(factory, docs[:300]),
        "stored_signature_vs_truth_mae": statistics.fmean(
            abs(similarity(signature(a, config), signature(b, config)) - jaccard(a, b, 5))
            for a, b in pairs
        ),
        "detection": measure_detection(factory, docs, config),
        "replica": measure_replica(config, range(1, 11)),
    }
    text = json.dumps(result, indent=2)
    print(text)
    out = args.out or Path(__file__).parent / "results" / f"dedup-{dt.date.today():%Y%m%d}.json"
    out.write_text(text + "\n")


if __name__ == "__main__":
    main()
