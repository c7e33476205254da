"""SSO: a publisher's signed token becomes a Rostra session, once."""

from __future__ import annotations

import base64
import json
import time
from datetime import timedelta
from typing import Any

import jwt
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from rostra.db.base import utcnow
from rostra.http.deps import state_of
from rostra.models import Site, UsedSsoToken, User
from rostra.sso import repository, service
from rostra.sso.errors import InvalidSsoToken
from tests.factories import ARTICLE, add_site


def _token(secret: str, **claims: Any) -> str:
    now = int(time.time())
    body: dict[str, Any] = {
        "sub": "u-42",
        "name": "Olena K.",
        "email": "Olena@Example.org",
        "iat": now,
        "exp": now + 300,
        "jti": f"j-{time.monotonic_ns()}",
    }
    body.update(claims)
    return jwt.encode({k: v for k, v in body.items() if v is not None}, secret, algorithm="HS256")


@pytest.fixture
def secret(app: FastAPI) -> str:
    return add_site(app).sso_secret


def _exchange(client: TestClient, token: str, url: str = ARTICLE) -> Any:
    return client.post("/api/v1/auth/sso", json={"url": url, "token": token})


def test_valid_token_signs_in_and_updates_profile(client: TestClient, secret: str) -> None:
    r = _exchange(client, _token(secret))
    assert r.status_code == 200, r.text
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {r.json()['token']}"})
    assert me.status_code == 200
    assert me.json()["display_name"] == "Olena K."
    assert me.json()["email"] == "olena@example.org"
    assert me.json()["email_verified"] is True
    again = _exchange(
        client, _token(secret, name="Olena Kovalenko", avatar="https://img.example/o.png")
    )
    assert again.json()["user"]["id"] == r.json()["user"]["id"]
    assert again.json()["user"]["display_name"] == "Olena Kovalenko"
    assert again.json()["user"]["avatar_url"] == "https://img.example/o.png"


def test_same_subject_on_another_site_is_another_reader(
    client: TestClient, app: FastAPI, secret: str
) -> None:
    other = add_site(app, "other", ["https://other.example"])
    a = _exchange(client, _token(secret)).json()["user"]["id"]
    b = _exchange(client, _token(other.sso_secret), "https://other.example/a").json()["user"]["id"]
    assert a != b


def _refused(r: Any, words: str) -> None:
    assert r.status_code == 401, r.text
    assert r.json()["error"] == "invalid_sso_token"
    assert words in r.json()["detail"]


def test_expired_token_is_refused(client: TestClient, secret: str) -> None:
    now = int(time.time())
    _refused(_exchange(client, _token(secret, iat=now - 900, exp=now - 600)), "expired")


def test_token_living_too_long_is_refused(client: TestClient, secret: str) -> None:
    _refused(_exchange(client, _token(secret, exp=int(time.time()) + 3600)), "10 minutes")


def test_forged_token_is_refused(client: TestClient, secret: str) -> None:
    _refused(_exchange(client, _token("not-the-site-secret-but-just-as-long-1234")), "signature")


def test_replayed_token_is_refused(client: TestClient, secret: str) -> None:
    token = _token(secret)
    assert _exchange(client, token).status_code == 200
    _refused(_exchange(client, token), "used before")


def test_replay_without_jti_is_caught_by_hash(client: TestClient, secret: str) -> None:
    token = _token(secret, jti=None)
    assert _exchange(client, token).status_code == 200
    _refused(_exchange(client, token), "used before")


@pytest.mark.parametrize("claim", ["sub", "exp", "iat"])
def test_missing_claim_is_refused(client: TestClient, secret: str, claim: str) -> None:
    _refused(_exchange(client, _token(secret, **{claim: None})), f"'{claim}'")


def test_alg_none_and_other_algorithms_are_refused(client: TestClient, secret: str) -> None:
    good = _token(secret)
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    unsigned = header.decode().rstrip("=") + "." + good.split(".")[1] + "."
    _refused(_exchange(client, unsigned), "HS256")
    hs512 = jwt.encode(
        {"sub": "x", "iat": int(time.time()), "exp": int(time.time()) + 60},
        secret * 2,
        algorithm="HS512",
    )
    _refused(_exchange(client, hs512), "HS256")


def test_garbage_is_refused(client: TestClient, secret: str) -> None:
    _refused(_exchange(client, "not a jwt"), "not a JWT")


def test_unknown_site_is_422(client: TestClient, secret: str) -> None:
    r = _exchange(client, _token(secret), "https://elsewhere.example/x")
    assert r.status_code == 422
    assert r.json()["error"] == "url_not_allowed"


SECRET = "a-test-secret-that-is-32-bytes-long!"


def test_verify_reports_each_problem() -> None:
    now = utcnow()
    token = service.make_token(SECRET, "7", name="A", now=now)
    assert service.verify(token, SECRET, now=now)["sub"] == "7"
    with pytest.raises(InvalidSsoToken, match="expired"):
        service.verify(token, SECRET, now=now + timedelta(minutes=20))
    with pytest.raises(InvalidSsoToken, match="signature"):
        service.verify(token, SECRET + "x", now=now)
    with pytest.raises(InvalidSsoToken, match="future"):
        service.verify(token, SECRET, now=now - timedelta(minutes=5))


def test_suspended_reader_is_refused(client: TestClient, app: FastAPI, secret: str) -> None:
    user_id = _exchange(client, _token(secret)).json()["user"]["id"]
    with state_of(app).write_sessions() as db:
        user = db.get(User, user_id)
        assert user is not None
        user.is_suspended = True
        db.commit()
    r = _exchange(client, _token(secret))
    assert r.status_code == 403, r.text
    assert r.json()["error"] == "account_suspended"


def test_two_tabs_signing_in_a_new_reader_share_it(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tab A looked the subject up and found nothing; tab B then created the
    reader and committed; tab A's insert now hits the unique constraint and
    must use B's reader instead of failing."""
    site_id = add_site(app).id
    with state_of(app).write_sessions() as other_tab:
        site = other_tab.get(Site, site_id)
        assert site is not None
        first = service.sign_in(
            other_tab, site, service.make_token(site.sso_secret, "u-7", name="Tab B")
        )
        other_tab.commit()
        first_id = first.id
    real = repository.reader
    lookups: list[str] = []

    def looked_before_the_other_tab_committed(db: Any, site_id: int, subject: str) -> Any:
        lookups.append(subject)
        return None if len(lookups) == 1 else real(db, site_id, subject)

    monkeypatch.setattr(repository, "reader", looked_before_the_other_tab_committed)
    with state_of(app).write_sessions() as db:
        site = db.get(Site, site_id)
        assert site is not None
        user = service.sign_in(db, site, service.make_token(site.sso_secret, "u-7", name="Tab A"))
        db.commit()
        assert user.id == first_id
        assert user.display_name == "Tab A"
        assert db.query(User).filter(User.sso_subject == "u-7").count() == 1
    assert lookups == ["u-7", "u-7"]


def test_replay_records_are_kept_until_housekeeping(app: FastAPI) -> None:
    """An exchange sweeps nothing: records of expired tokens are the housekeeping
    job's; a record that exists still refuses its token."""
    site_id = add_site(app).id
    now = utcnow()
    with state_of(app).write_sessions() as db:
        db.add(UsedSsoToken(site_id=site_id, jti="old", expires_at=now - timedelta(hours=1)))
        db.commit()
        site = db.get(Site, site_id)
        assert site is not None
        token = service.make_token(site.sso_secret, "u-1", now=now)
        service.sign_in(db, site, token, now=now)
        db.commit()
        assert db.get(UsedSsoToken, (site_id, "old")) is not None
        with pytest.raises(InvalidSsoToken, match="used before"):
            service.sign_in(db, site, token, now=now + timedelta(minutes=4))
        db.rollback()
        # Past its expiry (and the leeway) the token is refused as expired.
        with pytest.raises(InvalidSsoToken, match="expired"):
            service.sign_in(db, site, token, now=now + timedelta(minutes=6))


def test_a_jti_may_be_reused_once_its_token_is_dead(app: FastAPI) -> None:
    site_id = add_site(app).id
    now = utcnow()
    with state_of(app).write_sessions() as db:
        site = db.get(Site, site_id)
        assert site is not None
        old = jwt.encode(
            {
                "sub": "u-1",
                "iat": int(now.timestamp()),
                "exp": int(now.timestamp()) + 60,
                "jti": "counter-1",
            },
            site.sso_secret,
            algorithm="HS256",
        )
        service.sign_in(db, site, old, now=now)
        db.commit()
        later = now + timedelta(minutes=5)
        new = jwt.encode(
            {
                "sub": "u-1",
                "iat": int(later.timestamp()),
                "exp": int(later.timestamp()) + 60,
                "jti": "counter-1",
            },
            site.sso_secret,
            algorithm="HS256",
        )
        service.sign_in(db, site, new, now=later)
        db.commit()
        with pytest.raises(InvalidSsoToken, match="used before"):
            service.sign_in(db, site, new, now=later)
