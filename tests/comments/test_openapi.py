"""The comment routes are described in /openapi.json with their models."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_documented_models(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    paths = spec["paths"]

    def model(path: str, method: str, status: str = "200") -> str:
        content = paths[path][method]["responses"][status]["content"]["application/json"]
        ref: str = content["schema"]["$ref"]
        return ref.rsplit("/", 1)[1]

    assert model("/api/v1/comments", "get") == "CommentPage"
    assert model("/api/v1/comments", "post", "201") == "CommentOut"
    assert model("/api/v1/comments", "post", "202") == "CommentOut"
    assert model("/api/v1/comments/{comment_id}", "patch") == "CommentOut"
    assert model("/api/v1/comments/{comment_id}/replies", "get") == "RepliesPage"
    assert model("/api/v1/comments/{comment_id}/reactions/like", "put") == "LikeOut"
    assert model("/api/v1/counts", "get") == "CountsOut"
    assert model("/api/v1/stories/{story_id}", "patch") == "StoryAdminOut"
    assert "204" in paths["/api/v1/comments/{comment_id}"]["delete"]["responses"]
    comment = spec["components"]["schemas"]["CommentOut"]["properties"]
    assert {"replies", "replies_cursor", "editable_until", "liked", "is_mine"} <= set(comment)
    post = spec["components"]["schemas"]["CommentIn"]
    assert post["additionalProperties"] is False
    params = {p["name"] for p in paths["/api/v1/comments"]["post"]["parameters"]}
    assert "Idempotency-Key" in params
