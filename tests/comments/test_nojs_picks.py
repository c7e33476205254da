"""The no-JS thread surfaces put the editors' picks first, in their own
section, in every state a pick can be in (edited, liked, by staff, with
replies, deleted by its author), on SQLite and PostgreSQL."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.models import Site
from tests.comments.conftest import API, post, quick_reader
from tests.desk.conftest import decide, with_role
from tests.factories import ARTICLE, assert_page_inert

SURFACES = ("/thread", f"{API}/comments.html")


def _section(html: str) -> tuple[str, str]:
    """The picks section and what follows it."""
    m = re.search(r'<section class="rostra-picks".*?</section>', html, re.S)
    assert m, html
    return m.group(0), html[m.end() :]


@pytest.mark.parametrize("path", SURFACES)
def test_picks_come_first_in_their_own_section_in_every_state(
    client: TestClient,
    app: FastAPI,
    site: Site,
    alice: dict[str, str],
    path: str,
) -> None:
    mod = with_role(client, app, site, "moderator")
    staff = with_role(client, app, site, "staff", "Reporter")
    bob = quick_reader(app, "Bob")
    edited = post(client, alice, "Picked, then edited.").json()["id"]
    by_staff = post(client, staff, "Picked, from the newsroom.").json()["id"]
    gone = post(client, alice, "Picked, then deleted with a reply.").json()["id"]
    plain = post(client, bob, "Not a pick <script>alert(1)</script>.").json()["id"]
    post(client, bob, "A reply to a pick.", parent_id=edited)
    post(client, bob, "A reply keeps the deleted pick's place.", parent_id=gone)
    for cid in (edited, by_staff, gone):
        decide(client, mod, cid, "feature")
    r = client.patch(
        f"{API}/comments/{edited}", json={"body": "Picked, now edited."}, headers=alice
    )
    assert r.status_code == 200, r.text
    assert client.put(f"{API}/comments/{edited}/reactions/like", headers=bob).status_code == 200
    assert client.delete(f"{API}/comments/{gone}", headers=alice).status_code == 204

    html = client.get(path, params={"url": ARTICLE, "sort": "newest"}).text
    assert_page_inert(html)
    picks, rest = _section(html)
    assert html.index("rostra-picks") < html.index("Not a pick")
    # In the section: the two published picks, marked, with their state and replies.
    assert "Picked, now edited." in picks and "A reply to a pick." in picks
    assert "(edited)" in picks and "1 like" in picks
    assert "Picked, from the newsroom." in picks
    assert picks.count('class="rostra-featured"') == 2
    assert picks.count('class="rostra-staff"') == 1
    assert "Editors&#39; picks" in picks or "Editors' picks" in picks
    # The deleted pick is a placeholder among the rest, not a pick.
    assert "This comment was deleted." in rest and "keeps the deleted pick" in rest
    assert f'id="comment-{gone}"' in rest and f'id="comment-{plain}"' in rest
    assert "All comments" in rest
    assert "&lt;script&gt;" in rest and "<script>alert" not in html
    for cid in (edited, by_staff):
        assert html.count(f'id="comment-{cid}"') == 1

    # Unfeatured: no section, one list as before (the cached page is retired).
    for cid in (edited, by_staff):
        decide(client, mod, cid, "unfeature")
    html = client.get(path, params={"url": ARTICLE, "sort": "newest"}).text
    assert "rostra-picks" not in html and "rostra-featured" not in html
    assert "All comments" not in html


def test_a_page_of_picks_only_has_no_empty_list(
    client: TestClient,
    app: FastAPI,
    site: Site,
    alice: dict[str, str],
) -> None:
    mod = with_role(client, app, site, "moderator")
    cid = post(client, alice, "The only one, picked.").json()["id"]
    decide(client, mod, cid, "feature")
    html = client.get("/thread", params={"url": ARTICLE}).text
    picks, rest = _section(html)
    assert "The only one, picked." in picks
    assert "rostra-comments" not in rest and "All comments" not in rest
