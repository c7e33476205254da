"""Request body of the SSO exchange."""

from __future__ import annotations

from pydantic import Field

from rostra.http.schemas import StrictModel
from rostra.sso.service import MAX_TOKEN_CHARS


class SsoIn(StrictModel):
    url: str = Field(max_length=2048, description="The article the reader is on; names the site.")
    token: str = Field(
        min_length=1,
        max_length=MAX_TOKEN_CHARS,
        description="The HS256 JWT signed by the publisher's backend.",
    )
