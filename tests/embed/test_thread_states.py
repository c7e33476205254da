"""The no-JS thread surfaces (the /thread page and GET /api/v1/comments.html)
rendered with every state a comment or a story can be in, in both languages.

Each state is built through the API (edits, likes, deletions as readers do
them) or, where no API exists yet (moderation, a vanished account), by
changing the row. The tests run on both databases through ``client``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import select, update

from rostra.comments.threads import REPLIES_PER_THREAD
from rostra.http.deps import state_of
from rostra.models import Comment, Site, SiteRole, Story
from tests.comments.conftest import quick_reader
from tests.embed.thread_doc import Doc
from tests.factories import ARTICLE, add_site, assert_page_inert

API = "/api/v1"
HOSTILE_NAME = '<b onmouseover="alert(4)">Mallory</b>'
TITLE = "The river crossing"

# What a reader reads, written out (not taken from the catalogue, so a
# missing or wrong string fails here).
WORDS: dict[str, dict[str, str]] = {
    "en": {
        "edited": "(edited)",
        "deleted": "This comment was deleted.",
        "former": "Former reader",
        "closed": "Comments are closed on this story.",
        "empty": "No comments yet. Be the first.",
        "load_more": "Load more comments",
        "more_replies": "Show more replies",
        "heading": "Comments",
        "reply_to": "in reply to {name}",
        "reply_to_other": "in reply to another comment",
        "all_comments": "All comments",
        "featured": "Editors' pick",
        "staff": "Staff",
    },
    "uk": {
        "edited": "(змінено)",
        "deleted": "Цей коментар видалено.",
        "former": "Колишній читач",
        "closed": "Коментування цієї статті закрито.",
        "empty": "Коментарів ще немає. Будьте першим.",
        "load_more": "Більше коментарів",
        "more_replies": "Показати ще відповіді",
        "heading": "Коментарі",
        # RUF001: Ukrainian words spelt only with letters that look Latin.
        "reply_to": "у відповідь: {name}",  # noqa: RUF001
        "reply_to_other": "у відповідь на інший коментар",  # noqa: RUF001
        "all_comments": "Усі коментарі",  # noqa: RUF001
        "featured": "Вибір редакції",
        "staff": "Редакція",
    },
}
LIKES = {
    "en": {1: "1 like", 3: "3 likes", 5: "5 likes"},
    "uk": {1: "1 вподобання", 3: "3 вподобання", 5: "5 вподобань"},
}


class World:
    """Builds a thread on ARTICLE through the API, as readers would."""

    def __init__(self, client: TestClient, app: FastAPI) -> None:
        self.client, self.app = client, app
        self.readers: dict[str, dict[str, str]] = {}

    def reader(self, name: str) -> dict[str, str]:
        if name not in self.readers:
            self.readers[name] = quick_reader(self.app, name)
        return self.readers[name]

    def post(self, who: str, body: str, parent: int | None = None, url: str = ARTICLE) -> int:
        r = self.client.post(
            f"{API}/comments",
            json={"url": url, "title": TITLE, "body": body, "parent_id": parent},
            headers=self.reader(who),
        )
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    def chain(self, who: list[str], length: int, top: int) -> list[int]:
        """Replies each answering the one before: ids by depth (index 0 is ``top``)."""
        ids = [top]
        for depth in range(1, length + 1):
            ids.append(self.post(who[depth % len(who)], f"depth {depth}", ids[-1]))
        return ids

    def like(self, comment_id: int, n: int) -> None:
        for i in range(n):
            r = self.client.put(
                f"{API}/comments/{comment_id}/reactions/like", headers=self.reader(f"Liker {i}")
            )
            assert r.status_code == 200, r.text

    def edit(self, who: str, comment_id: int, body: str) -> None:
        r = self.client.patch(
            f"{API}/comments/{comment_id}", json={"body": body}, headers=self.reader(who)
        )
        assert r.status_code == 200, r.text

    def delete(self, who: str, comment_id: int) -> None:
        r = self.client.delete(f"{API}/comments/{comment_id}", headers=self.reader(who))
        assert r.status_code == 204, r.text

    def set_row(self, comment_id: int, **values: Any) -> None:
        """What no API does yet: a removed account."""
        with state_of(self.app).write_sessions() as db:
            db.execute(update(Comment).where(Comment.id == comment_id).values(**values))
            db.commit()

    def hold(self, comment_id: int, status: str) -> None:
        """What the moderation desk will do (no API yet): unpublish a comment,
        with the counts that count published comments."""
        with state_of(self.app).write_sessions() as db:
            row = db.get(Comment, comment_id)
            assert row is not None
            row.status = status
            db.execute(
                update(Story)
                .where(Story.id == row.story_id)
                .values(comment_count=Story.comment_count - 1)
            )
            if row.parent_id is not None:
                db.execute(
                    update(Comment)
                    .where(Comment.id == row.parent_id)
                    .values(reply_count=Comment.reply_count - 1)
                )
            db.commit()

    def with_role(self, name: str, role: str) -> dict[str, str]:
        """A reader with a role on the site (made by ``add_site``)."""
        headers = self.reader(name)
        uid = self.client.get(f"{API}/me", headers=headers).json()["id"]
        with state_of(self.app).write_sessions() as db:
            site_id = db.scalar(select(Site.id).where(Site.name == "news"))
            db.add(SiteRole(site_id=site_id, user_id=uid, role=role))
            db.commit()
        return headers

    def decide(self, comment_id: int, action: str, reason: str = "") -> None:
        mod = self.with_role("Moderator", "moderator") if "Moderator" not in self.readers else None
        r = self.client.post(
            f"{API}/moderation/comments/{comment_id}/decision",
            json={"action": action, "reason": reason},
            headers=mod or self.readers["Moderator"],
        )
        assert r.status_code == 200, r.text

    def close(self) -> None:
        admin = quick_reader(self.app, "Editor", is_admin=True)
        story = self.client.get(f"{API}/comments", params={"url": ARTICLE}).json()["story"]
        r = self.client.patch(
            f"{API}/stories/{story['id']}", json={"is_closed": True}, headers=admin
        )
        assert r.status_code == 200, r.text


@dataclass
class Scenario:
    count: int  # published comments: the headings say so
    count_text: dict[str, str]  # the fragment's heading, per language
    check: Callable[[Doc, str, Any], None]
    secrets: list[str] = field(default_factory=list)  # never on an anonymous surface
    url: str = ARTICLE


Checker = Callable[[Doc, str, Any], None]


def _plain(w: World) -> Scenario:
    top = w.post("Olena", "The *new* wall held.")
    reply = w.post("Taras", "Did it? See the river road.", top)

    def check(doc: Doc, lang: str, _: Any) -> None:
        assert doc.order == [top, reply]
        assert (doc.comments[top].level, doc.comments[reply].level) == (0, 1)
        assert "Olena" in doc.text_of(top) and "The new wall held." in doc.text_of(top)
        assert WORDS[lang]["edited"] not in doc.html
        assert "rostra-likes" not in doc.html  # no likes, no "0 likes"
        assert WORDS[lang]["reply_to"].split("{")[0].strip() not in doc.html

    return Scenario(2, {"en": "2 comments", "uk": "2 коментарі"}, check)


def _edited(w: World) -> Scenario:
    top = w.post("Olena", "Frist")
    w.edit("Olena", top, "First, *spelled* right.")
    plain = w.post("Taras", "Never edited")

    def check(doc: Doc, lang: str, _: Any) -> None:
        assert WORDS[lang]["edited"] in doc.text_of(top) and "spelled" in doc.text_of(top)
        assert "Frist" not in doc.html
        assert WORDS[lang]["edited"] not in doc.text_of(plain)

    return Scenario(2, {"en": "2 comments", "uk": "2 коментарі"}, check)


def _liked(n: int) -> Callable[[World], Scenario]:
    def build(w: World) -> Scenario:
        top = w.post("Olena", "Like me")
        w.like(top, n)
        other = w.post("Taras", "Nobody likes me")

        def check(doc: Doc, lang: str, _: Any) -> None:
            assert LIKES[lang][n] in doc.text_of(top)
            assert not any(text in doc.text_of(other) for text in LIKES[lang].values())

        return Scenario(2, {"en": "2 comments", "uk": "2 коментарі"}, check)

    return build


def _deleted(w: World) -> Scenario:
    kept = w.post("Olena", "I will regret this")
    answer = w.post("Taras", "A reply keeps the place", kept)
    gone = w.post("Olena", "Gone without a trace")
    w.delete("Olena", kept)
    # A placeholder at the deepest level shown, its reply beside it.
    chain = w.chain(["Olena", "Taras"], 7, w.post("Taras", "Chain top"))
    w.delete(_author(6), chain[6])
    # Last: SQLite gives a removed row's id to the next row inserted.
    w.delete("Olena", gone)

    def check(doc: Doc, lang: str, _: Any) -> None:
        assert gone not in doc.comments and "Gone without" not in doc.html
        assert doc.text_of(kept) == WORDS[lang]["deleted"]
        assert "Olena" not in doc.text_of(kept) and "regret" not in doc.html
        assert doc.comments[answer].level == 1 and "keeps the place" in doc.text_of(answer)
        assert doc.text_of(chain[6]) == WORDS[lang]["deleted"]
        assert doc.comments[chain[6]].level == doc.comments[chain[7]].level == 6
        assert WORDS[lang]["reply_to_other"] in doc.text_of(chain[7])

    return Scenario(8, {"en": "8 comments", "uk": "8 коментарів"}, check)


def _author(depth: int) -> str:
    return ["Olena", "Taras"][depth % 2]


def _held(w: World) -> Scenario:
    top = w.post("Olena", "Top")
    held = w.post("Bob", "Held for a moderator", top)
    under = w.post("Olena", "Under the held one", held)
    rejected = w.post("Bob", "Rejected by a moderator")
    shown = w.post("Taras", "Shown")
    w.hold(held, "pending")
    w.decide(rejected, "reject", "A personal attack")

    def check(doc: Doc, lang: str, client: Any) -> None:
        assert held not in doc.comments and rejected not in doc.comments
        assert doc.order == [top, under, shown]
        # Its parent is not shown: the reply says it answers another comment.
        assert doc.comments[under].level == 1
        assert WORDS[lang]["reply_to_other"] in doc.text_of(under)
        assert "Bob" not in doc.html
        # The author sees both in the JSON the embed reads, marked.
        data = client.get(f"{API}/comments", params={"url": ARTICLE}, headers=w.reader("Bob"))
        by_id = _flatten(data.json()["comments"])
        assert by_id[held]["status"] == "pending" and by_id[rejected]["status"] == "rejected"
        assert by_id[rejected]["moderation_reason"] == "A personal attack"
        assert [r["id"] for r in by_id[held]["replies"]] == [under]
        assert by_id[under]["reply_to"] is None  # shown under its parent, for Bob

    secrets = ["Held for a moderator", "Rejected by a moderator", "A personal attack"]
    return Scenario(3, {"en": "3 comments", "uk": "3 коментарі"}, check, secrets)


def _featured_and_staff(w: World) -> Scenario:
    first = w.post("Olena", "An early thought")
    pick = w.post("Taras", "The one the editors chose")
    w.with_role("Reporter", "staff")
    desk = w.post("Reporter", "From the newsroom")
    w.decide(pick, "feature")

    def check(doc: Doc, lang: str, _: Any) -> None:
        assert doc.order == [pick, first, desk]  # the pick first, whatever the order
        assert WORDS[lang]["featured"] in doc.text_of(pick)
        assert WORDS[lang]["featured"] not in doc.text_of(first) + doc.text_of(desk)
        assert WORDS[lang]["staff"] in doc.text_of(desk)
        assert WORDS[lang]["staff"] not in doc.text_of(first) + doc.text_of(pick)

    return Scenario(3, {"en": "3 comments", "uk": "3 коментарі"}, check)


def _flatten(nodes: list[dict[str, Any]]) -> dict[int, dict[str, Any]]:
    out: dict[int, dict[str, Any]] = {}
    for n in nodes:
        out[n["id"]] = n
        out.update(_flatten(n["replies"]))
    return out


def _long_chain(w: World) -> Scenario:
    ids = w.chain(["Olena", "Taras", "Bob"], 10, w.post("Marta", "Top of a long chain"))
    names = ["Marta", "Taras", "Bob", "Olena"]

    def who(depth: int) -> str:
        return "Marta" if depth == 0 else ["Olena", "Taras", "Bob"][depth % 3]

    def check(doc: Doc, lang: str, _: Any) -> None:
        assert doc.order == ids  # oldest first, whatever the level
        assert doc.max_level == 6
        for depth, cid in enumerate(ids):
            assert doc.comments[cid].level == min(depth, 6), depth
            label = WORDS[lang]["reply_to"].format(name=who(depth - 1))
            if depth > 6:
                assert label in doc.text_of(cid), doc.text_of(cid)
            else:
                assert not any(
                    WORDS[lang]["reply_to"].format(name=n) in doc.text_of(cid) for n in names
                )

    return Scenario(11, {"en": "11 comments", "uk": "11 коментарів"}, check)


def _hostile_name(w: World) -> Scenario:
    w.readers[HOSTILE_NAME] = quick_reader(w.app, HOSTILE_NAME)
    ids = w.chain(
        [HOSTILE_NAME, "Taras"], 7, w.post(HOSTILE_NAME, "<script>alert(1)</script> *fine*")
    )

    def check(doc: Doc, lang: str, _: Any) -> None:
        assert "<b onmouseover" not in doc.html and "&lt;b onmouseover" in doc.html
        assert HOSTILE_NAME in doc.text_of(ids[0])
        assert "<script>alert(1)</script>" in doc.text_of(ids[0])  # shown as text
        # depth 7 answers depth 6 (the hostile name), beside it.
        assert WORDS[lang]["reply_to"].format(name=HOSTILE_NAME) in doc.text_of(ids[7])

    return Scenario(8, {"en": "8 comments", "uk": "8 коментарів"}, check)


def _author_gone(w: World) -> Scenario:
    orphan = w.post("Olena", "My account is gone")
    w.set_row(orphan, author_id=None)

    def check(doc: Doc, lang: str, _: Any) -> None:
        assert WORDS[lang]["former"] in doc.text_of(orphan)

    return Scenario(1, {"en": "1 comment", "uk": "1 коментар"}, check)


def _no_comments(w: World) -> Scenario:
    def check(doc: Doc, lang: str, _: Any) -> None:
        assert doc.comments == {}
        assert WORDS[lang]["empty"] in doc.html
        assert WORDS[lang]["load_more"] not in doc.html

    return Scenario(0, {"en": "0 comments", "uk": "0 коментарів"}, check, url=ARTICLE + "-new")


def _closed(w: World) -> Scenario:
    top = w.post("Olena", "Before closing")
    w.close()

    def check(doc: Doc, lang: str, _: Any) -> None:
        assert WORDS[lang]["closed"] in doc.html
        assert top in doc.comments

    return Scenario(1, {"en": "1 comment", "uk": "1 коментар"}, check)


def _open_story_has_no_closed_notice(doc: Doc, lang: str) -> None:
    assert WORDS[lang]["closed"] not in doc.html


def _paging(w: World) -> Scenario:
    made = [w.post("Olena", f"top {i}") for i in range(21)]

    def check(doc: Doc, lang: str, client: Any) -> None:
        assert doc.order == made[:20]  # oldest first
        more = doc.link(WORDS[lang]["load_more"])
        query = parse_qs(urlsplit(more).query)
        assert query["url"] == [ARTICLE] and query["lang"] == [lang] and query["cursor"]
        second = client.get(more)
        assert second.status_code == 200, second.text
        rest = Doc(second.text)
        assert rest.order == made[20:]
        assert WORDS[lang]["load_more"] not in rest.html

    return Scenario(21, {"en": "21 comments", "uk": "21 коментар"}, check)


def _many_replies(w: World) -> Scenario:
    root = w.post("Olena", "A busy thread")
    first = [w.post("Taras", f"reply {i}", root) for i in range(REPLIES_PER_THREAD)]
    late = w.post("Bob", "A late answer to reply 10", first[10])
    later = w.post("Olena", "And an answer to that", late)
    last = w.post("Taras", "The last direct reply", root)

    def check(doc: Doc, lang: str, client: Any) -> None:
        assert doc.order == [root, *first]  # the first REPLIES_PER_THREAD
        more = doc.link(WORDS[lang]["more_replies"])
        assert urlsplit(more).path == f"/thread/{root}"
        assert parse_qs(urlsplit(more).query)["lang"] == [lang]
        rest_page = client.get(more)
        assert rest_page.status_code == 200, rest_page.text
        assert rest_page.headers["content-type"].startswith("text/html")
        assert_page_inert(rest_page.text)
        rest = Doc(rest_page.text)
        # The thread's top comment, then the replies not shown before.
        assert rest.order == [root, late, later, last]
        assert [rest.comments[c].level for c in rest.order] == [0, 1, 2, 1]
        # Its parent is on the page before: it says whom it answers.
        assert WORDS[lang]["reply_to"].format(name="Taras") in rest.text_of(late)
        assert WORDS[lang]["reply_to"].split("{")[0].strip() not in rest.text_of(later)
        assert WORDS[lang]["more_replies"] not in rest.html
        assert WORDS[lang]["all_comments"] in [t for _, t, _ in rest.links]
        assert rest.title.strip() and TITLE in rest.title

    assert REPLIES_PER_THREAD + 4 == 54
    return Scenario(54, {"en": "54 comments", "uk": "54 коментарі"}, check)


BUILDERS: dict[str, Callable[[World], Scenario]] = {
    "plain": _plain,
    "edited": _edited,
    "liked once": _liked(1),
    "liked a few times": _liked(3),
    "liked many times": _liked(5),
    "deleted with replies": _deleted,
    "held and rejected": _held,
    "featured and staff": _featured_and_staff,
    "long reply chain": _long_chain,
    "hostile author name": _hostile_name,
    "author gone": _author_gone,
    "no comments": _no_comments,
    "closed story": _closed,
    "paging": _paging,
    "more replies than a page holds": _many_replies,
}


def _get(client: TestClient, surface: str, url: str, lang: str) -> Response:
    path = "/thread" if surface == "page" else f"{API}/comments.html"
    r: Response = client.get(path, params={"url": url, "lang": lang})
    return r


@pytest.mark.parametrize("lang", ["en", "uk"])
@pytest.mark.parametrize("surface", ["page", "fragment"])
@pytest.mark.parametrize("state", list(BUILDERS))
def test_every_state_on_every_surface(
    client: TestClient, app: FastAPI, state: str, surface: str, lang: str
) -> None:
    add_site(app)
    scenario = BUILDERS[state](World(client, app))
    r = _get(client, surface, scenario.url, lang)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert_page_inert(r.text)
    doc = Doc(r.text)
    for secret in scenario.secrets:
        assert secret not in r.text
    if surface == "page":
        assert f'<html lang="{lang}">' in r.text
        heading = f"{WORDS[lang]['heading']} ({scenario.count})"
        assert doc.headings["h1"] == [heading]
        title = TITLE if scenario.url == ARTICLE else scenario.url
        assert doc.title == f"{WORDS[lang]['heading']}: {title}"
    else:
        assert "<html" not in r.text
        assert doc.headings["h2"] == [scenario.count_text[lang]]
    if state != "closed story":
        _open_story_has_no_closed_notice(doc, lang)
    scenario.check(doc, lang, client)


def test_one_thread_page_refuses_what_it_cannot_show(client: TestClient, app: FastAPI) -> None:
    add_site(app)
    w = World(client, app)
    top = w.post("Olena", "Top")
    reply = w.post("Taras", "Reply", top)
    held = w.post("Bob", "Held")
    w.hold(held, "pending")
    for path in (f"/thread/{reply}", f"/thread/{held}", "/thread/999999", f"/thread/{2**70}"):
        r = client.get(path)
        assert (r.status_code, r.json()["error"]) == (404, "not_found"), path
    for params in ({"cursor": "garbage"}, {"cursor": "x" * 201}):
        r = client.get(f"/thread/{top}", params=params)
        assert (r.status_code, r.json()["field"]) == (422, "cursor")
    assert client.get("/thread/abc").status_code == 422


def test_one_thread_page_without_a_cursor_shows_the_first_replies(
    client: TestClient, app: FastAPI
) -> None:
    add_site(app)
    w = World(client, app)
    top = w.post("Olena", "Top")
    ids = w.chain(["Taras", "Bob"], 8, top)
    r = client.get(f"/thread/{top}", params={"lang": "uk"})
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=30"
    doc = Doc(r.text)
    assert doc.order == ids
    assert [doc.comments[i].level for i in ids] == [0, 1, 2, 3, 4, 5, 6, 6, 6]
    assert doc.headings["h1"] == ["Коментар від Olena"]
    assert '<link rel="canonical" href="http://rostra.test/thread/' in r.text
    # A label links to the comment it names when that one is on the page.
    label = WORDS["uk"]["reply_to"].format(name="Taras")
    assert (f"#comment-{ids[6]}", label, {"href": f"#comment-{ids[6]}"}) in doc.links


def test_one_thread_page_of_a_deleted_top_comment(client: TestClient, app: FastAPI) -> None:
    add_site(app)
    w = World(client, app)
    top = w.post("Olena", "Soon gone")
    reply = w.post("Taras", "Still here", top)
    w.delete("Olena", top)
    doc = Doc(client.get(f"/thread/{top}").text)
    assert doc.headings["h1"] == ["Comments"]
    assert doc.text_of(top) == "This comment was deleted."
    assert "Still here" in doc.text_of(reply)
