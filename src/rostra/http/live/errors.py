"""The error code of live streams."""

from __future__ import annotations

from rostra.errors import RostraError


class TooManyStreams(RostraError):
    status = 429
    code = "too_many_streams"

    def __init__(self, allowed: int) -> None:
        super().__init__(
            f"This address has {allowed} live streams open already; close one first.",
            headers={"Retry-After": "30"},
        )
