"""``POST /api/v1/auth/sso``: a publisher's signed token for a Rostra session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session

from rostra.accounts.ratelimit import by_address, enforce
from rostra.accounts.schemas import LoginOut, MeOut
from rostra.accounts.service import create_session
from rostra.db.session import get_db
from rostra.errors import Invalid
from rostra.sites.repository import site_for_url
from rostra.sso import service
from rostra.sso.schemas import SsoIn

router = APIRouter(tags=["accounts"])


@router.post(
    "/auth/sso",
    response_model=LoginOut,
    responses={
        401: {"description": "invalid_sso_token: forged, expired, replayed or malformed"},
        403: {"description": "account_suspended: the reader is suspended"},
        422: {"description": "url_not_allowed / invalid_url"},
    },
)
def sso_sign_in(body: SsoIn, request: Request, db: Annotated[Session, Depends(get_db)]) -> LoginOut:
    """Exchange an SSO token for a bearer token (see docs/sso.md)."""
    enforce(request, "login", by_address(request))
    site = site_for_url(db, body.url)
    if site is None:
        raise Invalid(
            "The article URL belongs to no configured site.", field="url", code="url_not_allowed"
        )
    if not site.sso_secret:
        raise service.InvalidSsoToken("This site has no SSO secret configured.")
    user = service.sign_in(db, site, body.token)
    token = create_session(
        db, request.app.state.settings, user, request.headers.get("user-agent", "")
    )
    db.commit()
    return LoginOut(token=token, user=MeOut.model_validate(user))
