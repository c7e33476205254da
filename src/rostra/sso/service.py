"""Single sign-on: a publisher's signed token in, a Rostra reader out.

The publisher's backend signs a short-lived HS256 JWT with its site's SSO
secret, describing its own user (``sub``, ``email``, ``name``, optional
``avatar``, ``iat``, ``exp``, ``jti``). The embed exchanges it for a Rostra
session. The token travels through the publisher's HTML, so it is accepted
once only (recorded by ``jti``, or by its hash when it has none) and only
when it expires within a few minutes. Records of expired tokens are swept by
the housekeeping job (rostra.jobs.housekeeping).

An SSO reader belongs to its site: the site vouches for its name and email,
and for nothing on any other site.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rostra.accounts import service as accounts
from rostra.config import Settings
from rostra.db.base import utcnow
from rostra.models import Site, User
from rostra.sites import service as sites
from rostra.sso import repository
from rostra.sso.errors import InvalidSsoToken
from rostra.text import has_forbidden_characters

ALGORITHM = "HS256"
MAX_LIFETIME = timedelta(minutes=10)
LEEWAY = timedelta(seconds=30)  # clocks of publisher and Rostra differ a little
MAX_TOKEN_CHARS = 8192
MAX_JTI = 128
MAX_NAME = 80
#: The claims kept as text (with the reader, or as the record of a use).
TEXT_CLAIMS = ("sub", "jti", "name", "email", "avatar")
#: Told of each valid exchange, by site id and ``sub``; raises to refuse it.
Admit = Callable[[int, str], None]
REPLAYED = "The SSO token was used before; sign a new one for each page view."


def verify(token: str, secret: str, *, now: datetime | None = None) -> dict[str, Any]:
    """Check signature, algorithm and times; return the claims or raise InvalidSsoToken."""
    now = now or utcnow()
    if len(token) > MAX_TOKEN_CHARS:
        raise InvalidSsoToken("The SSO token is too long.")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise InvalidSsoToken("The SSO token is not a JWT (header.payload.signature).") from None
    # Checked before decoding so that "none" or RS256 get a clear message.
    if header.get("alg") != ALGORITHM:
        raise InvalidSsoToken(
            f"The SSO token must be signed with HS256, not {header.get('alg')!r}."
        )
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            # Times are checked below against `now`, so that one clock rules.
            options={
                "require": ["exp", "iat", "sub"],
                "verify_aud": False,
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.MissingRequiredClaimError as exc:
        raise InvalidSsoToken(f"The SSO token has no '{exc.claim}' claim.") from None
    except jwt.InvalidSignatureError:
        raise InvalidSsoToken(
            "The SSO token's signature does not match this site's SSO secret."
        ) from None
    except jwt.InvalidTokenError as exc:
        raise InvalidSsoToken(f"The SSO token is malformed: {exc}.") from None
    try:
        exp = datetime.fromtimestamp(float(claims["exp"]), UTC)
        iat = datetime.fromtimestamp(float(claims["iat"]), UTC)
    except (TypeError, ValueError, OverflowError):
        raise InvalidSsoToken(
            "The SSO token's 'exp' and 'iat' must be Unix times in seconds."
        ) from None
    if exp < now - LEEWAY:
        raise InvalidSsoToken("The SSO token has expired; sign a fresh one for each page.")
    if iat > now + LEEWAY:
        raise InvalidSsoToken("The SSO token is issued in the future; check the server clock.")
    if exp - now > MAX_LIFETIME + LEEWAY:
        raise InvalidSsoToken(
            "The SSO token lives too long: 'exp' may be at most 10 minutes ahead."
        )
    for name in TEXT_CLAIMS:
        value = claims.get(name)
        if isinstance(value, str) and has_forbidden_characters(value):
            # Refused rather than dropped: the publisher's backend has a bug to see.
            raise InvalidSsoToken(f"The SSO token's '{name}' claim contains control characters.")
    sub = claims["sub"]
    if not isinstance(sub, str) or not sub.strip() or len(sub) > 255:
        raise InvalidSsoToken(
            "The SSO token's 'sub' must be a non-empty string of at most 255 characters."
        )
    return claims


def _token_id(token: str, claims: dict[str, Any]) -> str:
    jti = claims.get("jti")
    if isinstance(jti, str) and jti and len(jti) <= MAX_JTI:
        return jti
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


def _record_use(db: Session, site: Site, token: str, claims: dict[str, Any], now: datetime) -> None:
    """Refuse a token seen before; remember this one until it expires.

    Records are swept by the housekeeping job, not here. A record that
    expired past the leeway cannot be this token's own (``verify`` accepted
    this token, so its ``exp``, which the record would carry, is later), so
    it is dropped to let a publisher reuse a ``jti`` once its token is dead.
    """
    jti = _token_id(token, claims)
    repository.forget_dead_use(db, site.id, jti, now - LEEWAY)
    if repository.was_used(db, site.id, jti):
        raise InvalidSsoToken(REPLAYED)
    try:
        repository.record_use(db, site.id, jti, datetime.fromtimestamp(float(claims["exp"]), UTC))
    except IntegrityError:  # the same token exchanged concurrently
        raise InvalidSsoToken(REPLAYED) from None


def _text_claim(claims: dict[str, Any], name: str, limit: int) -> str | None:
    value = claims.get(name)
    if not isinstance(value, str):
        return None
    value = " ".join(value.split())
    return value[:limit] or None


def _profile(claims: dict[str, Any]) -> tuple[str | None, str, str | None]:
    email = _text_claim(claims, "email", 320)
    email = email.lower() if email and "@" in email else None
    name = _text_claim(claims, "name", MAX_NAME)
    if not name:
        name = email.split("@")[0][:MAX_NAME] if email else "Reader"
    avatar = _text_claim(claims, "avatar", 1024)
    if avatar and not avatar.startswith("https://"):
        avatar = None  # the embed shows https avatars only (mixed content, CSP)
    return email, name, avatar


def sign_in(
    db: Session, site: Site, token: str, *, now: datetime | None = None, admit: Admit | None = None
) -> User:
    """Verify ``token`` for ``site`` and return its (created or updated) reader.

    ``admit(site_id, sub)`` is called once the token is known to be valid and
    unused, before anything is kept (the rate limit per reader). Raises 403
    ``account_suspended`` for a suspended reader, as the password login does.
    """
    now = now or utcnow()
    claims = verify(token, site.sso_secret, now=now)
    _record_use(db, site, token, claims, now)
    subject: str = claims["sub"]
    if admit is not None:
        admit(site.id, subject)
    email, name, avatar = _profile(claims)
    user = repository.reader(db, site.id, subject)
    if user is None:
        user = User(sso_site_id=site.id, sso_subject=subject, display_name=name)
        try:
            # Two tabs signing in a new reader at once: one insert wins the
            # unique (sso_site_id, sso_subject), the other uses its row.
            with db.begin_nested():
                db.add(user)
        except IntegrityError:
            found = repository.reader(db, site.id, subject)
            if found is None:
                raise
            user = found
    accounts.ensure_active(user)
    if (user.display_name, user.email, user.avatar_url) != (name, email, avatar):
        if user.id is not None:  # the name and the avatar are on their comments
            accounts.shown_as_changed(db, user.id)
        user.display_name = name
        user.email = email
        user.avatar_url = avatar
    # The publisher vouches for its users' addresses, for its own site only:
    # an SSO reader comments on its own site and nowhere else.
    if email and user.email_verified_at is None:
        user.email_verified_at = now
    db.flush()
    return user


def exchange(
    db: Session,
    settings: Settings,
    url: str,
    token: str,
    user_agent: str,
    admit: Admit | None = None,
) -> tuple[User, str]:
    """``POST /auth/sso``: the token of the site that ``url`` is on, for a
    reader and a new bearer token (``admit`` as for ``sign_in``)."""
    site, _ = sites.resolve(db, url)
    if not site.sso_secret:
        raise InvalidSsoToken("This site has no SSO secret configured.")
    user = sign_in(db, site, token, admit=admit)
    return user, accounts.create_session(db, settings, user, user_agent)


def make_token(
    secret: str,
    sub: str,
    *,
    email: str | None = None,
    name: str | None = None,
    avatar: str | None = None,
    lifetime: timedelta = timedelta(minutes=5),
    now: datetime | None = None,
) -> str:
    """What a publisher's backend does (used by the demo site and the tests)."""
    import secrets

    now = now or utcnow()
    claims: dict[str, Any] = {
        "sub": sub,
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
        "jti": secrets.token_urlsafe(16),
    }
    for key, value in (("email", email), ("name", name), ("avatar", avatar)):
        if value:
            claims[key] = value
    return jwt.encode(claims, secret, algorithm=ALGORITHM)
