"""Comment Markdown to safe HTML, once, at write time.

Two layers, so that a bug in one is caught by the other: markdown-it with raw
HTML off and only the rules we want, then nh3 (ammonia) with an allow-list
of tags, attributes and URL schemes. The raw text is kept in ``Comment.body``
so every comment can be re-rendered when these rules change.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

# Everything a reader may use: paragraphs, emphasis, links, quotes, lists,
# code. No headings, images (tracking pixels), rules, tables or raw HTML.
_BLOCK = {"paragraph", "blockquote", "list", "code", "fence"}
_INLINE = {"text", "emphasis", "link", "backticks", "newline", "escape", "entity"}
_INLINE2 = {"balance_pairs", "emphasis", "fragments_join"}
_CORE = {"normalize", "block", "inline", "text_join"}

# markdown-it's block parser recurses once per nesting level; a cap keeps
# "> > > …" a thousand deep linear instead of deep and slow.
MAX_NESTING = 16

_TAGS = {"p", "br", "em", "strong", "a", "blockquote", "ul", "ol", "li", "code", "pre"}
_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
_SCHEMES = {"http", "https", "mailto"}


def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "maxNesting": MAX_NESTING})
    allowed = {"core": _CORE, "block": _BLOCK, "inline": _INLINE, "inline2": _INLINE2}
    unwanted = [
        rule
        for chain, rules in md.get_all_rules().items()
        for rule in rules
        if rule not in allowed[chain]
    ]
    md.disable(unwanted, ignoreInvalid=True)
    md.enable(sorted(set().union(*allowed.values())), ignoreInvalid=True)
    return md


_MD = _markdown()
_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    attributes=_ATTRIBUTES,
    url_schemes=_SCHEMES,
    # A relative link would resolve against Rostra's own origin inside the
    # iframe; comments link to other places, so only absolute URLs survive.
    url_relative="deny",
    link_rel="nofollow ugc noopener",
    # Links open outside the comments iframe rather than inside it.
    set_tag_attribute_values={"a": {"target": "_blank"}},
    strip_comments=True,
)


def render(body: str) -> str:
    """Sanitised HTML for a comment body (Markdown subset)."""
    return _CLEANER.clean(_MD.render(body)).strip()
