from __future__ import annotations

import random
from pathlib import Path

import pytest

from crawler.dedup import (
    DedupConfig,
    DedupIndex,
    Sketch,
    changed_words,
    content_hash,
    sentence_digest,
    signature,
    similarity,
)
from crawler.replica import ReplicaSite
from tests.crawling import SHARED

_LETTERS = "etaoinshrdlucmfwypvbgk"
_VOCABULARY = [
    "".join(random.Random(n).choice(_LETTERS) for _ in range(3 + n % 7)) for n in range(4000)
]
_WEIGHTS = [1 / (rank + 1) for rank in range(len(_VOCABULARY))]


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choices(_VOCABULARY, _WEIGHTS, k=rng.randint(14, 26))).capitalize() + "."


def paragraphs(seed: int) -> list[str]:
    """A ~500-word article like the replica's: eight paragraphs of three sentences."""
    rng = random.Random(seed)
    return [" ".join(sentence(rng) for _ in range(3)) for _ in range(8)]


def one_sentence_changed(parts: list[str], seed: int) -> list[str]:
    rng = random.Random(f"edit-{seed}")
    edited = list(parts)
    index = rng.randrange(len(edited))
    sentences = edited[index].split(". ")
    sentences[rng.randrange(len(sentences))] = sentence(rng).rstrip(".")
    edited[index] = ". ".join(sentences)
    return edited


def one_paragraph_replaced(parts: list[str], seed: int) -> list[str]:
    rng = random.Random(f"edit-{seed}")
    edited = list(parts)
    edited[rng.randrange(len(edited))] = " ".join(sentence(rng) for _ in range(3))
    return edited


def text(parts: list[str]) -> str:
    return "\n\n".join(parts)


@pytest.fixture
def index(tmp_path: Path) -> DedupIndex:
    index = DedupIndex(tmp_path / "state" / "dedup.sqlite3", DedupConfig())
    index.begin()
    return index


def test_content_hash_ignores_case_spacing_and_punctuation() -> None:
    assert content_hash("Seoul, Beijing  hold talks.") == content_hash("seoul beijing\nhold TALKS")
    assert content_hash("Seoul hold talks") != content_hash("Seoul held talks")


def test_one_pass_sketch_matches_the_separate_measures() -> None:
    """`Sketch.of` tokenises once; it must agree with hashing, MinHash and sentences alone."""
    config = DedupConfig()
    real = [path.read_text() for path in (SHARED / "seeds").glob("0*")]  # when shared/ is there
    replica = ReplicaSite(n_articles=30, seed=3).articles
    articles = ["\n\n".join(article.paragraphs) for article in replica[:5]]
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in "Full SEOUL")
    odd = f"{full_width}.\u00a0Cafe\u0301 costs \u20a91,000!\n\n\u201cQuoted.\u201d Next line"
    for sample in [*real, *articles, text(paragraphs(7)), odd, "", " .. "]:
        sketch = Sketch.of(sample, config)
        assert sketch.content_hash == content_hash(sample)
        assert sketch.signature == signature(sample, config)
        assert sketch.sentences == sentence_digest(sample)
        assert sketch.indexed == bool(sample.strip(" ."))


def test_a_sketch_made_with_another_config_is_not_trusted(index: DedupIndex) -> None:
    original = text(paragraphs(3))
    first = index.add("10000003", original)
    foreign = Sketch.of(text(paragraphs(4)), DedupConfig(num_perm=128, bands=16))
    again = index.add("10000003", original, foreign)
    assert (again.kind, again.row) == ("same_article", first.row)


def test_sentence_edit_is_the_same_story_and_paragraph_rewrite_is_not() -> None:
    config = DedupConfig()
    for seed in range(60):
        original = text(paragraphs(seed))
        sentence_edit = text(one_sentence_changed(paragraphs(seed), seed))
        rewrite = text(one_paragraph_replaced(paragraphs(seed), seed))
        base = signature(original, config)
        assert similarity(base, signature(sentence_edit, config)) >= config.threshold
        assert similarity(base, signature(text(paragraphs(seed + 1000)), config)) < 0.2
        base_sentences = sentence_digest(original)
        edit_words = changed_words(base_sentences, sentence_digest(sentence_edit))
        rewrite_words = changed_words(base_sentences, sentence_digest(rewrite))
        assert 0 < edit_words <= config.max_changed_words < rewrite_words


def test_layers_decide_new_same_version_exact_near(index: DedupIndex) -> None:
    original = paragraphs(1)
    first = index.add("10000001", text(original))
    assert (first.kind, first.version, first.cluster) == ("new", 1, "10000001")
    assert index.add("10000001", text(original)).kind == "same_article"
    assert index.add("10000001", text(one_sentence_changed(original, 1))).kind == "same_article"
    exact = index.add("20200116000798", text(original).upper())
    assert (exact.kind, exact.row, exact.cluster) == ("exact", first.row, "10000001")
    near = index.add("10000002", text(one_sentence_changed(original, 2)))
    assert (near.kind, near.row) == ("near", first.row)
    version = index.add("10000001", text(one_paragraph_replaced(original, 3)))
    assert (version.kind, version.version, version.cluster) == ("version", 2, "10000001@v2")
    assert index.add("10000003", text(paragraphs(3))).kind == "new"


def test_empty_texts_are_never_content_duplicates(index: DedupIndex) -> None:
    assert index.add("10000001", "").kind == "new"
    assert index.add("10000002", "").kind == "new"
    assert index.add("10000002", "").kind == "same_article"


def test_state_persists_only_when_committed(tmp_path: Path) -> None:
    path = tmp_path / "dedup.sqlite3"
    index = DedupIndex(path, DedupConfig())
    index.begin()
    index.add("10000001", text(paragraphs(1)))
    index.rollback()
    index.begin()
    index.add("10000002", text(paragraphs(2)))
    index.mark_exported("run-1", ["text/r1/part-00000.jsonl.gz"], rows=1, files=1)
    index.commit()
    index.close()
    reopened = DedupIndex(path, DedupConfig())
    reopened.begin()
    assert reopened.add("10000001", text(paragraphs(1))).kind == "new"
    assert reopened.add("10000002", text(paragraphs(2))).kind == "same_article"
    assert reopened.exported_parts() == {"text/r1/part-00000.jsonl.gz"}
    assert reopened.is_exported("run-1")


def test_state_bytes_per_article_stay_small(tmp_path: Path) -> None:
    """500 articles; `python -m bench.dedup_libs --state 20000` gives the documented figure."""
    path = tmp_path / "dedup.sqlite3"
    index = DedupIndex(path, DedupConfig())
    index.begin()
    for n in range(500):
        index.add(f"{10000000 + n}", text(paragraphs(n)))
    index.commit()
    index.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    index.close()
    assert path.stat().st_size / 500 < 2048


def test_replica_duplicates_collapse_and_its_edit_is_a_version(index: DedupIndex) -> None:
    from crawler.replica import ReplicaSite

    site = ReplicaSite(n_articles=120, seed=5)
    kept: dict[int, str] = {}
    for article in sorted(site.ground_truth(), key=lambda a: a["published_at"] or ""):
        decision = index.add(article["article_id"], article["text"])
        if decision.kind == "new":
            assert article["duplicate_of"] is None
            kept[decision.row] = article["article_id"]
        else:
            assert (decision.kind, kept[decision.row]) == (
                article["duplicate_kind"],
                article["duplicate_of"],
            )
    changed = site.advance(1, 5)["changed_id"]
    kinds = {
        a["article_id"]: index.add(a["article_id"], a["text"]).kind for a in site.ground_truth()
    }
    assert kinds.pop(changed) == "version"
    assert set(kinds.values()) <= {"same_article", "new", "exact", "near"}
    assert sum(kind == "new" for kind in kinds.values()) == 5
