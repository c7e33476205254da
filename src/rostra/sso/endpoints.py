"""``POST /api/v1/auth/sso``: a publisher's signed token for a Rostra session."""

from __future__ import annotations

from fastapi import APIRouter, Request

from rostra.accounts.schemas import LoginOut, MeOut
from rostra.http.client import user_agent
from rostra.http.deps import RateLimits, SettingsDep, WriteSession
from rostra.sso import service
from rostra.sso.schemas import SsoIn

router = APIRouter(tags=["accounts"])


@router.post(
    "/auth/sso",
    response_model=LoginOut,
    summary="Sign in with a publisher's SSO token",
    responses={
        401: {"description": "invalid_sso_token: forged, expired, replayed or malformed"},
        403: {"description": "account_suspended: the reader is suspended"},
        422: {"description": "url_not_allowed / invalid_url"},
    },
)
def sso_sign_in(
    body: SsoIn, request: Request, db: WriteSession, settings: SettingsDep, limits: RateLimits
) -> LoginOut:
    """Exchange an SSO token for a bearer token (see docs/sso.md)."""
    limits.enforce("login", limits.address)
    user, token = service.exchange(db, settings, body.url, body.token, user_agent(request))
    return LoginOut(token=token, user=MeOut.model_validate(user))
