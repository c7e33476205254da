"""The error codes of follows, blocks and profiles."""

from __future__ import annotations

from rostra.errors import Forbidden


class CannotFollow(Forbidden):
    # One sentence for a private reader and for one who blocked you, so the
    # answer never tells a reader that they are blocked.
    code = "cannot_follow"
    message = "This reader cannot be followed."


class OwnAccount(Forbidden):
    code = "own_account"
    message = "You cannot follow or block yourself."
