"""The error codes of the desk's pages."""

from __future__ import annotations

from rostra.errors import Forbidden, NotAuthenticated


class CsrfFailed(Forbidden):
    code = "csrf_failed"
    message = (
        "The form's CSRF token is missing or does not belong to this session; "
        "reload the page and try again."
    )


class DeskSignInRequired(NotAuthenticated):
    code = "desk_sign_in_required"
    message = "Sign in to the desk first (/desk/signin)."

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail)
        self.headers = {}  # a cookie session: no WWW-Authenticate challenge
