"""Password hashing (argon2id) and the password rules.

The hasher uses argon2-cffi's defaults, which follow RFC 9106's recommended
argon2id profile; raising them later is safe because sign-in rehashes any
hash made with older parameters.
"""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from rostra.accounts.errors import WeakPassword

MIN_LENGTH = 10

hasher = PasswordHasher()


def hash_password(password: str) -> str:
    return hasher.hash(password)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return hasher.hash("not the password of anyone")


def verify_password(password_hash: str | None, password: str) -> bool:
    """True if ``password`` matches. With no hash (unknown email, SSO-only
    account), a dummy hash is verified anyway, so the answer takes as long
    as for a real account and timing does not tell which addresses exist."""
    try:
        return hasher.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return hasher.check_needs_rehash(password_hash)


def check_strength(password: str, email: str | None) -> None:
    """Raise 422 ``weak_password``: too short, or the account's own address."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"The password must be at least {MIN_LENGTH} characters.")
    if email and password.strip().lower() == email.strip().lower():
        raise WeakPassword("The password must not be your email address.")
