"""The error codes of comments, replies and likes."""

from __future__ import annotations

from rostra.errors import Conflict, Forbidden, Invalid, RostraError


class BodyEmpty(Invalid):
    code = "body_empty"
    message = "The comment is empty."
    default_field = "body"


class BodyTooLong(Invalid):
    code = "body_too_long"
    default_field = "body"

    def __init__(self, length: int, limit: int) -> None:
        super().__init__(f"The comment is {length} characters; the limit is {limit}.")


class StoryClosed(Forbidden):
    code = "story_closed"
    message = "Comments on this story are closed."


class EmailNotVerified(Forbidden):
    code = "email_not_verified"
    message = "Confirm your email address before commenting: follow the link in the mail we sent."


class OtherSiteAccount(Forbidden):
    code = "other_site_account"
    message = "This account signs in through another site and can take part only there."


class EditWindowClosed(Forbidden):
    code = "edit_window_closed"
    message = "The time for editing this comment is over."


class OwnComment(Forbidden):
    code = "own_comment"
    message = "You cannot like your own comment."


class ParentNotFound(Invalid):
    code = "parent_not_found"
    message = "'parent_id' names no comment."
    default_field = "parent_id"


class ParentOtherStory(Invalid):
    code = "parent_other_story"
    message = "'parent_id' names a comment on another story."
    default_field = "parent_id"


class ParentDeleted(Invalid):
    code = "parent_deleted"
    message = "That comment was deleted; it takes no more replies."
    default_field = "parent_id"


class ParentNotPublished(Invalid):
    code = "parent_not_published"
    message = "That comment is not published; it takes replies once it is."
    default_field = "parent_id"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was used before for a different request."
    default_field = "Idempotency-Key"


class SlowMode(RostraError):
    status = 429
    code = "slow_mode"

    def __init__(self, seconds: int, wait: int) -> None:
        super().__init__(
            f"This story is in slow mode: one comment every {seconds} seconds; "
            f"try again in {wait} seconds.",
            headers={"Retry-After": str(wait)},
        )


class NoteRequired(Invalid):
    code = "note_required"
    message = "A report for another reason ('other') needs a note saying what is wrong."
    default_field = "note"


class AlreadyReported(Conflict):
    code = "already_reported"
    message = "You reported this comment already."


class AlreadyDecided(Conflict):
    code = "already_decided"

    def __init__(self, status: str, by: str | None = None) -> None:
        who = f" by {by}" if by else ""
        shown = "held" if status == "pending" else status
        super().__init__(f"This comment was decided meanwhile{who}: it is {shown} now.")


class NotDecidable(Conflict):
    code = "not_decidable"

    def __init__(self, action: str, status: str) -> None:
        super().__init__(f"A {status} comment cannot be given '{action}'.")
