"""Request and response bodies of the Moderation API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field

from rostra.comments.schemas import CommentOut
from rostra.http.schemas import StrictModel

Queue = Literal["pending", "reported", "flagged", "recent"]
Action = Literal["approve", "reject", "feature", "unfeature"]
RoleName = Literal["admin", "moderator", "staff"]
SurgeAction = Literal["premoderate", "slow_mode", "flag_only"]

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
    auto_close_days: int | None = Field(
        default=None,
        ge=0,
        le=3650,
        description="close this many days after publication; 0: never; null: the site's",
    )


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
    actor_handle: str | None = Field(default=None, description="the actor's handle, if any")


class AuditOut(BaseModel):
    entries: list[AuditEntryOut]
    next_before: int | None = Field(description="pass as `before` for older entries")
    next_after: int | None = Field(
        default=None, description="pass as `after` for newer entries (null: these are the newest)"
    )


class UnbanOut(BaseModel):
    lifted: int = Field(description="how many bans in force were lifted")


class HourOut(BaseModel):
    hour: datetime
    published: int
    pending: int
    rejected: int


class ReasonOut(BaseModel):
    status: Literal["pending", "rejected"]
    step: str = Field(description="the pipeline step, `reports` or `moderator`")
    reason: str | None = Field(description="a moderator's reason (for `moderator`)")
    count: int
    share: float = Field(description="of the period's comments")


class BusyStoryOut(BaseModel):
    id: int
    site_id: int
    title: str
    url: str
    comments: int
    mode: Literal["open", "premoderated", "closed"]
    surging: bool


class DashboardOut(BaseModel):
    since: datetime
    comments: int = Field(description="comments written in the period (48 hours)")
    per_hour: list[HourOut]
    held_rejected: list[ReasonOut]
    queue_pending: int
    queue_reported: int
    decisions: int = Field(description="moderators' approvals and rejections in the period")
    median_decision_seconds: float | None = Field(
        description="from writing to a moderator's decision, over the period's decisions"
    )
    busiest: list[BusyStoryOut]


_WORDS = Field(default=None, max_length=500, description="words or phrases; replaces the list")
_WORD = Annotated[str, Field(max_length=100)]
_REASON = Annotated[str, Field(max_length=200)]


class SiteSettingsIn(StrictModel):
    """The settings to change (those given); each is checked, nudge ≤ hold."""

    banned_words: list[_WORD] | None = _WORDS
    suspect_words: list[_WORD] | None = _WORDS
    nudge_threshold: float | None = Field(default=None, ge=0, le=1)
    hold_threshold: float | None = Field(default=None, ge=0, le=1)
    edit_window_seconds: int | None = Field(
        default=None, ge=0, le=7 * 86400, description="null: the server's default"
    )
    new_reader_holds: int | None = Field(default=None, ge=0, le=100)
    report_threshold: int | None = Field(default=None, ge=1, le=1000)
    rejection_reasons: list[_REASON] | None = Field(default=None, max_length=30)
    surge_threshold: int | None = Field(
        default=None, ge=0, le=100_000, description="comments a minute on one story; 0: off"
    )
    surge_action: SurgeAction | None = None
    surge_slow_mode_seconds: int | None = Field(default=None, ge=1, le=86400)
    auto_close_days: int | None = Field(
        default=None, ge=0, le=3650, description="days after publication; 0: never"
    )


class SiteSettingsOut(BaseModel):
    site: str
    banned_words: list[str]
    suspect_words: list[str]
    nudge_threshold: float
    hold_threshold: float
    edit_window_seconds: int | None = Field(description="null: the server's default")
    effective_edit_window_seconds: int
    new_reader_holds: int
    report_threshold: int
    rejection_reasons: list[str]
    surge_threshold: int
    surge_action: SurgeAction
    surge_slow_mode_seconds: int
    auto_close_days: int
