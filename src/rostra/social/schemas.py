"""Bodies of follows, blocks, profiles, the feed and notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator

from rostra.http.schemas import StrictModel


class Person(BaseModel):
    id: int
    handle: str
    display_name: str
    avatar_url: str | None


class PeopleOut(BaseModel):
    users: list[Person] = Field(description="handles that start with the prefix, shortest first")


class StoryRef(BaseModel):
    id: int
    title: str = Field(description="the article's title, or its URL until it is known")
    url: str


class CommentRef(BaseModel):
    """A published comment seen outside its thread (a profile, the feed)."""

    id: int
    parent_id: int | None
    thread_id: int
    html: str = Field(description="sanitised HTML")
    created_at: datetime
    like_count: int
    story: StoryRef
    article_url: str = Field(
        description="the article, opening its comments at this one (`#rostra-comment-ID`)"
    )
    thread_url: str = Field(description="Rostra's own page of the thread, without JavaScript")
    author: Person | None = Field(default=None, description="set in the feed")


class ProfileOut(Person):
    joined_at: datetime
    is_staff: bool
    is_private: bool = Field(description="a private reader's activity is not shown")
    comment_count: int | None = Field(description="published comments; null when private")
    likes_received: int | None = Field(description="null when private")
    follower_count: int
    following_count: int
    recent_comments: list[CommentRef]
    following: bool = Field(description="whether you follow this reader")
    blocked: bool = Field(description="whether you blocked this reader")
    can_follow: bool = Field(description="whether you may follow this reader")


class FollowOut(BaseModel):
    following: bool
    follower_count: int


class BlockOut(BaseModel):
    blocked: bool


class FeedPage(BaseModel):
    items: list[CommentRef]
    next_cursor: str | None


class NotifiedComment(BaseModel):
    id: int
    thread_id: int
    status: str
    html: str = Field(description="empty once the comment is not public (unless it is yours)")
    story: StoryRef
    article_url: str
    thread_url: str


class NotificationOut(BaseModel):
    id: int
    kind: Literal["reply", "like", "mention", "followed", "moderation"]
    count: int = Field(description="how many readers it stands for: likes are batched")
    actor: Person | None = Field(description="the (latest) reader; null for moderation")
    comment: NotifiedComment | None
    action: str | None = Field(description="moderation: featured or removed")
    reason: str | None = Field(description="moderation: the moderator's reason")
    created_at: datetime
    read: bool


class NotificationsPage(BaseModel):
    items: list[NotificationOut]
    unread_count: int
    next_cursor: str | None


class MarkReadIn(StrictModel):
    ids: list[int] | None = Field(default=None, max_length=500)
    all: bool = False

    @model_validator(mode="after")
    def _one_of(self) -> MarkReadIn:
        if (self.ids is None) == (not self.all):
            raise ValueError("send either 'ids' or 'all': true")
        return self


class UnreadOut(BaseModel):
    unread_count: int
