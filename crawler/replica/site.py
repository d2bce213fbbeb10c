"""The replica's content model: a deterministic set of Korea Herald articles and its clock.

Everything is derived from `seed` through `random.Random`, never from the wall clock, so two
sites built with the same arguments serve byte-identical pages and the same ground truth.
"""

from __future__ import annotations

import bisect
import json
import random
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from crawler.replica import text

KST = timezone(timedelta(hours=9), "KST")
DEFAULT_NOW = datetime(2026, 11, 20, 6, 0, tzinfo=KST)
DEFAULT_SEED = 20241201

CURRENT_START = datetime(2024, 12, 1, 9, 0, tzinfo=KST)
REDESIGN_START = datetime(2023, 8, 14, 9, 0, tzinfo=KST)
REDESIGN_END = datetime(2024, 11, 30, 22, 0, tzinfo=KST)
LEGACY_START = datetime(2012, 1, 2, 9, 0, tzinfo=KST)
LEGACY_END = datetime(2023, 8, 13, 22, 0, tzinfo=KST)

#: Current sections and their sub-section path segments with visible labels.
SECTIONS: dict[str, dict[str, str]] = {
    "National": {
        "Politics": "Politics",
        "SocialAffairs": "Social Affairs",
        "ForeignAffairs": "Foreign Affairs",
        "Defense": "Defense",
        "NorthKorea": "North Korea",
        "CourtsandLaw": "Courts & Law",
    },
    "Business": {
        "Market": "Market",
        "Technology": "Technology",
        "Industry": "Industry",
        "Finance": "Finance",
        "Economy": "Economy",
    },
    "LifenCulture": {"Culture": "Culture", "Travel": "Travel", "Food": "Food", "People": "People"},
    "Sports": {"Soccer": "Soccer", "Baseball": "Baseball", "Golf": "Golf"},
    "World": {"WorldNews": "World News", "WorldBusiness": "World Business"},
    "Opinion": {"Editorial": "Editorial", "Viewpoints": "Viewpoints"},
    "Kpop": {},
}
SECTION_LABELS = {
    "National": "National",
    "Business": "Business",
    "LifenCulture": "Life & Culture",
    "Sports": "Sports",
    "World": "World",
    "Opinion": "Opinion",
    "Kpop": "K-pop",
}
#: Legacy ct codes (doc section 2): code -> (top-level label, sub label or None).
LEGACY_CODES: dict[str, tuple[str, str | None]] = {
    "020100000000": ("National", None),
    "020101000000": ("National", "Politics"),
    "020102000000": ("National", "Social Affairs"),
    "020103000000": ("National", "Foreign Affairs"),
    "020103010000": ("National", "Diplomatic Circuit"),
    "020104000000": ("National", "North Korea"),
    "020106000000": ("National", "Defense"),
    "020107000000": ("National", "Science"),
    "020108000000": ("National", "Sharing"),
    "020109000000": ("National", "Education"),
    "020110000000": ("National", "Environment"),
    "020112000000": ("National", "Diplomatic Circuit"),
    "020200000000": ("Business", None),
    "020201000000": ("Business", "Economy"),
    "020202000000": ("Business", "Finance"),
    "020203000000": ("Business", "Industry"),
    "020205000000": ("Business", "Automode"),
    "020206000000": ("Business", "Technology"),
    "020207000000": ("Business", "Management"),
    "020300000000": ("Life&Style", None),
    "020301000000": ("Life&Style", "Travel"),
    "020302000000": ("Life&Style", "Fashion"),
    "020303000000": ("Life&Style", "Food & Beverage"),
    "020303030000": ("Life&Style", "Food"),
    "020304000000": ("Life&Style", "Books"),
    "020305000000": ("Life&Style", "People"),
    "020306000000": ("Life&Style", "Expat Living"),
    "020307000000": ("Life&Style", "Culture"),
    "020308000000": ("Life&Style", "Arts & Design"),
    "020309000000": ("Life&Style", "Health"),
    "020400000000": ("Entertainment", None),
    "020401000000": ("Entertainment", "Film"),
    "020402000000": ("Entertainment", "Television"),
    "020403000000": ("Entertainment", "Music"),
    "020404000000": ("Entertainment", "Theater"),
    "020405000000": ("Entertainment", "Hallyu"),
    "020409000000": ("Entertainment", "K-pop"),
    "020500000000": ("Sports", None),
    "020501000000": ("Sports", "Soccer"),
    "020502000000": ("Sports", "Baseball"),
    "020503000000": ("Sports", "Golf"),
    "020504000000": ("Sports", "More Sports"),
    "020600000000": ("Opinion", None),
    "020601000000": ("Opinion", "Editorial"),
    "020603000000": ("Opinion", "Viewpoints"),
    "020603010000": ("Opinion", "Columnists"),
    "020604000000": ("Opinion", "Voice"),
    "021200000000": ("World", None),
    "021201000000": ("World", "World News"),
    "021202000000": ("World", "World Business"),
    "021204000000": ("World", "Asia News Network"),
}
ALL_CODE = "020000000000"
#: Codes that never listed anything on the legacy site; they now redirect to the home page.
REDIRECT_CODES = frozenset({"021900000000"})
TOP_CODES = {label: code for code, (label, sub) in LEGACY_CODES.items() if sub is None}
ARTICLE_CODES = [code for code, (_, sub) in LEGACY_CODES.items() if sub and code[8:] == "0000"]

SEED_UD = "20200116000798"
SEED_TITLE = "S. Korea, China hold working-level defense talks over peninsula"
DATA_DIR = Path(__file__).with_name("data")

KIND_ARTICLE = "article"
KIND_NO_BODY = "no_body"
KIND_GONE = "gone"


@dataclass
class Figure:
    """An image shown after body paragraph `after` (0-based); its caption is not gold text."""

    src: str
    caption: str
    after: int


@dataclass(eq=False)
class Article:
    """One page of the site. `kind` says whether it is a real article, a no-body page or a 404."""

    article_id: str
    template: str  # "current" | "redesign2023" | "legacy"
    title: str
    subtitle: str | None
    authors: list[str]
    byline: str  # the visible byline, e.g. "By Kim Ji-hyun, Lee Min-ji"
    section: str  # current path segment ("LifenCulture") or legacy label ("Life&Style")
    subsection: str | None  # current path segment ("Market") or legacy ct code
    published: datetime  # KST
    updated: datetime | None  # KST
    paragraphs: list[str]
    keywords: list[str]
    charset: str = "utf-8"  # "utf-8" | "euc-kr" | "undeclared"
    figures: list[Figure] = field(default_factory=list)
    kind: str = KIND_ARTICLE
    duplicate_of: str | None = None
    duplicate_kind: str | None = None
    alias_ud: str | None = None  # legacy view.php alias that 301s to the current URL
    slash_link: bool = False  # section listings link it as /article/N/
    rss_ref: bool = False  # feeds link it with ?ref=rss
    body_style: str = "p"  # legacy B body markup: "p", "br" or "mixed"

    @property
    def canonical_path(self) -> str:
        if self.template == "current":
            return f"/article/{self.article_id}"
        return f"/view.php?ud={self.article_id}"

    @property
    def ct(self) -> str | None:
        """The legacy ct code of the article's sub-section (legacy templates only)."""
        return None if self.template == "current" else self.subsection

    @property
    def section_path(self) -> str:
        """The current-site listing path of the article's sub-section (or section)."""
        if self.subsection:
            return f"/{self.section}/{self.subsection}"
        return f"/{self.section}"

    @property
    def last_modified(self) -> datetime:
        return self.updated or self.published


def _utc_iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def _seed_paragraphs() -> list[str]:
    raw = (DATA_DIR / f"seed_{SEED_UD}.txt").read_text(encoding="utf-8")
    return [p.strip() for p in re.split(r"\n\s*\n", raw) if p.strip()]


class ReplicaSite:
    """The whole site at one instant; `advance()` moves the clock and publishes more."""

    def __init__(
        self,
        n_articles: int = 300,
        seed: int = DEFAULT_SEED,
        now: datetime = DEFAULT_NOW,
    ) -> None:
        if n_articles < 30:
            raise ValueError("n_articles must be at least 30")
        if now.tzinfo is None:
            now = now.replace(tzinfo=KST)
        self.seed = seed
        self.lock = threading.RLock()  # held by the server while rendering
        self.now = now.astimezone(KST)
        self.rng = random.Random(seed)
        self.articles: list[Article] = []
        self._titles: set[str] = set()
        self._uds: set[str] = set()
        self._reporters = [text.person_name(self.rng) for _ in range(40)]
        self._last_current_id = 0
        self._advances = 0
        self._views: _Views | None = None
        self._build(n_articles)

    # ---- construction -------------------------------------------------------------------

    def _build(self, n: int) -> None:
        rng = self.rng
        n_current = round(n * 0.6)
        n_redesign = round(n * 0.15)
        n_legacy = n - n_current - n_redesign
        legacy_times = [_rand_time(rng, LEGACY_START, LEGACY_END) for _ in range(n_legacy - 1)]
        for moment in legacy_times:
            self.articles.append(self._make_legacy(moment, "legacy"))
        self.articles.append(self._make_seed())
        for _ in range(n_redesign):
            moment = _rand_time(rng, REDESIGN_START, REDESIGN_END)
            self.articles.append(self._make_legacy(moment, "redesign2023"))
        # Legacy charsets: a few EUC-KR pages with Hangul, about a fifth undeclared.
        legacy_b = [a for a in self.articles if a.template == "legacy" and a.article_id != SEED_UD]
        for article in rng.sample(legacy_b, max(2, len(legacy_b) // 20)):
            article.charset = "euc-kr"
            article.paragraphs.insert(
                rng.randint(1, len(article.paragraphs)), rng.choice(text.HANGUL)
            )
        plain = [a for a in legacy_b if a.charset == "utf-8"]
        for article in rng.sample(plain, max(1, len(plain) // 5)):
            article.charset = "undeclared"

        recent = max(10, n_current // 8)
        duplicates = 2  # the second copies of the exact and near wire duplicates
        times = [_rand_time(rng, self.now - timedelta(days=3), self.now) for _ in range(recent)]
        span_end = self.now - timedelta(days=3)
        span = (span_end - CURRENT_START).total_seconds()
        for _ in range(n_current - recent - duplicates):
            # u**0.6 skews publication towards `now`, so recent months are denser.
            times.append(CURRENT_START + timedelta(seconds=int(span * rng.random() ** 0.6)))
        times.sort()
        current = [self._make_current(moment) for moment in times]
        pairs = self._add_duplicates(current)
        # Special pages: one photo page without a body and one deleted article.
        for kind in (KIND_NO_BODY, KIND_GONE):
            moment = _rand_time(rng, self.now - timedelta(days=20), self.now - timedelta(days=4))
            page = self._make_current(moment)
            page.kind = kind
            if kind == KIND_NO_BODY:
                page.paragraphs = []
                page.title = "[Photo News] " + page.title
            current.append(page)
        current.sort(key=_pub)
        for page in current:
            page.article_id = str(self._next_current_id(page.published))
        for copy, original in pairs:
            copy.duplicate_of = original.article_id
        ordinary = [a for a in current if a.kind == KIND_ARTICLE and a.duplicate_kind is None]
        for article in ordinary:
            article.slash_link = rng.random() < 0.15
            article.rss_ref = rng.random() < 0.4
        for article in sorted(rng.sample(ordinary[: len(ordinary) // 3], 3), key=_pub):
            article.alias_ud = self._new_ud(article.published)
        self.articles.extend(current)
        self.articles.sort(key=_pub)

    def _add_duplicates(self, current: list[Article]) -> list[tuple[Article, Article]]:
        """One wire story republished verbatim, one republished with one sentence changed."""
        rng = self.rng
        candidates = [a for a in current[: len(current) * 3 // 4] if a.authors != ["Yonhap"]]
        pairs = []
        for kind, original in zip(("exact", "near"), rng.sample(candidates, 2), strict=True):
            original.authors, original.byline = ["Yonhap"], "By Yonhap"
            original.paragraphs[-1] = original.paragraphs[-1].rstrip() + " (Yonhap)"
            copy = self._make_current(original.published + timedelta(minutes=rng.randint(20, 300)))
            copy.authors, copy.byline = ["Yonhap"], "By Yonhap"
            copy.paragraphs = list(original.paragraphs)
            copy.figures = []
            copy.duplicate_kind = kind
            if kind == "near":
                index = rng.randrange(len(copy.paragraphs) - 1)
                sentences = re.split(r'(?<=[.!?"]) ', copy.paragraphs[index])
                sentences[0] = text.Writer(rng, copy.section).sentence()
                copy.paragraphs[index] = " ".join(sentences)
            current.append(copy)
            pairs.append((copy, original))
        return pairs

    def _next_current_id(self, moment: datetime) -> int:
        minutes = int((moment - CURRENT_START).total_seconds() // 60)
        linear = 10_008_700 + int(minutes * 0.82)
        value = max(linear, self._last_current_id + 1 + self.rng.randint(0, 40))
        self._last_current_id = value
        return value

    def _new_ud(self, moment: datetime) -> str:
        while True:
            ud = moment.strftime("%Y%m%d") + f"{self.rng.randint(1, 999):06d}"
            if ud not in self._uds and ud != SEED_UD:
                self._uds.add(ud)
                return ud

    def _unique_title(self, writer: text.Writer) -> str:
        title = text.unique_title(writer, self._titles)
        self._titles.add(title)
        return title

    def _byline(self) -> tuple[list[str], str]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.15:
            return ["Yonhap"], "By Yonhap"
        if roll < 0.3:
            pair = rng.sample(self._reporters, 2)
            if rng.random() < 0.5:
                return pair, f"By {pair[0]}, {pair[1]}"
            return pair, f"{pair[0]} and {pair[1]}"
        name = rng.choice(self._reporters)
        return [name], f"By {name}"

    def _make_current(self, moment: datetime) -> Article:
        rng = self.rng
        section = rng.choice(list(SECTIONS))
        subs = list(SECTIONS[section])
        sub = rng.choice(subs) if subs and rng.random() < 0.8 else None
        writer = text.Writer(rng, section)
        authors, byline = self._byline()
        paragraphs = writer.paragraphs()
        if authors == ["Yonhap"]:
            paragraphs[-1] += " (Yonhap)"
        moment = moment.replace(microsecond=0)
        updated = moment
        if rng.random() < 0.4:
            updated = moment + timedelta(minutes=rng.randint(5, 600))
            updated = min(updated, self.now)
        figures = []
        for _ in range(rng.choice((0, 1, 1, 2))):
            name = f"news-p.v1.{moment:%Y%m%d}.{rng.getrandbits(128):032x}_P1.jpg"
            figures.append(
                Figure(
                    f"https://wimg.heraldcorp.com/news/cms/{moment:%Y/%m/%d}/{name}",
                    writer.caption(),
                    rng.randrange(len(paragraphs) - 1),
                )
            )
        return Article(
            article_id="",
            template="current",
            title=self._unique_title(writer),
            subtitle=rng.choice(text.SUBTITLES) if rng.random() < 0.5 else None,
            authors=authors,
            byline=byline,
            section=section,
            subsection=sub,
            published=moment,
            updated=max(updated, moment),
            paragraphs=paragraphs,
            keywords=writer.keywords(),
            figures=sorted(figures, key=lambda f: f.after),
        )

    def _make_legacy(self, moment: datetime, template: str) -> Article:
        rng = self.rng
        moment = moment.replace(second=0, microsecond=0)
        code = rng.choice(ARTICLE_CODES)
        label = LEGACY_CODES[code][0]
        writer = text.Writer(rng, text.LEGACY_VOCAB[label])
        authors, byline = self._byline()
        paragraphs = writer.paragraphs()
        if authors == ["Yonhap"]:
            paragraphs[-1] += " (Yonhap)"
        updated: datetime | None = moment
        if rng.random() < 0.3:
            updated = moment + timedelta(minutes=rng.randint(5, 300))
        if template == "redesign2023" and rng.random() < 0.5:
            updated = None
        figures = []
        if rng.random() < 0.6:
            src = f"http://res.heraldm.com/content/image/{moment:%Y/%m/%d}/{moment:%Y%m%d}"
            figures.append(Figure(f"{src}{rng.randint(100, 999):06d}_0.jpg", writer.caption(), 0))
        subtitle_odds = 0.3 if template == "legacy" else 0.4
        return Article(
            article_id=self._new_ud(moment),
            template=template,
            title=self._unique_title(writer),
            subtitle=rng.choice(text.SUBTITLES) if rng.random() < subtitle_odds else None,
            authors=authors,
            byline=byline,
            section=label,
            subsection=code,
            published=moment,
            updated=updated,
            paragraphs=paragraphs,
            keywords=writer.keywords() if template == "redesign2023" else [],
            figures=figures,
            body_style=rng.choice(("p", "br", "mixed")),
        )

    def _make_seed(self) -> Article:
        moment = datetime(2020, 1, 16, 21, 21, tzinfo=KST)
        self._titles.add(SEED_TITLE)
        return Article(
            article_id=SEED_UD,
            template="legacy",
            title=SEED_TITLE,
            subtitle=None,
            authors=["Yonhap"],
            byline="By Yonhap",
            section="National",
            subsection="020106000000",
            published=moment,
            updated=moment,
            paragraphs=_seed_paragraphs(),
            keywords=[],
            figures=[
                Figure(
                    "http://res.heraldm.com/content/image/2020/01/16/20200116000799_0.jpg",
                    "(Yonhap)",
                    2,
                )
            ],
            body_style="br",
        )

    # ---- queries ---------------------------------------------------------------------------

    def get(self, article_id: str) -> Article | None:
        return self._indexed().by_id.get(article_id)

    def by_alias(self, ud: str) -> Article | None:
        return self._indexed().by_alias.get(ud)

    def current_pages(self) -> list[Article]:
        """Every /article/N page, newest first (including the no-body page and the 404)."""
        return self._indexed().current

    def live_current(self) -> list[Article]:
        """Current pages a feed or sitemap would carry (no 404), newest first."""
        return self._indexed().live_current

    def stories(self) -> list[Article]:
        """Current articles with a body, newest first."""
        return self._indexed().stories

    def legacy_pages(self) -> list[Article]:
        """Legacy-era (B and C) articles, newest first."""
        return self._indexed().legacy

    def stories_before(self, article: Article) -> list[Article]:
        """Stories published before `article`, newest first (stable under advance)."""
        return self._indexed().before(article, "stories")

    def legacy_before(self, article: Article) -> list[Article]:
        """Legacy pages published before `article`, newest first."""
        return self._indexed().before(article, "legacy")

    def _indexed(self) -> _Views:
        """Lookups and sorted views, rebuilt only when articles were added: the server asks
        for them on every request, and scanning 10,000 articles each time made the replica,
        not the crawler, the bottleneck of large benchmark runs."""
        key = (len(self.articles), self._advances)
        if self._views is None or self._views.key != key:
            self._views = _Views.build(self.articles, key)
        return self._views

    def no_body_ids(self) -> list[str]:
        return [a.article_id for a in self.articles if a.kind == KIND_NO_BODY]

    def gone_ids(self) -> list[str]:
        return [a.article_id for a in self.articles if a.kind == KIND_GONE]

    def section_items(self, section: str, sub: str | None) -> list[Article]:
        """Items of a current listing page: the section including its sub-sections."""
        return [
            a
            for a in self.current_pages()
            if a.section == section and (sub is None or a.subsection == sub)
        ]

    def legacy_items(self, ct: str) -> list[Article]:
        pages = self.legacy_pages()
        if ct == ALL_CODE:
            return pages
        if ct in TOP_CODES.values():
            return [a for a in pages if a.subsection and a.subsection[:4] == ct[:4]]
        return [a for a in pages if a.subsection == ct]

    def feed_items(self, section: str | None) -> list[Article]:
        """Items of /rss/newsAll (section None, 50 newest) or /rss/kh_<section> (30 newest)."""
        if section is None:
            return self.stories()[:50]
        return [a for a in self.stories() if a.section == section][:30]

    def home_items(self) -> list[Article]:
        return self.stories()[:12]

    def news_sitemap_items(self) -> list[Article]:
        cutoff = self.now - timedelta(days=2)
        return [a for a in self.live_current() if a.published > cutoff]

    # ---- linked URL variants ----------------------------------------------------------------

    def home_link(self, article: Article, position: int) -> str:
        """Every third top story carries campaign parameters."""
        if position % 3 == 1:
            return f"{article.canonical_path}?utm_source=homepage&utm_medium=top_stories"
        return article.canonical_path

    def listing_link(self, article: Article) -> str:
        return article.canonical_path + ("/" if article.slash_link else "")

    def feed_path(self, article: Article) -> str:
        return article.canonical_path + ("?ref=rss" if article.rss_ref else "")

    def legacy_listing_link(self, article: Article, page: int) -> str:
        return f"{article.canonical_path}&np={page}&mp={(page - 1) // 10 + 1}"

    def linked_paths(self, article: Article) -> list[str]:
        """Every path that is linked somewhere and reaches `article` (canonical first)."""
        paths = {article.canonical_path}
        if article.template == "current":
            if article.slash_link:
                paths.add(self.listing_link(article))
            feeds = [None, *SECTIONS]
            if any(article in self.feed_items(section) for section in feeds):
                paths.add(self.feed_path(article))
            for position, item in enumerate(self.home_items()):
                if item is article:
                    paths.add(self.home_link(article, position))
            if article.alias_ud:
                paths.add(f"/view.php?ud={article.alias_ud}")
        else:
            for ct in (ALL_CODE, article.subsection[:4] + "00000000", article.subsection):
                index = self.legacy_items(ct).index(article)
                paths.add(self.legacy_listing_link(article, index // LEGACY_PAGE_SIZE + 1))
        rest = sorted(paths - {article.canonical_path})
        return [article.canonical_path, *rest]

    def route(self, target: str, base: str) -> object:
        """The page, redirect or None (404) for a request target: what the server serves."""
        from crawler.replica.server import route  # the server module renders this site

        return route(self, target, base)

    # ---- ground truth ---------------------------------------------------------------------

    def ground_truth(self) -> list[dict]:
        records = []
        for article in self.articles:
            if article.kind != KIND_ARTICLE:
                continue
            records.append(
                {
                    "article_id": article.article_id,
                    "template": article.template,
                    "urls": self.linked_paths(article),
                    "canonical_path": article.canonical_path,
                    "title": article.title,
                    "subtitle": article.subtitle,
                    "authors": list(article.authors),
                    "section": article.section,
                    "published_at": _utc_iso(article.published),
                    "updated_at": _utc_iso(article.updated),
                    "paragraphs": list(article.paragraphs),
                    "text": "\n\n".join(article.paragraphs),
                    "language": "en",
                    "charset": article.charset,
                    "keywords": list(article.keywords),
                    "duplicate_of": article.duplicate_of,
                    "duplicate_kind": article.duplicate_kind,
                }
            )
        return records

    def write_ground_truth(self, path: str | Path) -> None:
        with Path(path).open("w", encoding="utf-8") as handle:
            for record in self.ground_truth():
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")

    # ---- the clock ----------------------------------------------------------------------------

    def advance(self, days: float = 1, new_articles: int = 10) -> dict:
        """Publish `new_articles` in (now, now + days] and edit one recent article's body."""
        with self.lock:
            return self._advance(days, new_articles)

    def _advance(self, days: float, new_articles: int) -> dict:
        self._advances += 1
        rng = random.Random(f"{self.seed}-advance-{self._advances}")
        self.rng = rng
        old_now, self.now = self.now, self.now + timedelta(days=days)
        existing = [a for a in self.stories() if a.duplicate_kind is None]
        duplicated = {a.duplicate_of for a in self.articles if a.duplicate_of}
        recent = [
            a
            for a in existing
            if a.published > self.now - timedelta(days=3) and a.article_id not in duplicated
        ]
        changed = rng.choice(recent) if recent else existing[0]
        index = rng.randrange(len(changed.paragraphs))
        changed.paragraphs[index] = text.Writer(rng, changed.section).paragraph()
        changed.updated = _rand_time(rng, old_now, self.now).replace(microsecond=0)
        changed.updated = max(changed.updated, changed.published + timedelta(minutes=1))

        span = (self.now - old_now).total_seconds()
        moments = sorted(
            old_now + timedelta(seconds=rng.randint(1, int(span))) for _ in range(new_articles)
        )
        new = [self._make_current(moment) for moment in moments]
        for article in new:
            article.article_id = str(self._next_current_id(article.published))
            article.slash_link = rng.random() < 0.15
            article.rss_ref = rng.random() < 0.4
        self.articles.extend(new)
        self.articles.sort(key=_pub)
        return {"new_ids": [a.article_id for a in new], "changed_id": changed.article_id}


@dataclass(frozen=True)
class _Views:
    """What the server looks up per request, computed once per set of articles (the lists
    are shared: callers must not modify them)."""

    key: tuple[int, int]
    by_id: dict[str, Article]
    by_alias: dict[str, Article]
    current: list[Article]
    live_current: list[Article]
    stories: list[Article]
    legacy: list[Article]
    _newest_first_keys: dict[str, list[float]]

    @classmethod
    def build(cls, articles: list[Article], key: tuple[int, int]) -> _Views:
        by_id: dict[str, Article] = {}
        by_alias: dict[str, Article] = {}
        for article in articles:
            by_id.setdefault(article.article_id, article)
            if article.alias_ud:
                by_alias.setdefault(article.alias_ud, article)
        current = sorted((a for a in articles if a.template == "current"), key=_pub, reverse=True)
        legacy = sorted((a for a in articles if a.template != "current"), key=_pub, reverse=True)
        stories = [a for a in current if a.kind == KIND_ARTICLE]
        return cls(
            key,
            by_id,
            by_alias,
            current,
            [a for a in current if a.kind != KIND_GONE],
            stories,
            legacy,
            {
                "stories": [-a.published.timestamp() for a in stories],
                "legacy": [-a.published.timestamp() for a in legacy],
            },
        )

    def before(self, article: Article, pool: str) -> list[Article]:
        """Articles of a newest-first pool published strictly before `article`."""
        start = bisect.bisect_right(self._newest_first_keys[pool], -article.published.timestamp())
        return getattr(self, pool)[start:]


LEGACY_PAGE_SIZE = 15
CURRENT_PAGE_SIZE = 20


def _pub(article: Article) -> datetime:
    return article.published


def _rand_time(rng: random.Random, start: datetime, end: datetime) -> datetime:
    seconds = int((end - start).total_seconds())
    return start + timedelta(seconds=rng.randint(1, seconds))
