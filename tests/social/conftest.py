"""Helpers for social tests: readers made quickly, with their handles."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.comments.conftest import alice, bob, post, quick_reader, site  # noqa: F401

API = "/api/v1"


def me(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    r = client.get(f"{API}/me", headers=headers)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def handle(client: TestClient, headers: dict[str, str]) -> str:
    return str(me(client, headers)["handle"])


def named(app: FastAPI, name: str, **values: Any) -> dict[str, str]:
    return quick_reader(app, name, **values)
