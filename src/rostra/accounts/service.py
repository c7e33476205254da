"""Account rules: registration, sign-in, sessions, verification, password reset.

Services flush but never commit; the request's unit of work commits once, so
a mail in the outbox and the change that caused it are written together or
not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rostra.accounts import handles, mail, passwords, repository
from rostra.accounts.errors import (
    AccountSuspended,
    HandleCooldown,
    HandleTaken,
    InvalidCredentials,
    InvalidEmailToken,
)
from rostra.accounts.schemas import MeIn, clean_display_name, normalise_email
from rostra.accounts.signins import account_changed
from rostra.accounts.tokens import hash_token, new_token
from rostra.config import Settings
from rostra.db.base import utcnow
from rostra.db.session import changed
from rostra.errors import RostraError
from rostra.jobs.outbox import enqueue
from rostra.jobs.tasks import MAIL_SEND
from rostra.models import User

VERIFY_EMAIL = "verify-email"
PASSWORD_RESET = "password-reset"  # noqa: S105 -- a token purpose, not a secret
TOKEN_LIFETIME = {VERIFY_EMAIL: timedelta(hours=48), PASSWORD_RESET: timedelta(hours=1)}


def user_for_token(db: Session, token: str) -> User | None:
    """The user of a live sign-in token (as the client sent it), in one query."""
    return repository.user_for_token(db, hash_token(token), utcnow())


def end_cached_sign_ins(db: Session, user_id: int) -> None:
    """Record that the reader's cached sign-ins end at the commit: call it
    with any change to what a sign-in carries (suspension, name, avatar)."""
    account_changed(db, user_id)


def shown_as_changed(db: Session, user_id: int) -> None:
    """Record that what the reader's comments show of them (name, handle,
    avatar) changes: their cached sign-ins end, and so do the cached pages
    of every story they commented on, at the commit."""
    account_changed(db, user_id)
    for story_id in repository.stories_commented_on(db, user_id):
        changed(db, "story", story_id)  # as ``stories.story_changed`` records it


def ensure_active(user: User) -> None:
    """403 ``account_suspended`` for a suspended reader."""
    if user.is_suspended:
        raise AccountSuspended()


def create_session(db: Session, settings: Settings, user: User, user_agent: str = "") -> str:
    """Open a sign-in for ``user`` lasting ``settings.session_days``; return its
    bearer token (only its hash is stored)."""
    token = new_token()
    repository.add_session(
        db,
        user,
        hash_token(token),
        utcnow() + timedelta(days=settings.session_days),
        user_agent[:255],
    )
    db.flush()
    return token


def _email_token(db: Session, user: User, purpose: str) -> str:
    token = new_token()
    repository.add_email_token(
        db, user, purpose, hash_token(token), utcnow() + TOKEN_LIFETIME[purpose]
    )
    return token


def register(
    db: Session,
    settings: Settings,
    email: str,
    password: str,
    display_name: str,
    may_warn: Callable[[str], bool] = lambda _: True,
    handle: str | None = None,
) -> None:
    """Create the account or, if the address has one, tell its owner by mail.

    Both branches hash the password and write at most one outbox row, so
    neither the answer nor its timing says whether the address was
    registered. ``may_warn(email)`` gates the warning mail, so that repeated
    attempts cannot flood the owner's inbox.
    """
    passwords.check_strength(password, email)
    if handle is not None and handles.is_taken(db, handle):
        raise HandleTaken()
    password_hash = passwords.hash_password(password)
    existing = repository.local_user_by_email(db, email)
    if existing is None:
        user = User(
            email=email, password_hash=password_hash, display_name=display_name, handle=handle
        )
        try:
            with db.begin_nested():  # a concurrent sign-up may win the unique index
                db.add(user)
        except IntegrityError:
            existing = repository.local_user_by_email(db, email)
        else:
            token = _email_token(db, user, VERIFY_EMAIL)
            enqueue(db, MAIL_SEND, mail.verify_email(settings, email, display_name, token))
            return
    if existing is not None and may_warn(email):
        enqueue(db, MAIL_SEND, mail.register_existing(settings, email, existing.display_name))


def authenticate(db: Session, email: str, password: str) -> tuple[User, str | None]:
    """The local account for these credentials, or 401 ``invalid_credentials``;
    with a fresh hash when the stored one uses old parameters.

    Reads only: call it with a reading session, so that on SQLite the slow
    hash runs without holding the one write lock (``sign_in`` then writes).
    """
    user = repository.local_user_by_email(db, email)
    # verify_password runs argon2 even without a user or hash (timing).
    if not passwords.verify_password(user.password_hash if user else None, password):
        raise InvalidCredentials()
    assert user is not None and user.password_hash is not None
    ensure_active(user)
    new_hash = (
        passwords.hash_password(password) if passwords.needs_rehash(user.password_hash) else None
    )
    return user, new_hash


def sign_in(
    db: Session, settings: Settings, user_id: int, new_hash: str | None, user_agent: str = ""
) -> tuple[User, str]:
    """Open a session for an authenticated account; returns it and its token."""
    user = db.get(User, user_id)
    if user is None:  # deleted between authentication and now
        raise InvalidCredentials()
    if new_hash is not None:
        user.password_hash = new_hash
    return user, create_session(db, settings, user, user_agent)


def logout(db: Session, token: str) -> None:
    user_id = repository.revoke_session(db, hash_token(token))
    if user_id is not None:
        account_changed(db, user_id)


def verify_email(db: Session, token: str) -> User:
    user_id = repository.use_email_token(db, hash_token(token), VERIFY_EMAIL)
    user = db.get(User, user_id) if user_id is not None else None
    if user is None:
        raise InvalidEmailToken()
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    return user


def resend_verification(db: Session, settings: Settings, user: User) -> bool:
    """Mail a fresh verification link; False when there is nothing to verify."""
    if user.email_verified or not user.email:
        return False
    token = _email_token(db, user, VERIFY_EMAIL)
    enqueue(db, MAIL_SEND, mail.verify_email(settings, user.email, user.display_name, token))
    return True


PASSWORD_RESET_TOPIC = "account.password_reset"  # noqa: S105 (a job topic, not a password)


def request_password_reset(db: Session, email: str) -> None:
    """Queue a reset for ``email``. The request does the same work whether or
    not an account owns the address (one outbox row), so neither its answer
    nor its timing tells; the job finds out and mails (``prepare_password_reset``)."""
    enqueue(db, PASSWORD_RESET_TOPIC, {"email": email})


def prepare_password_reset(db: Session, settings: Settings, email: str) -> bool:
    """In the job: mail a reset link if a local account with a password owns
    ``email`` (the mail goes out as its own job, outside this transaction)."""
    user = repository.local_user_by_email(db, email)
    if user is None or user.password_hash is None or not user.email:
        return False
    token = _email_token(db, user, PASSWORD_RESET)
    enqueue(db, MAIL_SEND, mail.password_reset(settings, user.email, user.display_name, token))
    return True


def confirm_password_reset(db: Session, token: str, password: str) -> User:
    """Set the new password and sign the account out everywhere."""
    # Hashed before the first write, so that on SQLite the slow hash does not
    # hold the write lock.
    new_hash = passwords.hash_password(password)
    user_id = repository.use_email_token(db, hash_token(token), PASSWORD_RESET)
    user = db.get(User, user_id) if user_id is not None else None
    if user is None:
        raise InvalidEmailToken()
    passwords.check_strength(password, user.email)
    user.password_hash = new_hash
    # Following a link sent to the address proves it, as verification would.
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    repository.revoke_all_sessions(db, user.id)
    account_changed(db, user.id)
    repository.use_all_email_tokens(db, user.id, PASSWORD_RESET)
    return user


def create_admin(
    db: Session, email: str, password: str, display_name: str, *, operator: bool = True
) -> User:
    """Create a verified administrator, or promote (and re-password) an
    existing one; ``operator`` False makes a verified account only (its role
    on a site is given by the moderation domain)."""
    email = normalise_email(email)
    display_name = clean_display_name(display_name)
    passwords.check_strength(password, email)
    user = repository.local_user_by_email(db, email)
    if user is None:
        user = User(email=email, display_name=display_name)
        db.add(user)
    user.password_hash = passwords.hash_password(password)
    user.is_admin = user.is_admin or operator
    user.is_suspended = False
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    db.flush()
    account_changed(db, user.id)
    return user


def suggest_handle(db: Session, display_name: str) -> str:
    return handles.suggest(db, display_name)


def by_handle(db: Session, handle: str) -> User | None:
    """The reader of a handle as typed (``@`` and case do not matter)."""
    return repository.user_by_handle(db, handles.normalise(handle))


def by_email(db: Session, email: str) -> User | None:
    """The local account of an address as typed (None when it is not one)."""
    try:
        return repository.local_user_by_email(db, normalise_email(email))
    except RostraError:  # not an address: nobody has it
        return None


def handles_of(db: Session, user_ids: set[int]) -> dict[int, str]:
    return repository.handles_of(db, user_ids)


def update_me(db: Session, user: User, changes: MeIn) -> User:
    """``PATCH /me``: apply the fields sent; a new handle at most once per cooldown."""
    shown = (user.handle, user.display_name)
    if changes.handle is not None and changes.handle != user.handle:
        now = utcnow()
        if user.handle_changed_at and now - user.handle_changed_at < handles.HANDLE_COOLDOWN:
            raise HandleCooldown()
        if handles.is_taken(db, changes.handle, besides=user.id):
            raise HandleTaken()
        user.handle = changes.handle
        user.handle_changed_at = now
    if changes.display_name is not None:
        user.display_name = changes.display_name
    if changes.is_private is not None:
        user.is_private = changes.is_private
    if changes.notify is not None:
        wanted = {str(kind): on for kind, on in changes.notify.items()}
        user.notify = {**(user.notify or {}), **wanted}
    if changes.mail_mode is not None:
        user.mail_mode = changes.mail_mode
    if (user.handle, user.display_name) != shown:  # on their comments, on cached pages
        shown_as_changed(db, user.id)
    else:
        account_changed(db, user.id)  # cached sign-ins carry every column
    try:
        with db.begin_nested():  # a concurrent change may take the handle first
            db.flush()
    except IntegrityError:
        raise HandleTaken() from None
    return user
