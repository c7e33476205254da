"""Reading a rendered no-JS thread (the /thread pages and the HTML fragment)
back into what a reader sees: the comments in order, each with its nesting
level and text, the links, the headings."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Shown:
    """One comment as rendered: how many reply lists it sits in, its text."""

    id: int
    level: int
    text: str = ""
    classes: set[str] = field(default_factory=set)


class Doc(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.comments: dict[int, Shown] = {}
        self.order: list[int] = []
        self.links: list[tuple[str, str, dict[str, str]]] = []  # (href, text, attributes)
        self.headings: dict[str, list[str]] = {}
        self.title = ""
        self._ols: list[bool] = []  # open <ol>s: is it a list of replies?
        self._article: list[int] = []  # the comment whose <article> is open
        self._li: list[int | None] = []
        self._link: tuple[str, list[str], dict[str, str]] | None = None
        self._heading: tuple[str, list[str]] | None = None
        self._in_title = False
        self.feed(html)
        self.close()

    @property
    def max_level(self) -> int:
        return max((c.level for c in self.comments.values()), default=0)

    def text_of(self, comment_id: int) -> str:
        return " ".join(self.comments[comment_id].text.split())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = set(a.get("class", "").split())
        if tag == "ol":
            self._ols.append("rostra-replies" in classes)
        elif tag == "li":
            match = re.fullmatch(r"comment-(\d+)", a.get("id", ""))
            if match and "rostra-comment" in classes:
                cid = int(match[1])
                assert cid not in self.comments, f"comment {cid} is shown twice"
                self.comments[cid] = Shown(cid, sum(self._ols), classes=classes)
                self.order.append(cid)
                self._li.append(cid)
            else:
                self._li.append(None)
        elif tag == "article" and self._li and self._li[-1] is not None:
            self._article.append(self._li[-1])
        elif tag == "a":
            self._link = (a.get("href", ""), [], a)
        elif tag in ("h1", "h2"):
            self._heading = (tag, [])
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "ol" and self._ols:
            self._ols.pop()
        elif tag == "li" and self._li:
            self._li.pop()
        elif tag == "article" and self._article:
            self._article.pop()
        elif tag == "a" and self._link:
            href, text, attrs = self._link
            self.links.append((href, " ".join("".join(text).split()), attrs))
            self._link = None
        elif tag in ("h1", "h2") and self._heading:
            name, text = self._heading
            self.headings.setdefault(name, []).append(" ".join("".join(text).split()))
            self._heading = None
        elif tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._article:
            self.comments[self._article[-1]].text += data
        if self._link:
            self._link[1].append(data)
        if self._heading:
            self._heading[1].append(data)
        if self._in_title:
            self.title += data

    def link(self, text: str) -> str:
        """The href of the one link with this text."""
        found = [href for href, t, _ in self.links if t == text]
        assert len(found) == 1, (text, self.links)
        return found[0]
