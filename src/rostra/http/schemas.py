"""What every request body model shares."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class StrictModel(BaseModel):
    """A request body: strict types (a number where text belongs is a 422
    naming the field) and no unknown keys, so a typo in a client is an error
    rather than a silently ignored value."""

    model_config = ConfigDict(extra="forbid", strict=True)
