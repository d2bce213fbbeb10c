"""DedupIndex: article id, exact content hash and MinHash LSH, persisted in SQLite.

The Parquet exporter asks it, record by record, whether an article is new, a new version, or a
duplicate. Everything lives on disk (`OUTPUT_DIR/state/dedup.sqlite3`), so memory stays flat as
the archive grows; one export is one transaction, committed by the exporter.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import unicodedata
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from rensa import RMinHash

from crawler.checks import float_setting, int_setting
from crawler.errors import ConfigError
from crawler.state import SINGLE_SITE_RELEASE_SITE

if TYPE_CHECKING:
    from collections.abc import Iterable

    from scrapy.settings import BaseSettings

Kind = Literal["new", "version", "same_article", "exact", "near"]

_WORD = re.compile(r"\w+")
_SENTENCE_END = re.compile(r"(?<=[.!?\"])\s+|\n+")
#: `PRAGMA user_version` of the current layout; 0 is the single-site release (bare ids).
SCHEMA_VERSION = 2
_SIGNATURE_MASK = 0xFFFF  # b-bit MinHash: 16 bits per value halve the state, bias < 2e-5

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rows (
    id INTEGER PRIMARY KEY,          -- one per exported Parquet row, in export order
    key TEXT NOT NULL,               -- site:article_id, else canonical URL
    version INTEGER NOT NULL,
    cluster TEXT NOT NULL,
    content_hash BLOB NOT NULL,
    signature BLOB NOT NULL,         -- num_perm x uint16
    sentences BLOB NOT NULL          -- uint32 per sentence: 24-bit hash << 8 | words
);
CREATE TABLE IF NOT EXISTS articles (
    key TEXT PRIMARY KEY, latest_row INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS hashes (
    content_hash BLOB PRIMARY KEY, row INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS buckets (
    bucket INTEGER NOT NULL, row INTEGER NOT NULL, PRIMARY KEY (bucket, row)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS duplicates (
    url TEXT NOT NULL, row INTEGER NOT NULL, kind TEXT NOT NULL, run_id TEXT NOT NULL,
    PRIMARY KEY (url, row)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS text_parts (
    path TEXT PRIMARY KEY, run_id TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS exports (
    run_id TEXT PRIMARY KEY, rows INTEGER NOT NULL, files INTEGER NOT NULL
) WITHOUT ROWID;
"""


@dataclass(frozen=True, slots=True)
class DedupConfig:
    """MinHash LSH parameters; defaults tuned in `bench/dedup_libs.py` (see its docstring).

    Two texts are one story when the estimated Jaccard similarity of their word
    `shingle_size`-grams is at least `threshold` *and* at most `max_changed_words` words sit in
    sentences that one text has and the other lacks. Jaccard alone depends on length (one
    paragraph replaced in a 1,000-word replica article still scores 0.86-0.89); the sentence
    diff does not: one sentence changed is 8-43 words, one paragraph replaced 48-116.
    32 bands of 8 rows put the LSH candidate curve's midpoint near 0.65, so a pair at 0.8 is
    missed with probability ~1e-3.
    """

    shingle_size: int = 5  # DEDUP_SHINGLE_SIZE
    num_perm: int = 256  # DEDUP_NUM_PERM
    bands: int = 32  # DEDUP_BANDS
    threshold: float = 0.7  # DEDUP_THRESHOLD
    max_changed_words: int = 40  # DEDUP_MAX_CHANGED_WORDS
    seed: int = 42  # DEDUP_SEED; changing it (or num_perm, bands) needs a fresh state

    def __post_init__(self) -> None:
        if self.shingle_size < 1 or self.bands < 1 or self.num_perm % self.bands:
            raise ConfigError(
                f"DEDUP_SHINGLE_SIZE={self.shingle_size}, DEDUP_NUM_PERM={self.num_perm},"
                f" DEDUP_BANDS={self.bands}: expected a shingle size of at least 1 and"
                " permutations divisible by bands"
            )
        if not 0 < self.threshold <= 1:
            raise ConfigError(f"DEDUP_THRESHOLD={self.threshold}: expected a number in (0, 1]")

    @property
    def rows(self) -> int:
        return self.num_perm // self.bands

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> DedupConfig:
        default = cls()
        return cls(
            shingle_size=int_setting(settings, "DEDUP_SHINGLE_SIZE", default.shingle_size),
            num_perm=int_setting(settings, "DEDUP_NUM_PERM", default.num_perm),
            bands=int_setting(settings, "DEDUP_BANDS", default.bands),
            threshold=float_setting(settings, "DEDUP_THRESHOLD", default.threshold),
            max_changed_words=int_setting(
                settings, "DEDUP_MAX_CHANGED_WORDS", default.max_changed_words
            ),
            seed=int_setting(settings, "DEDUP_SEED", default.seed),
        )


def tokens(text: str) -> list[str]:
    """Words of NFKC-folded, case-folded text; punctuation and spacing do not count."""
    folded = text if text.isascii() else unicodedata.normalize("NFKC", text)
    return _WORD.findall(folded.casefold())


def content_hash(text: str) -> str:
    """128-bit hash of the normalised text: equal for texts that differ only in form."""
    return _words_hash(tokens(text))


def shingles(words: list[str], size: int) -> list[str]:
    if len(words) <= size:
        return [" ".join(words)]
    return [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]


def signature(text: str, config: DedupConfig) -> array[int]:
    """MinHash of the text's word shingles, each value cut to 16 bits for compact storage."""
    return _words_signature(tokens(text), config)


def similarity(left: array[int], right: array[int]) -> float:
    """Estimated Jaccard similarity: the share of equal MinHash values."""
    return sum(a == b for a, b in zip(left, right, strict=True)) / len(left)


def sentence_digest(text: str) -> array[int]:
    """Per sentence, a 24-bit hash of its words and their count (capped at 255)."""
    return _sentences_digest(_sentence_words(text))


@dataclass(frozen=True, slots=True)
class Sketch:
    """Everything dedup compares, from one pass of tokenising (the costly part)."""

    content_hash: str
    signature: array[int]
    sentences: array[int]
    indexed: bool  # False for a text without words: matched by key only, never by content
    config: DedupConfig  # what it was computed with; an index recomputes any other

    @classmethod
    def of(cls, text: str, config: DedupConfig) -> Sketch:
        # Sentence breaks are whitespace, which no word spans: the sentences' words, joined,
        # are the text's words.
        per_sentence = _sentence_words(text)
        words = [word for sentence in per_sentence for word in sentence]
        return cls(
            _words_hash(words),
            _words_signature(words, config),
            _sentences_digest(per_sentence),
            bool(words),
            config,
        )


def _words_hash(words: list[str]) -> str:
    return hashlib.blake2b(" ".join(words).encode(), digest_size=16).hexdigest()


def _words_signature(words: list[str], config: DedupConfig) -> array[int]:
    minhash = RMinHash(config.num_perm, config.seed)
    minhash.update(shingles(words, config.shingle_size))
    return array("H", (value & _SIGNATURE_MASK for value in minhash.digest()))


def _sentence_words(text: str) -> list[list[str]]:
    return [words for sentence in _SENTENCE_END.split(text) if (words := tokens(sentence))]


def _sentences_digest(per_sentence: list[list[str]]) -> array[int]:
    digest = array("I")
    for words in per_sentence:
        key = hashlib.blake2b(" ".join(words).encode(), digest_size=3).digest()
        digest.append(int.from_bytes(key, "little") << 8 | min(len(words), 255))
    return digest


def changed_words(left: array[int], right: array[int]) -> int:
    """Words in sentences only one side has, the larger side: an edit's size in words."""
    a, b = set(left), set(right)
    return max(sum(v & 0xFF for v in a - b), sum(v & 0xFF for v in b - a))


def band_buckets(sig: array[int], config: DedupConfig) -> list[int]:
    """One signed 64-bit bucket key per band (SQLite integers are signed)."""
    keys = []
    for band in range(config.bands):
        chunk = sig[band * config.rows : (band + 1) * config.rows]
        digest = hashlib.blake2b(band.to_bytes(2, "little") + chunk.tobytes(), digest_size=8)
        keys.append(int.from_bytes(digest.digest(), "little", signed=True))
    return keys


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do with one record: emit a row (`new`, `version`) or fold it into `row`."""

    kind: Kind
    row: int  # the state row emitted, or the one this record duplicates
    version: int
    cluster: str
    content_hash: str


class DedupIndex:
    """Layered dedup against everything exported so far, kept on disk."""

    def __init__(self, path: Path, config: DedupConfig) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.config = config
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(_SCHEMA)
        self._migrate()

    def _migrate(self) -> None:
        """The single-site release keyed articles by bare id: scope them by that site, in
        keys and cluster names alike, so they cannot meet another site's ids."""
        if self.db.execute("PRAGMA user_version").fetchone()[0] >= SCHEMA_VERSION:
            return
        prefix = f"{SINGLE_SITE_RELEASE_SITE}:"
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            for table in ("rows", "articles"):
                self.db.execute(
                    f"UPDATE {table} SET key = ? || key WHERE key NOT LIKE '%:%'", (prefix,)
                )
            self.db.execute(
                "UPDATE rows SET cluster = ? || cluster WHERE cluster NOT LIKE '%:%'", (prefix,)
            )
            self.db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def close(self) -> None:
        self.db.close()

    def begin(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.db.execute("COMMIT")

    def rollback(self) -> None:
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")

    def add(self, key: str, text: str, sketch: Sketch | None = None) -> Decision:
        """Classify a text under its article key and record it; call inside a transaction.

        A known key is compared with its latest version only: unchanged (or above the
        threshold) adds nothing, anything else is the next version, never dropped. An unknown
        key is checked against all content by exact hash, then by LSH candidates. `sketch`,
        if given, is `Sketch.of(text, ...)` computed elsewhere; one made with another config
        is ignored.
        """
        if sketch is None or sketch.config != self.config:
            sketch = Sketch.of(text, self.config)
        digest = sketch.content_hash
        latest = self.db.execute(
            "SELECT r.id, r.version, r.cluster, r.content_hash, r.signature, r.sentences"
            " FROM articles a"
            " JOIN rows r ON r.id = a.latest_row WHERE a.key = ?",
            (key,),
        ).fetchone()
        if latest is not None:
            row, version, cluster, old_hash, old_sig, old_sentences = latest
            if old_hash.hex() == digest or self._same_story(sketch, old_sig, old_sentences):
                return Decision("same_article", row, version, cluster, old_hash.hex())
            return self._insert("version", key, version + 1, sketch)
        if not sketch.indexed:
            return self._insert("new", key, 1, sketch)
        found = self.db.execute(
            "SELECT r.id, r.version, r.cluster FROM hashes h JOIN rows r ON r.id = h.row"
            " WHERE h.content_hash = ?",
            (bytes.fromhex(digest),),
        ).fetchone()
        if found is not None:
            return Decision("exact", found[0], found[1], found[2], digest)
        near = self._nearest(sketch)
        if near is not None:
            return Decision("near", near[0], near[1], near[2], digest)
        return self._insert("new", key, 1, sketch)

    def record_duplicate(self, url: str, row: int, kind: str, run_id: str) -> None:
        """Keep the lineage of a duplicate whose row was written by an earlier export."""
        self.db.execute(
            "INSERT OR IGNORE INTO duplicates VALUES (?, ?, ?, ?)", (url, row, kind, run_id)
        )

    def mark_exported(self, run_id: str, parts: Iterable[str], rows: int, files: int) -> None:
        self.db.executemany(
            "INSERT OR REPLACE INTO text_parts VALUES (?, ?)", ((p, run_id) for p in parts)
        )
        self.db.execute("INSERT OR REPLACE INTO exports VALUES (?, ?, ?)", (run_id, rows, files))

    def exported_parts(self) -> set[str]:
        return {path for (path,) in self.db.execute("SELECT path FROM text_parts")}

    def is_exported(self, run_id: str) -> bool:
        found = self.db.execute("SELECT 1 FROM exports WHERE run_id = ?", (run_id,))
        return found.fetchone() is not None

    def _same_story(self, sketch: Sketch, stored_sig: bytes, stored_sentences: bytes) -> bool:
        if similarity(sketch.signature, array("H", stored_sig)) < self.config.threshold:
            return False
        return changed_words(sketch.sentences, array("I", stored_sentences)) <= (
            self.config.max_changed_words
        )

    def _nearest(self, sketch: Sketch) -> tuple[int, int, str] | None:
        """The most similar row that is the same story (earliest on ties), from disk."""
        buckets = band_buckets(sketch.signature, self.config)
        marks = ",".join("?" * len(buckets))
        candidates = self.db.execute(
            "SELECT id, version, cluster, signature, sentences FROM rows WHERE id IN"
            f" (SELECT DISTINCT row FROM buckets WHERE bucket IN ({marks})) ORDER BY id",
            buckets,
        ).fetchall()
        best: tuple[float, int, int, str] | None = None
        for row, version, cluster, stored, stored_sentences in candidates:
            if not self._same_story(sketch, stored, stored_sentences):
                continue
            score = similarity(sketch.signature, array("H", stored))
            if best is None or score > best[0]:
                best = (score, row, version, cluster)
        return None if best is None else best[1:]

    def _insert(self, kind: Kind, key: str, version: int, sketch: Sketch) -> Decision:
        cluster = key if version == 1 else f"{key}@v{version}"
        hash_bytes = bytes.fromhex(sketch.content_hash)
        row = self.db.execute(
            "INSERT INTO rows (key, version, cluster, content_hash, signature, sentences)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                key,
                version,
                cluster,
                hash_bytes,
                sketch.signature.tobytes(),
                sketch.sentences.tobytes(),
            ),
        ).lastrowid
        assert row is not None
        self.db.execute("INSERT OR REPLACE INTO articles VALUES (?, ?)", (key, row))
        decision = Decision(kind, row, version, cluster, sketch.content_hash)
        if not sketch.indexed:
            return decision
        self.db.execute("INSERT OR IGNORE INTO hashes VALUES (?, ?)", (hash_bytes, row))
        self.db.executemany(
            "INSERT OR IGNORE INTO buckets VALUES (?, ?)",
            ((bucket, row) for bucket in band_buckets(sketch.signature, self.config)),
        )
        return decision
