"""Request and response bodies of the Moderation API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from rostra.comments.schemas import CommentOut
from rostra.http.schemas import StrictModel

Queue = Literal["pending", "reported", "flagged", "recent"]
Action = Literal["approve", "reject", "feature", "unfeature"]
RoleName = Literal["admin", "moderator", "staff"]

#: Ten years: "for good" is a ban without a duration.
MAX_BAN_SECONDS = 10 * 365 * 86400


class DecisionIn(StrictModel):
    action: Action
    reason: str = Field(default="", max_length=500, description="shown to the author on reject")


class BanIn(StrictModel):
    reason: str = Field(min_length=1, max_length=500)
    duration: int | None = Field(
        default=None,
        ge=60,
        le=MAX_BAN_SECONDS,
        description="seconds (a suspension); absent: for good",
    )
    site: str | None = Field(
        default=None,
        max_length=64,
        description="the site's name; absent: the one site you moderate, or every site "
        "for the operator's administrators",
    )


class StoryModerationIn(StrictModel):
    mode: Literal["open", "premoderated", "closed"] | None = None
    slow_mode_seconds: int | None = Field(default=None, ge=0, le=86400)
    title: str | None = Field(default=None, max_length=500)
    canonical_url: str | None = Field(default=None, max_length=2048)


class RoleIn(StrictModel):
    role: RoleName | None = Field(description="null removes the person's role on the site")


class CardStory(BaseModel):
    id: int
    site_id: int
    url: str
    title: str
    mode: Literal["open", "premoderated", "closed"]


class CardAuthor(BaseModel):
    id: int
    handle: str
    display_name: str
    avatar_url: str | None
    is_staff: bool
    joined_at: datetime
    published: int
    rejected: int
    pending: int
    bans: int


class Card(BaseModel):
    comment: CommentOut
    story: CardStory
    parent: CommentOut | None
    author: CardAuthor | None
    reports: dict[str, int] = Field(description="open reports by reason")
    report_notes: list[dict[str, str]] = Field(
        description="the latest notes readers gave with their reports ({reason, note})"
    )
    decided_at: datetime | None = Field(description="when a moderator or a rule last decided it")
    moderation_step: str | None = Field(description="the step that held or decided it")
    moderation_reason: str | None
    toxicity: float | None = Field(description="the toxicity score when it was written")


class QueueOut(BaseModel):
    queue: Queue
    cards: list[Card]


class DecisionOut(BaseModel):
    id: int
    status: Literal["published", "pending", "rejected", "deleted"]
    is_featured: bool
    moderation_step: str | None
    moderation_reason: str | None


class BanOut(BaseModel):
    id: int
    user_id: int
    site_id: int | None
    until: datetime | None
    reason: str


class AuditEntryOut(BaseModel):
    id: int
    site_id: int | None
    actor_id: int | None = Field(description="null for Rostra's own actions")
    action: str
    target_kind: str
    target_id: int
    reason: str
    data: dict[str, Any]
    created_at: datetime


class AuditOut(BaseModel):
    entries: list[AuditEntryOut]
    next_before: int | None = Field(description="pass as `before` for older entries")
