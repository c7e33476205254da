"""What the no-JS templates (story/_comments.html and the pages that use it)
need besides the thread itself: one language's strings and plural forms,
the links a page offers. Passed to the macro explicitly as ``ui``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from rostra.embed import i18n

JSON = dict[str, Any]


@dataclass(frozen=True)
class ThreadView:
    lang: str
    s: dict[str, Any]
    #: where one thread's page lives: ``/thread`` on Rostra's own pages, the
    #: absolute address in a fragment that a publisher includes in theirs.
    thread_base: str
    #: ids of the comments on this page, so a ``reply_to`` links only to one here.
    ids: frozenset[int]

    @classmethod
    def build(cls, lang: str, thread_base: str, comments: Iterable[JSON]) -> ThreadView:
        language = i18n.language(lang)
        ids = frozenset(c["id"] for c in _walk(comments))
        return cls(language, i18n.strings(language), thread_base, ids)

    def count(self, n: int) -> str:
        return i18n.plural(self.s["count"], n, self.lang)

    def likes(self, n: int) -> str:
        return i18n.plural(self.s["likes"], n, self.lang)

    def when(self, iso: str) -> str:
        return iso[:16].replace("T", " ") + " UTC"

    def reply_to(self, target: JSON) -> str:
        name = target.get("display_name")
        if name is None:
            return str(self.s["reply_to_other"])
        return str(self.s["reply_to"]).replace("{name}", name)

    def shown(self, comment_id: int) -> bool:
        return comment_id in self.ids

    def author(self, comment: JSON) -> str:
        author = comment.get("author")
        return str(author["display_name"]) if author else str(self.s["unknown_author"])

    def profile_url(self, comment: JSON) -> str | None:
        """The author's profile page (``/u/HANDLE``), beside the thread pages."""
        author = comment.get("author")
        if not author or not author.get("handle"):
            return None
        return self.thread_base.removesuffix("/thread") + "/u/" + str(author["handle"])

    def thread_url(self, comment_id: int, cursor: str | None = None) -> str:
        """One thread's page: its top-level comment and a page of its replies."""
        query = {"cursor": cursor, "lang": self.lang} if cursor else {"lang": self.lang}
        return f"{self.thread_base}/{comment_id}?" + urlencode(query)

    def more_replies(self, comment: JSON) -> str:
        return self.thread_url(comment["id"], comment["replies_cursor"])


def _walk(comments: Iterable[JSON]) -> Iterator[JSON]:
    for c in comments:
        yield c
        yield from _walk(c["replies"])
