"""Text helpers shared by the extractors: whitespace, bylines, and block-to-paragraph splitting."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import urljoin

from lxml import html as lxml_html

_EMAIL = re.compile(r"\(?\s*[\w.+-]+@[\w-]+(?:\.[\w-]+)+\s*\)?")
_BY = re.compile(r"^\s*(?:written\s+)?by\s*[:\-]?\s+", re.I)
_SPLIT = re.compile(r"\s*(?:,|;|&|/|\band\b|\|)\s*", re.I)
_ROLE_WORDS = re.compile(
    r"\b(reporter|correspondent|writer|editor|columnist|contributor|staff|intern|"
    r"professor|journalist|news desk|desk)\b",
    re.I,
)

#: Elements that end a paragraph when the walker meets them.
BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "br",
        "hr",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "table",
        "tr",
        "td",
        "th",
        "tbody",
        "thead",
        "blockquote",
        "figure",
        "section",
        "article",
        "header",
        "footer",
        "aside",
        "nav",
        "center",
        "dl",
        "dt",
        "dd",
        "pre",
        "address",
    }
)
#: Elements whose content is never body text.
SKIP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "iframe",
        "figure",
        "figcaption",
        "template",
        "button",
        "form",
        "select",
        "svg",
        "object",
        "embed",
        "video",
        "audio",
    }
)


_WORD = re.compile(r"\w+", re.UNICODE)
#: A sentence has at least PROSE_WORDS words or, in scripts written without spaces (CJK),
#: PROSE_CJK_CHARS characters; menus, labels and teaser lines have fewer.
PROSE_WORDS = 8
PROSE_CJK_CHARS = 20
_CJK = re.compile(r"[\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u4e00-\u9fff\uac00-\ud7af]")
#: Paragraphs inside article bodies that a reader would not call the article: cross-links,
#: sign-up and sharing prompts, comment counts.
_BOILERPLATE_LINE = re.compile(
    r"^(?:related(?:\s+(?:articles?|stories|posts?|coverage|news))?|read\s+(?:more|also)|"
    r"see\s+also|also\s+read|more\s+on\s+this(?:\s+story)?|share\s+this(?:\s+\w+)?|like\s+this)"
    r"\s*[:\-\u2013\u2014]|"
    r"^(?:sign\s+up|subscribe)\b.{0,80}\b(?:newsletter|inbox|updates)\b|"
    r"^(?:click\s+to\s+(?:share|print|email)|share\s+on\s+\w+|\d+\s+comments?|leave\s+a\s+(?:comment|reply))\b",
    re.I,
)


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def is_prose(line: str) -> bool:
    return len(line.split()) >= PROSE_WORDS or len(_CJK.findall(line)) >= PROSE_CJK_CHARS


def is_boilerplate_line(paragraph: str) -> bool:
    """A body paragraph that is a cross-link, a sign-up box or a share prompt."""
    return bool(_BOILERPLATE_LINE.match(paragraph))


def normalize_space(text: str | None) -> str:
    """Collapse whitespace (including &nbsp;) and strip."""
    return " ".join((text or "").split())


def clean_authors(values: Iterable[str], publication: str | None = None) -> list[str]:
    """Turn raw bylines into person/agency names: no "By", emails, roles or the site's own name."""
    names: dict[str, None] = {}  # ordered set: linear in the number of bylines
    for raw in values:
        if "://" in raw:  # profile URLs (article:author) are not names
            continue
        value = _EMAIL.sub(" ", normalize_space(raw))
        value = _BY.sub("", value)
        for part in _SPLIT.split(value):
            part = _BY.sub("", part).strip(" .,:-()[]")
            if not part or _ROLE_WORDS.search(part):
                continue
            if publication and part.lower() == publication.lower():
                continue
            names.setdefault(part)
    return list(names)


def _classes(element: lxml_html.HtmlElement) -> set[str]:
    return set((element.get("class") or "").split())


def block_paragraphs(
    root: lxml_html.HtmlElement, skip: Callable[[lxml_html.HtmlElement], bool]
) -> list[str]:
    """Split an element into paragraphs at block elements and `<br>`, skipping `skip` subtrees.

    Legacy bodies mix bare text nodes, `<br><br>` and `<p>`, so paragraphs are built from the
    text flow rather than from `<p>` elements.
    """
    paragraphs: list[str] = []
    buffer: list[str] = []

    def flush() -> None:
        text = normalize_space("".join(buffer))
        if text:
            paragraphs.append(text)
        buffer.clear()

    def walk(element: lxml_html.HtmlElement) -> None:
        tag = element.tag if isinstance(element.tag, str) else ""
        skipped = not tag or tag.lower() in SKIP_TAGS or skip(element)
        block = tag.lower() in BLOCK_TAGS
        if block:
            flush()
        if not skipped:
            buffer.append(element.text or "")
            for child in element:
                walk(child)
        if block:
            flush()
        buffer.append(element.tail or "")

    buffer.append(root.text or "")
    for child in root:
        walk(child)
    flush()
    return paragraphs


_NOISE_TOKEN = re.compile(
    r"^(?:ad|ads|adv|advert[\w-]*|banner[\w-]*|related[\w-]*|[\w-]+[-_]related|recommend[\w-]*|"
    r"share[\w-]*|sns[\w-]*|social[\w-]*|newsletter[\w-]*|subscribe[\w-]*|promo[\w-]*|"
    r"comments?|comment[-_][\w-]+|[\w-]+[-_]comments?|sharedaddy|jp-relatedposts|"
    r"most[-_]?popular[\w-]*|rail[\w-]*|sidebar[\w-]*|[\w-]*caption[\w-]*|copyright[\w-]*|"
    r"ad[-_][\w-]+)$",
    re.I,
)


def is_noise(element: lxml_html.HtmlElement) -> bool:
    """True for rails, ads, share bars and captions that sit inside article bodies."""
    tokens = _classes(element) | set((element.get("id") or "").split())
    return any(_NOISE_TOKEN.match(token) for token in tokens)


def image_src(element: lxml_html.HtmlElement) -> str | None:
    """The real image URL of an `<img>`, also when lazy-loaded."""
    for name in ("src", "data-src", "data-original", "data-lazy-src"):
        value = (element.get(name) or "").strip()
        if value and not value.startswith("data:"):
            return value
    return None


def body_images(
    roots: Iterable[lxml_html.HtmlElement], base_url: str
) -> list[tuple[str, str | None]]:
    """(absolute URL, caption) of each image: figcaption, then a caption box, then the alt."""
    images: list[tuple[str, str | None]] = []
    for root in roots:
        for img in root.iter("img"):
            src = image_src(img)
            if not src:
                continue
            caption = None
            for holder in img.xpath("ancestor::figure[1] | ancestor::div[position() <= 2]"):
                found = holder.xpath('.//figcaption | .//*[contains(@class, "caption")]')
                if found:
                    caption = normalize_space(found[0].text_content()) or None
                    break
            caption = caption or normalize_space(img.get("alt")) or None
            images.append((urljoin(base_url, src), caption))
    return images
