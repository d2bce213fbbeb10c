"""Page weight for the replica: real news pages weigh 100-250 KB, ours about 10 KB.

`pad(body, size)` adds what makes real pages heavy: menus, inline scripts and a JSON state
blob, ad slots, rails of teasers and a footer, until the page reaches `size` bytes. It goes
just before `</body>`, outside every article container, links nowhere (`#` anchors), and
carries no structured data, so what a parser should find on the page does not change. The
filler is deterministic, so a padded page is the same bytes on every request.
"""

from __future__ import annotations

import json
import random
from functools import cache

_WORDS = (
    "market", "policy", "seoul", "council", "minister", "report", "season", "growth",
    "exports", "league", "festival", "weather", "budget", "election", "court", "museum",
    "travel", "energy", "housing", "transit", "startup", "campus",
)  # fmt: skip


@cache
def _block(serial: int) -> str:
    """One screenful of boilerplate; `serial` varies it so pages do not repeat one block."""
    rng = random.Random(serial)

    def words(count: int) -> str:
        return " ".join(rng.choice(_WORDS) for _ in range(count)).capitalize()

    menu = "".join(f'<li><a href="#m{serial}-{i}">{words(2)}</a></li>' for i in range(40))
    teasers = "".join(
        f'<li class="rail-item"><a href="#r{serial}-{i}">{words(8)}</a>'
        f'<span class="rail-date">{rng.randint(1, 28)} min ago</span></li>'
        for i in range(25)
    )
    state = {
        "slots": [
            {"id": f"ad-{serial}-{i}", "size": [300, 250], "kv": words(6)} for i in range(20)
        ],
        "tracking": {"page": serial, "tags": [words(3) for _ in range(30)]},
    }
    script = "function t(e){var a=window.dataLayer||[];a.push(e);return a.length}" * 6
    return (
        f'<nav class="mega-menu"><ul>{menu}</ul></nav>'
        f'<aside class="rail-most-read"><ul>{teasers}</ul></aside>'
        f'<div class="ad-slot" data-slot="{serial}"></div>'
        f"<script>window.__STATE_{serial}__ = {json.dumps(state)};</script>"
        f"<script>{script}</script>"
        f'<footer class="site-footer-links"><p>{words(40)}</p></footer>'
    )


def pad(body: str, size: int) -> str:
    """`body` with boilerplate before `</body>` until it has at least `size` bytes."""
    missing = size - len(body.encode())
    if missing <= 0 or "</body>" not in body:
        return body
    blocks: list[str] = []
    serial = 0
    while missing > 0:
        block = _block(serial % 16)
        blocks.append(block)
        missing -= len(block.encode())
        serial += 1
    head, _, tail = body.rpartition("</body>")
    return f"{head}{''.join(blocks)}</body>{tail}"
