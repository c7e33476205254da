"""Comment Markdown to safe HTML, once, at write time.

Two layers, so that a bug in one is caught by the other: markdown-it with raw
HTML off and only the rules we want, then nh3 (ammonia) with an allow-list
of tags, attributes and URL schemes. The raw text is kept in ``Comment.body``
so every comment can be re-rendered when these rules change
(``rostra comments rerender``).

What readers expect of a comment box, beyond CommonMark: Enter starts a new
line (a ``<br>``; a blank line a new paragraph), a bare ``https://…`` or
``www.…`` address is a link, and an image is a link to it, never an
``<img>`` (a tracking pixel, or a picture the reader did not ask to load).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from html.parser import HTMLParser
from typing import Any

import nh3
from linkify_it import LinkifyIt  # type: ignore[import-untyped]  # ships no type hints
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token

from rostra.text import MENTION

# Everything a reader may use: paragraphs, emphasis, links, quotes, lists,
# code. No headings, rules, tables or raw HTML; images become links.
_BLOCK = {"paragraph", "blockquote", "list", "code", "fence"}
_INLINE = {
    "text",
    "emphasis",
    "link",
    "image",
    "linkify",
    "backticks",
    "newline",
    "escape",
    "entity",
}
_INLINE2 = {"balance_pairs", "emphasis", "fragments_join"}
_CORE = {"normalize", "block", "inline", "linkify", "text_join"}

# markdown-it's block parser recurses once per nesting level; a cap keeps
# "> > > …" a thousand deep linear instead of deep and slow.
MAX_NESTING = 16

_TAGS = {"p", "br", "em", "strong", "a", "blockquote", "ul", "ol", "li", "code", "pre"}
_ATTRIBUTES = {"a": {"href"}, "ol": {"start"}}
_SCHEMES = {"http", "https", "mailto"}


class _WebAddresses(LinkifyIt):  # type: ignore[misc]  # an untyped base (see the import)
    """Bare web addresses only: ``http(s)://…`` and ``www.…``.

    Not e-mail addresses (a reader quoting one should not publish a mailto
    link to it), ``ftp:`` or ``//`` links, nor bare names that merely end
    like a domain ("config.py", "nytimes.com" in a sentence).
    """

    def __init__(self) -> None:
        super().__init__(
            schemas={"ftp:": None, "//": None, "mailto:": None},
            options={"fuzzy_email": False, "fuzzy_link": True},
        )

    def match(self, text: str) -> list[Any] | None:
        found = [
            m
            for m in super().match(text) or []
            if m.schema in ("http:", "https:")
            or (
                not m.schema
                and m.raw.lower().startswith("www.")
                and (m.index == 0 or text[m.index - 1] != "@")
            )
        ]
        return found or None


def _image(self: RendererHTML, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """``![alt](url)`` as a link to the picture, its text the alt text (or,
    with none, the address); within a link, the alt text alone. Never <img>."""
    token = tokens[idx]
    alt = escapeHtml(self.renderInlineAsText(token.children, options, env))
    src = str(token.attrGet("src") or "")
    inside_link = sum(t.nesting for t in tokens[:idx] if t.type in ("link_open", "link_close"))
    if not src or inside_link > 0:
        return alt
    return f'<a href="{escapeHtml(src)}">{alt or escapeHtml(src)}</a>'


def _mentions(state: Any) -> None:
    """``@handle`` in text (not in code, not inside a link) becomes a link to
    the reader's profile, when the render is given where profiles live."""
    base = state.env.get("profiles") if isinstance(state.env, dict) else None
    if not base:
        return
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        out: list[Token] = []
        depth = 0
        for token in block.children:
            if token.type == "link_open":
                depth += 1
            elif token.type == "link_close":
                depth -= 1
            if token.type != "text" or depth > 0 or "@" not in token.content:
                out.append(token)
                continue
            at = 0
            for match in MENTION.finditer(token.content):
                if match.start() > at:
                    out.append(_text(token.content[at : match.start()]))
                opening = Token("link_open", "a", 1)
                opening.attrSet("href", base + match.group(1).lower())
                out += [opening, _text(match.group(0)), Token("link_close", "a", -1)]
                at = match.end()
            if at < len(token.content):
                out.append(_text(token.content[at:]))
        block.children = out


def _text(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def _markdown() -> MarkdownIt:
    md = MarkdownIt(
        "commonmark",
        {"html": False, "linkify": True, "breaks": True, "maxNesting": MAX_NESTING},
    )
    md.linkify = _WebAddresses()
    allowed = {"core": _CORE, "block": _BLOCK, "inline": _INLINE, "inline2": _INLINE2}
    unwanted = [
        rule
        for chain, rules in md.get_all_rules().items()
        for rule in rules
        if rule not in allowed[chain]
    ]
    md.disable(unwanted, ignoreInvalid=True)
    md.enable(sorted(set().union(*allowed.values())), ignoreInvalid=True)
    md.add_render_rule("image", _image)
    md.core.ruler.push("mentions", _mentions)
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


def render(body: str, profiles: str | None = None) -> str:
    """Sanitised HTML for a comment body (Markdown subset). With ``profiles``
    (the absolute address that a handle completes, ``https://…/u/``),
    ``@handle`` links to that reader's profile."""
    env = {"profiles": profiles} if profiles else {}
    return _CLEANER.clean(_MD.render(body, env)).strip()


# Characters that draw nothing on their own though Unicode calls them
# letters or symbols: the Hangul fillers and the blank braille pattern.
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Separators (every space, NBSP and U+3000 included), controls, format
# characters (zero-width space and joiners, BOM, soft hyphen, word joiner,
# bidirectional marks, tags), and marks (combining accents, variation
# selectors): none shows without a base character beside it, which is
# visible by itself.
_INVISIBLE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Mc", "Me"})


def is_visible(char: str) -> bool:
    return char not in _FILLERS and unicodedata.category(char) not in _INVISIBLE_CATEGORIES


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.visible = False

    def handle_data(self, data: str) -> None:
        if not self.visible and any(is_visible(c) for c in data):
            self.visible = True


def shows_text(html: str) -> bool:
    """Whether rendered HTML shows at least one visible character: its text
    (tags stripped, entities decoded) holds something beyond white space,
    invisible and format characters, fillers and lone combining marks."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return parser.visible
