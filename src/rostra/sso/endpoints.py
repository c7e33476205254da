"""``POST /api/v1/auth/sso``: a publisher's signed token for a Rostra session."""

from __future__ import annotations

from fastapi import APIRouter, Request

from rostra.accounts.schemas import LoginOut, me_out
from rostra.http.client import user_agent
from rostra.http.deps import RateLimits, SettingsDep, WriteSession
from rostra.sso import service
from rostra.sso.errors import InvalidSsoToken
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
        429: {"description": "rate_limited: this reader, or failures from this address"},
    },
)
def sso_sign_in(
    body: SsoIn, request: Request, db: WriteSession, settings: SettingsDep, limits: RateLimits
) -> LoginOut:
    """Exchange an SSO token for a bearer token (see docs/sso.md).

    The publisher signs every token, so a valid exchange is limited per
    reader (site and ``sub``), never per address: readers behind one address
    do not share an allowance. Failed exchanges are counted per address, and
    an address over that allowance is refused before its token is read.
    """
    limits.check("sso_failed", limits.address)

    def admit(site_id: int, sub: str) -> None:
        limits.enforce("sso", f"sso:{site_id}:{sub}")

    try:
        user, token = service.exchange(
            db, settings, body.url, body.token, user_agent(request), admit
        )
    except InvalidSsoToken:
        limits.count("sso_failed", limits.address)
        raise
    return LoginOut(token=token, user=me_out(user))
