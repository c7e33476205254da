"""/openapi.json describes every operation for people and for /docs: a
hand-written summary, and the bearer token where it is taken (required, or
optional where a signed-in reader only sees more)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.comments.conftest import quick_reader
from tests.factories import ARTICLE, add_site, seen_by

Requirements = list[dict[str, list[str]]]
REQUIRED: Requirements = [{"bearer": []}]
OPTIONAL: Requirements = [{}, {"bearer": []}]
NONE = None

# Every operation, with the security it must declare. A new operation must
# be added here, so that whether it takes a token is a decision.
SECURITY: dict[tuple[str, str], Requirements | None] = {
    ("post", "/api/v1/auth/register"): NONE,
    ("post", "/api/v1/auth/login"): NONE,
    ("post", "/api/v1/auth/logout"): REQUIRED,
    ("get", "/api/v1/me"): REQUIRED,
    ("post", "/api/v1/auth/verify-email"): NONE,
    ("post", "/api/v1/auth/verify-email/resend"): REQUIRED,
    ("post", "/api/v1/auth/password-reset"): NONE,
    ("post", "/api/v1/auth/password-reset/confirm"): NONE,
    ("post", "/api/v1/auth/sso"): NONE,
    ("get", "/api/v1/comments"): OPTIONAL,
    ("post", "/api/v1/comments"): REQUIRED,
    ("get", "/api/v1/comments/{comment_id}/replies"): OPTIONAL,
    ("get", "/api/v1/events"): OPTIONAL,
    ("patch", "/api/v1/comments/{comment_id}"): REQUIRED,
    ("delete", "/api/v1/comments/{comment_id}"): REQUIRED,
    ("put", "/api/v1/comments/{comment_id}/reactions/like"): REQUIRED,
    ("delete", "/api/v1/comments/{comment_id}/reactions/like"): REQUIRED,
    ("patch", "/api/v1/stories/{story_id}"): REQUIRED,
    ("post", "/api/v1/comments/{comment_id}/reports"): REQUIRED,
    ("get", "/api/v1/moderation/queue"): REQUIRED,
    ("post", "/api/v1/moderation/comments/{comment_id}/decision"): REQUIRED,
    ("post", "/api/v1/moderation/users/{user_id}/ban"): REQUIRED,
    ("patch", "/api/v1/moderation/stories/{story_id}"): REQUIRED,
    ("put", "/api/v1/moderation/sites/{site}/roles/{user_id}"): REQUIRED,
    ("get", "/api/v1/moderation/audit"): REQUIRED,
    ("delete", "/api/v1/moderation/users/{user_id}/ban"): REQUIRED,
    ("get", "/api/v1/moderation/sites/{site}/settings"): REQUIRED,
    ("patch", "/api/v1/moderation/sites/{site}/settings"): REQUIRED,
    ("get", "/api/v1/moderation/dashboard"): REQUIRED,
    ("get", "/api/v1/comments/{comment_id}/context"): OPTIONAL,
    ("get", "/api/v1/stories/{story_id}"): REQUIRED,
    ("post", "/api/v1/stories/{story_id}/fetch-metadata"): REQUIRED,
    ("get", "/api/v1/counts"): NONE,
    ("get", "/api/v1/comments.html"): NONE,
    ("patch", "/api/v1/me"): REQUIRED,
    ("get", "/api/v1/auth/handle-suggestion"): NONE,
    ("get", "/api/v1/users/{handle}"): OPTIONAL,
    ("get", "/api/v1/users"): REQUIRED,
    ("put", "/api/v1/users/{handle}/follow"): REQUIRED,
    ("delete", "/api/v1/users/{handle}/follow"): REQUIRED,
    ("put", "/api/v1/users/{handle}/block"): REQUIRED,
    ("delete", "/api/v1/users/{handle}/block"): REQUIRED,
    ("get", "/api/v1/feed"): REQUIRED,
    ("get", "/api/v1/notifications"): REQUIRED,
    ("post", "/api/v1/notifications/read"): REQUIRED,
}


def _operations(spec: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(m, p): op for p, ops in spec["paths"].items() for m, op in ops.items()}


def test_every_operation_has_a_written_summary(client: TestClient) -> None:
    for (method, path), op in _operations(client.get("/openapi.json").json()).items():
        summary = op.get("summary", "")
        # FastAPI's stand-in is the function's name in Title Case ("Sso Sign In").
        generated = op["operationId"].split("_api_v1")[0].replace("_", " ").title()
        assert summary and summary != generated, (method, path, summary)
        assert summary[0].isupper() and summary != summary.title(), (method, path, summary)


def test_security_is_declared_where_a_token_is_taken(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"] == {
        "bearer": {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A sign-in token from `POST /api/v1/auth/login` or `POST /api/v1/auth/sso`."
            ),
        }
    }
    found = {key: op.get("security") for key, op in _operations(spec).items()}
    assert found == SECURITY
    # The same document twice (it is built once and kept).
    assert client.get("/openapi.json").json() == spec


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "Token abc"]
)
def test_a_required_token_missing_is_rostras_own_401(
    client: TestClient, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json() == {
        "error": "not_authenticated",
        "detail": "Sign in first: send Authorization: Bearer TOKEN.",
    }
    r = client.get("/api/v1/me", headers={"Authorization": "Bearer unknown-token"})
    assert (r.status_code, r.json()["error"]) == (401, "not_authenticated")
    assert r.headers["www-authenticate"] == "Bearer"


def test_an_optional_token_is_used_or_ignored(client: TestClient, app: Any) -> None:
    add_site(app)
    alice = quick_reader(app, "Alice")
    r = client.post("/api/v1/comments", json={"url": ARTICLE, "body": "mine"}, headers=alice)
    assert r.status_code == 201, r.text
    for headers, mine in (
        (alice, True),
        ({}, False),
        ({"Authorization": "Bearer stale-token"}, False),  # ignored on a public read
        ({"Authorization": "Basic dXNlcjpwYXNz"}, False),
    ):
        r = client.get("/api/v1/comments", params={"url": ARTICLE}, headers=headers)
        assert r.status_code == 200, r.text
        assert seen_by(r.json())["comments"][0]["is_mine"] is mine
