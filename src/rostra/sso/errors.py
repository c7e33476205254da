"""The error code of the SSO exchange."""

from __future__ import annotations

from rostra.errors import RostraError


class InvalidSsoToken(RostraError):
    """Forged, expired, replayed or malformed; the sentence says which."""

    status = 401
    code = "invalid_sso_token"
    default_field = "token"
