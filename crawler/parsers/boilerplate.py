"""Page clean-up before trafilatura, for sites without a parser: link lists out, bare text in.

Real pages carry menus, rails of teasers and link farms around the article. trafilatura keeps
such a list when it sits inside the container it picked (F1 0.27 on padded replica pages), and
in precision mode it drops the text a `<div>` holds before its first `<br>`. Both are fixed on
the tree, which also leaves trafilatura a smaller page to work on.
"""

from __future__ import annotations

from lxml import etree
from lxml.html import HtmlElement

from crawler.parsers.text import is_prose

#: An element with at least LINK_LIST_MIN_LINKS links, at least LINK_LIST_SHARE of its text in
#: links and no sentence outside them is a menu, a rail or a teaser list.
LINK_LIST_MIN_LINKS = 3
LINK_LIST_SHARE = 0.5
#: A link with a sentence and this many characters holds a summary: a list of those is a list
#: of teasers, which `drop_link_lists(teasers=False)` keeps.
TEASER_CHARS = 100
#: Elements whose text is never read.
_NO_TEXT = frozenset({"script", "style", "noscript", "template"})
#: Elements a paragraph runs through; any other element ends it.
_INLINE = frozenset(
    {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "font", "i", "kbd"}
    | {"mark", "q", "s", "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var"}
    | {"wbr"}
)
#: Containers whose bare text, split by `<br>` or blocks, is the article in older templates.
_TEXT_FLOW = ("body", "div", "td", "section", "article", "main", "blockquote", "center")


def drop_link_lists(
    root: HtmlElement, *, teasers: bool = True, min_links: int = LINK_LIST_MIN_LINKS
) -> int:
    """Remove the outermost link lists of at least `min_links` links under `root`, lists of
    teasers too unless `teasers` is False; returns how many went.

    One walk counts, per element, text and link characters, links and whether any text outside
    links is a sentence; the article's container always holds one, so it never goes.
    """
    # per open element: [characters, link characters, links, has prose, lists inside]
    frames: list[list] = [[0, 0, 0, False, []]]
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag
        if event == "start":
            frames.append([0, 0, 0, False, []])
            if tag in _NO_TEXT or not isinstance(tag, str):
                walker.skip_subtree()
            continue
        chars, link_chars, links, prose, lists = frames.pop()
        if isinstance(tag, str) and tag not in _NO_TEXT:
            text = element.text
            if text and (size := len(text.strip())):
                chars += size
                prose = prose or is_prose(text)
            if tag == "a":
                summary = not teasers and prose and chars >= TEASER_CHARS
                link_chars, links, prose = chars, links + 1, summary
            elif (
                links >= min_links
                and not prose
                and link_chars >= LINK_LIST_SHARE * chars
                and tag not in ("html", "body")
            ):
                lists = [element]
        parent = frames[-1]
        tail = element.tail
        if tail and (size := len(tail.strip())):
            parent[0] += size
            parent[3] = parent[3] or is_prose(tail)
        parent[0] += chars
        parent[1] += link_chars
        parent[2] += links
        parent[3] = parent[3] or prose
        parent[4].extend(lists)
    for element in frames[0][4]:
        element.drop_tree()  # keeps the tail, which belongs to the parent
    return len(frames[0][4])


def wrap_bare_text(root: HtmlElement) -> None:
    """Wrap each run of bare text and inline elements that sits between blocks or `<br>`s of a
    container in a `<p>`, as in `<div>First<br><br>Second<p>Third</p></div>`."""
    for container in list(root.iter(*_TEXT_FLOW)):
        children = list(container)
        blocks = [child for child in children if _is_block(child)]
        if not blocks or not (_has_text(container.text) or any(_has_text(b.tail) for b in blocks)):
            continue
        runs: list[tuple[HtmlElement | None, list[HtmlElement]]] = []
        before: HtmlElement | None = None
        members: list[HtmlElement] = []
        for child in children:
            if _is_block(child):
                runs.append((before, members))
                before, members = child, []
            else:
                members.append(child)
        runs.append((before, members))
        for before, members in runs:
            lead = container.text if before is None else before.tail
            if not (_has_text(lead) or any(map(_has_inline_text, members))):
                continue
            paragraph = container.makeelement("p", {})
            paragraph.text = lead
            if before is None:
                container.text = None
                container.insert(0, paragraph)
            else:
                before.tail = None
                before.addnext(paragraph)
            paragraph.extend(members)  # each member moves with its tail


def _is_block(node: HtmlElement) -> bool:
    return isinstance(node.tag, str) and node.tag not in _INLINE


def _has_inline_text(node: HtmlElement) -> bool:
    return isinstance(node.tag, str) and _has_text(node.text_content())


def _has_text(text: str | None) -> bool:
    return bool(text and not text.isspace())
