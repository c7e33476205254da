"""Request and response bodies for accounts.

Inputs are ``StrictModel``s. Text rules that have their own error codes
(control characters, weak passwords) live in ``rostra.text`` and the service.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from rostra.accounts import handles
from rostra.errors import Invalid
from rostra.http.schemas import StrictModel
from rostra.text import check_text, single_line

MAX_EMAIL = 320
MAX_PASSWORD = 1024  # argon2 hashes any length; the cap bounds the work per request
MAX_TOKEN = 256
_HEADER_PUNCTUATION = set(',;:<>()[]\\"')


def _clean(field: str) -> AfterValidator:
    return AfterValidator(lambda value: check_text(value, field))


def normalise_email(value: str) -> str:
    """Trim and lower-case; then a deliberately simple shape check.

    Full RFC 5322 parsing accepts addresses no mail server delivers to and
    rejects none that matter here; the verification mail is the real test.
    """
    email = check_text(value, "email").strip().lower()
    local, _, domain = email.partition("@")
    labels = domain.split(".")
    if (
        email.count("@") != 1
        or not local
        or len(local) > 64
        or len(email) > MAX_EMAIL
        # Quoted local parts and header punctuation are refused: they are
        # never needed in practice and could smuggle a second recipient into
        # a To: header.
        or any(c.isspace() or c in _HEADER_PUNCTUATION for c in email)
        or len(labels) < 2
        or any(not label or label.startswith("-") or label.endswith("-") for label in labels)
    ):
        raise Invalid("'email' is not a valid email address.", field="email")
    return email


def clean_display_name(value: str) -> str:
    name = single_line(value, "display_name")
    if not 1 <= len(name) <= 80:
        raise Invalid("'display_name' must be 1 to 80 characters.", field="display_name")
    return name


Email = Annotated[str, Field(max_length=MAX_EMAIL + 64), AfterValidator(normalise_email)]
Password = Annotated[str, Field(max_length=MAX_PASSWORD), _clean("password")]
Token = Annotated[str, Field(min_length=1, max_length=MAX_TOKEN), _clean("token")]
DisplayName = Annotated[str, Field(max_length=400), AfterValidator(clean_display_name)]


Handle = Annotated[str, Field(max_length=64), AfterValidator(lambda v: handles.check(v))]
NotifyKind = Literal["reply", "like", "mention", "followed", "moderation"]
MailMode = Literal["digest", "immediate", "off"]


class RegisterIn(StrictModel):
    email: Email
    password: Password
    display_name: DisplayName
    handle: Handle | None = Field(
        default=None, description="the @handle chosen; else one is suggested from the name"
    )


class MeIn(StrictModel):
    """``PATCH /me``: only the fields sent change."""

    handle: Handle | None = Field(default=None, description="a new @handle (once per 30 days)")
    display_name: DisplayName | None = None
    is_private: bool | None = Field(
        default=None,
        description="true: nobody can follow you, your comments appear in no feed and "
        "your profile shows no activity",
    )
    notify: dict[NotifyKind, bool] | None = Field(
        default=None, description="notification kinds to switch on (true) or off (false)"
    )
    mail_mode: MailMode | None = Field(
        default=None,
        description="reply and mention mails: a daily digest, each at once, or none",
    )


class LoginIn(StrictModel):
    email: Email
    password: Password


class VerifyEmailIn(StrictModel):
    token: Token


class PasswordResetIn(StrictModel):
    email: Email


class PasswordResetConfirmIn(StrictModel):
    token: Token
    password: Password


class AuthorOut(BaseModel):
    """What anyone may see of a reader (comment authors, profiles)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    handle: str
    display_name: str
    avatar_url: str | None


class MeOut(AuthorOut):
    """The signed-in reader's own view of the account."""

    email: str | None
    email_verified: bool
    is_admin: bool
    created_at: datetime
    handle_changed_at: datetime | None
    is_private: bool
    notify: dict[str, bool] = Field(description="every notification kind and whether it is on")
    mail_mode: str


NOTIFY_KINDS: tuple[str, ...] = ("reply", "like", "mention", "followed", "moderation")


def me_out(user: Any) -> MeOut:
    """The account as its owner sees it, with every notification kind spelt out."""
    out = MeOut.model_validate(user)
    out.notify = {kind: bool((user.notify or {}).get(kind, True)) for kind in NOTIFY_KINDS}
    return out


class LoginOut(BaseModel):
    token: str
    user: MeOut


class HandleOut(BaseModel):
    handle: str


class AcceptedOut(BaseModel):
    status: Literal["accepted"] = "accepted"
    detail: str


class StatusOut(BaseModel):
    status: str
