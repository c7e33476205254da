"""The display cap on nesting (ROSTRA_MAX_DISPLAY_DEPTH): GET /comments and
GET /comments/{id}/replies send the thread as shown, while the stored tree
(parent_id, depth, thread_id) stays as it was written."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update

from rostra.comments.schemas import CommentOut, CommentPage, RepliesPage
from rostra.config import ConfigError, load_settings
from rostra.http.deps import state_of
from rostra.models import Comment, Site
from tests.comments.conftest import API, comment_row, page, post, quick_reader


def shown(nodes: list[dict[str, Any]], level: int = 0) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every comment as sent, in reading order, with the level it is shown at."""
    for n in nodes:
        yield level, n
        yield from shown(n["replies"], level + 1)


def set_cap(app: FastAPI, cap: int) -> None:
    state = state_of(app)
    state.settings = state.settings.model_copy(update={"max_display_depth": cap})


def chain(client: TestClient, readers: list[dict[str, str]], top: int, length: int) -> list[int]:
    ids = [top]
    for depth in range(1, length + 1):
        r = post(client, readers[depth % len(readers)], f"d{depth}", parent_id=ids[-1])
        ids.append(r.json()["id"])
    return ids


@pytest.fixture
def names(app: FastAPI, site: Site) -> list[tuple[str, dict[str, str]]]:
    return [(n, quick_reader(app, n)) for n in ("Olena", "Taras", "Marta")]


def test_a_45_reply_chain_is_six_levels_deep(
    client: TestClient, names: list[tuple[str, dict[str, str]]]
) -> None:
    readers = [h for _, h in names]
    top = post(client, readers[0], "top").json()["id"]
    ids = chain(client, readers, top, 45)
    for headers in (None, readers[1]):  # anonymous (cached) and signed in
        data = page(client, headers=headers)
        CommentPage.model_validate(data)
        seen = list(shown(data["comments"]))
        assert [n["id"] for _, n in seen] == ids  # all of them, oldest first
        assert max(level for level, _ in seen) == 6
        for (level, node), depth in zip(seen, range(46), strict=True):
            # What is stored is unchanged: the true depth and parent.
            assert node["depth"] == depth and node["thread_id"] == top
            assert node["parent_id"] == (ids[depth - 1] if depth else None)
            assert level == min(depth, 6)
            if depth > 6:
                parent_name = names[(depth - 1) % 3][0]
                assert node["reply_to"] == {"id": ids[depth - 1], "display_name": parent_name}
                assert node["replies"] == []
            else:
                assert node["reply_to"] is None
    # The JSON is no longer 45 objects deep.
    level6 = data["comments"][0]
    for _ in range(5):
        level6 = level6["replies"][0]
    assert [n["id"] for n in level6["replies"]] == ids[6:]


@pytest.mark.parametrize("cap", [1, 2, 3])
def test_the_cap_is_a_setting(
    client: TestClient, app: FastAPI, names: list[tuple[str, dict[str, str]]], cap: int
) -> None:
    set_cap(app, cap)
    readers = [h for _, h in names]
    top = post(client, readers[0], "top").json()["id"]
    ids = chain(client, readers, top, 6)
    seen = list(shown(page(client)["comments"]))
    assert [level for level, _ in seen] == [min(d, cap) for d in range(7)]
    assert [n["reply_to"] is not None for _, n in seen] == [d > cap for d in range(7)]
    r = client.get(f"{API}/comments/{top}/replies")
    flat = r.json()["replies"]
    assert [n["id"] for n in flat] == ids[1:]
    assert [n["reply_to"] is not None for n in flat] == [d > cap for d in range(1, 7)]


def test_branches_at_the_deepest_level_stay_in_time_order(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    set_cap(app, 2)
    top = post(client, alice, "top").json()["id"]
    a = post(client, bob, "a", parent_id=top).json()["id"]
    b = post(client, alice, "b", parent_id=a).json()["id"]  # level 2, the deepest
    c = post(client, bob, "c", parent_id=a).json()["id"]  # level 2
    b1 = post(client, bob, "b1", parent_id=b).json()["id"]
    c1 = post(client, alice, "c1", parent_id=c).json()["id"]
    b2 = post(client, alice, "b2", parent_id=b1).json()["id"]
    root = page(client)["comments"][0]
    level2 = root["replies"][0]["replies"]
    assert [n["id"] for n in level2] == [b, c, b1, c1, b2]
    assert [n["reply_to"] and n["reply_to"]["id"] for n in level2] == [None, None, b, c, b1]
    assert [n["reply_to"] and n["reply_to"]["display_name"] for n in level2] == [
        None,
        None,
        "Alice",
        "Bob",
        "Bob",
    ]


def test_a_parent_older_than_its_reply_is_still_placed_first(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    """Imported threads can have a reply timestamped before its parent."""
    set_cap(app, 1)
    top = post(client, alice, "top").json()["id"]
    a = post(client, bob, "a", parent_id=top).json()["id"]
    b = post(client, alice, "b", parent_id=a).json()["id"]
    row = comment_row(app, a)
    assert row is not None
    with state_of(app).write_sessions() as db:
        db.execute(
            update(Comment).where(Comment.id == b).values(created_at=row.created_at - timedelta(1))
        )
        db.commit()
    root = page(client, headers=alice)["comments"][0]
    assert [n["id"] for n in root["replies"]] == [b, a]  # time order
    assert root["replies"][0]["reply_to"] == {"id": a, "display_name": "Bob"}


def test_reply_to_a_deleted_parent_names_nobody(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    set_cap(app, 1)
    top = post(client, alice, "top").json()["id"]
    a = post(client, bob, "a", parent_id=top).json()["id"]
    b = post(client, alice, "b", parent_id=a).json()["id"]
    assert client.delete(f"{API}/comments/{a}", headers=bob).status_code == 204
    for data in (page(client)["comments"][0]["replies"], _replies(client, top)):
        by_id = {n["id"]: n for n in data}
        assert by_id[a]["status"] == "deleted" and by_id[a]["author"] is None
        assert by_id[b]["reply_to"] == {"id": a, "display_name": None}


def _replies(client: TestClient, top: int, **params: Any) -> list[dict[str, Any]]:
    r = client.get(f"{API}/comments/{top}/replies", params=params)
    assert r.status_code == 200, r.text
    RepliesPage.model_validate(r.json())
    replies: list[dict[str, Any]] = r.json()["replies"]
    return replies


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_reply_to_a_hidden_parent_names_nobody_but_to_its_author(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str], status: str
) -> None:
    top = post(client, alice, "top").json()["id"]
    hidden = post(client, bob, "held back", parent_id=top).json()["id"]
    under = post(client, alice, "under it", parent_id=hidden).json()["id"]
    with state_of(app).write_sessions() as db:
        db.execute(update(Comment).where(Comment.id == hidden).values(status=status))
        db.commit()
    for headers in (None, alice):
        root = page(client, headers=headers)["comments"][0]
        assert [n["id"] for n in root["replies"]] == [under]
        assert root["replies"][0]["reply_to"] == {"id": hidden, "display_name": None}
        r = client.get(f"{API}/comments/{top}/replies", headers=headers or {})
        assert r.json()["replies"][0]["reply_to"] == {"id": hidden, "display_name": None}
    mine = page(client, headers=bob)["comments"][0]
    assert [n["id"] for n in mine["replies"]] == [hidden]
    assert mine["replies"][0]["replies"][0]["id"] == under
    assert mine["replies"][0]["replies"][0]["reply_to"] is None


def test_further_replies_name_parents_from_earlier_pages(
    client: TestClient, app: FastAPI, alice: dict[str, str], bob: dict[str, str]
) -> None:
    set_cap(app, 2)
    top = post(client, alice, "top").json()["id"]
    a = post(client, bob, "a", parent_id=top).json()["id"]
    b = post(client, alice, "b", parent_id=a).json()["id"]  # at the cap
    filler = [post(client, bob, f"f{i}", parent_id=top).json()["id"] for i in range(3)]
    deep = post(client, bob, "deep", parent_id=b).json()["id"]  # beside b
    shallow = post(client, alice, "shallow", parent_id=a).json()["id"]  # under a
    first = _replies(client, top, limit=4)
    assert [n["id"] for n in first] == [a, b, *filler[:2]]
    assert all(n["reply_to"] is None for n in first)
    cursor = client.get(f"{API}/comments/{top}/replies", params={"limit": 4}).json()["next_cursor"]
    rest = _replies(client, top, limit=4, cursor=cursor)
    assert [n["id"] for n in rest] == [filler[2], deep, shallow]
    assert [n["reply_to"] for n in rest] == [None, {"id": b, "display_name": "Alice"}, None]


def test_answers_to_post_and_patch_carry_no_placement(
    client: TestClient, app: FastAPI, alice: dict[str, str]
) -> None:
    set_cap(app, 1)
    top = post(client, alice, "top").json()["id"]
    a = post(client, alice, "a", parent_id=top).json()["id"]
    made = post(client, alice, "deep", parent_id=a).json()
    CommentOut.model_validate(made)
    assert (made["depth"], made["reply_to"], made["replies"]) == (2, None, [])
    edited = client.patch(f"{API}/comments/{made['id']}", json={"body": "x"}, headers=alice)
    assert edited.status_code == 200 and edited.json()["reply_to"] is None


def test_openapi_documents_reply_to(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()["components"]["schemas"]
    prop = spec["CommentOut"]["properties"]["reply_to"]
    assert "ROSTRA_MAX_DISPLAY_DEPTH" in prop["description"]
    assert set(spec["ReplyTo"]["properties"]) == {"id", "display_name"}


@pytest.mark.parametrize("value", ["0", "-1", "101", "six"])
def test_the_setting_is_checked(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("ROSTRA_MAX_DISPLAY_DEPTH", value)
    with pytest.raises(ConfigError, match="max_display_depth"):
        load_settings(data_dir="/tmp/unused-rostra-data")  # noqa: S108 (never written: fails first)
