"""The error codes of reader accounts."""

from __future__ import annotations

from rostra.errors import Conflict, Forbidden, Invalid, RostraError


class InvalidCredentials(RostraError):
    status = 401
    code = "invalid_credentials"
    # One sentence for every cause, so the answer never says which part was wrong.
    message = "The email address or the password is wrong."


class AccountSuspended(Forbidden):
    code = "account_suspended"
    message = "This account is suspended."


class WeakPassword(Invalid):
    code = "weak_password"
    default_field = "password"


class InvalidEmailToken(Invalid):
    code = "invalid_token"
    message = "This link is unknown, already used or expired. Ask for a new one."
    default_field = "token"


class HandleTaken(Conflict):
    code = "handle_taken"
    message = "That handle belongs to another reader; choose another."
    default_field = "handle"


class HandleCooldown(Forbidden):
    code = "handle_cooldown"
    message = "A handle can be changed once every 30 days."
    default_field = "handle"
