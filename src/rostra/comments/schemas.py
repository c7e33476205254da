"""Request and response bodies for comments and reactions.

Inputs are ``StrictModel``s. Rules with their own error codes (empty body, too
long, control characters) live in the service, so they are the same for
create and edit.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from rostra.accounts.schemas import AuthorOut
from rostra.http.schemas import StrictModel
from rostra.stories.schemas import StoryOut

Sort = Literal["newest", "oldest", "top"]

# Generous: the real limit (settings.max_comment_length) is checked by the
# service with its own error code; this only bounds what pydantic copies.
_BODY_CAP = 200_000


class CommentIn(StrictModel):
    url: str = Field(max_length=4096)
    title: str | None = Field(default=None, max_length=500)
    parent_id: int | None = Field(default=None, ge=1, le=2**62)
    body: str = Field(max_length=_BODY_CAP)
    confirmed: bool = Field(
        default=False,
        description="post as it is after a 422 rephrase_suggested (the author was asked once)",
    )


class CommentEditIn(StrictModel):
    body: str = Field(max_length=_BODY_CAP)


class CommentAuthorOut(AuthorOut):
    is_staff: bool = Field(
        default=False, description="a newsroom member (any role on the story's site)"
    )


class ReplyTo(BaseModel):
    """Whom a reply answers, for a reply not shown under its parent."""

    id: int = Field(description="the parent comment's id")
    display_name: str | None = Field(
        description="its author's name; null when the parent is deleted, not visible "
        "to you, or its author's account is gone"
    )


class CommentOut(BaseModel):
    id: int
    parent_id: int | None
    thread_id: int
    depth: int
    author: CommentAuthorOut | None = Field(description="null for a deleted comment")
    html: str = Field(description="sanitised HTML; empty for a deleted comment")
    body: str | None = Field(description="the raw Markdown, only for its author")
    status: Literal["published", "pending", "rejected", "deleted"]
    created_at: datetime
    edited_at: datetime | None
    like_count: int
    liked: bool
    is_mine: bool
    editable_until: datetime | None = Field(
        description="only for its author while the edit window is open"
    )
    reply_count: int
    replies: list[CommentOut] = Field(
        default_factory=list,
        description="replies shown under this one, oldest first; nested at most "
        "ROSTRA_MAX_DISPLAY_DEPTH levels below a top-level comment",
    )
    reply_to: ReplyTo | None = Field(
        default=None,
        description="set on a reply shown somewhere other than directly under its parent: "
        "deeper than ROSTRA_MAX_DISPLAY_DEPTH (listed beside its parent), or answering a "
        "comment not shown (listed under the top-level comment). Null in the answers to "
        "POST and PATCH",
    )
    replies_cursor: str | None = Field(
        default=None,
        description="set on a top-level comment with more replies than sent; "
        "pass to GET /comments/{id}/replies",
    )
    collapsed: bool = Field(
        default=False,
        description="true when you blocked its author: show it folded, opened on request",
    )
    is_featured: bool = Field(
        default=False,
        description="an editor's pick: top-level picks come first on a story's first page",
    )
    moderation_reason: str | None = Field(
        default=None,
        description="why your own held or rejected comment waits or was refused; "
        "only for its author",
    )


class OwnOut(BaseModel):
    """What only its author sees of one of their visible comments."""

    id: int
    body: str | None = Field(description="the raw Markdown")
    editable_until: datetime | None = Field(description="while the edit window is open")


class ViewerOut(BaseModel):
    """The signed-in reader's own state in the story, to lay over the pages,
    which are the same for every reader (``liked``, ``is_mine`` and
    ``collapsed`` false, ``body`` and ``editable_until`` null, no held
    comment in them)."""

    id: int = Field(description="the reader's id")
    liked: list[int] = Field(description="ids of the story's comments the reader likes")
    mine: list[OwnOut] = Field(description="the reader's published comments in the story")
    held: list[CommentOut] = Field(
        description="the reader's pending and rejected comments in the story, oldest "
        "first, as they see them; the client places them by parent_id"
    )
    blocked: list[int] = Field(
        description="ids of the readers they blocked: their comments are shown collapsed"
    )


class CommentPage(BaseModel):
    story: StoryOut
    comments: list[CommentOut]
    next_cursor: str | None
    viewer: ViewerOut | None = Field(description="null unless a reader's token is sent")


class RepliesPage(BaseModel):
    replies: list[CommentOut]
    next_cursor: str | None
    viewer: ViewerOut | None = Field(description="as in CommentPage")


class ReportIn(StrictModel):
    reason: Literal["abuse", "spam", "off_topic", "misinformation", "other"]
    note: str = Field(default="", max_length=500, description="what the moderators should know")


class CommentContextOut(BaseModel):
    """Where a comment is: for a deep link that opens its thread at it."""

    id: int
    parent_id: int | None
    thread_id: int = Field(description="its top-level comment (itself if it is one)")
    story_id: int
    story_url: str = Field(description="the article it is under")


class ReportOut(BaseModel):
    reported: bool


class LikeOut(BaseModel):
    liked: bool
    like_count: int
