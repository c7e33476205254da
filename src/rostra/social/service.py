"""The rules of follows, blocks, profiles and the Following feed.

- A private reader cannot be followed, appears in no feed, and their profile
  shows no activity (counts, recent comments).
- A block: the blocker sees the blocked reader's comments collapsed, and the
  blocked reader can neither follow nor notify the blocker. Blocking ends the
  follows between the two, both ways.
- Nothing here shows an email address.

Services never commit; the request's unit of work does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from rostra.accounts import handles
from rostra.accounts import service as accounts
from rostra.comments import cursors
from rostra.comments.overlays import reader_changed
from rostra.config import Settings
from rostra.errors import NotFound
from rostra.models import Comment, Story, User
from rostra.social import mail, repository
from rostra.social.errors import CannotFollow, OwnAccount
from rostra.stories import service as stories

JSON = dict[str, Any]
RECENT_COMMENTS = 10
FEED_CURSOR = "feed"


def reader(db: Session, handle: str) -> User:
    """The reader of ``handle``, or 404 ``not_found``."""
    user = accounts.by_handle(db, handle)
    if user is None:
        raise NotFound("No reader has this handle.")
    return user


def mention_candidates(db: Session, me: User, prefix: str, limit: int) -> list[JSON]:
    """Readers ``me`` may @mention whose handle starts with ``prefix`` (not
    those who blocked them); names and handles only, never an email."""
    wanted = handles.normalise(prefix)
    if not wanted or not all(c.isascii() and (c.isalnum() or c == "_") for c in wanted):
        return []
    return [
        {"id": u.id, "handle": u.handle, "display_name": u.display_name, "avatar_url": u.avatar_url}
        for u in repository.handles_starting(db, wanted, me.id, limit)
    ]


def _other(db: Session, me: User, handle: str) -> User:
    them = reader(db, handle)
    if them.id == me.id:
        raise OwnAccount()
    return them


def follow(db: Session, me: User, handle: str) -> User:
    them = _other(db, me, handle)
    if them.is_private or repository.blocks(db, them.id, me.id):
        raise CannotFollow()
    repository.add_follow(db, me.id, them.id)
    return them


def unfollow(db: Session, me: User, handle: str) -> User:
    them = _other(db, me, handle)
    repository.remove_follow(db, me.id, them.id)
    return them


def block(db: Session, me: User, handle: str) -> User:
    them = _other(db, me, handle)
    repository.add_block(db, me.id, them.id)
    repository.remove_follows_between(db, me.id, them.id)
    reader_changed(db, me.id)  # whom they block is in their cached overlays
    return them


def unblock(db: Session, me: User, handle: str) -> User:
    them = _other(db, me, handle)
    repository.remove_block(db, me.id, them.id)
    reader_changed(db, me.id)
    return them


def is_blocked(db: Session, blocker_id: int, blocked_id: int) -> bool:
    """Whether ``blocker_id`` blocked ``blocked_id`` (so may not be notified by them)."""
    return repository.blocks(db, blocker_id, blocked_id)


@dataclass(frozen=True)
class Relation:
    following: bool
    blocked: bool
    follower_count: int
    following_count: int


def relation(db: Session, me: User | None, them: User) -> Relation:
    """The counts of ``them`` and how ``me`` stands to them."""
    private = them.is_private
    following = blocked = False
    if me is not None:
        following = not private and repository.follows(db, me.id, them.id)
        blocked = repository.blocks(db, me.id, them.id)
    return Relation(
        following=following,
        blocked=blocked,
        follower_count=0 if private else repository.follower_count(db, them.id),
        following_count=0 if private else repository.following_count(db, them.id),
    )


def comment_links(settings: Settings, comment: Comment, story: Story) -> JSON:
    """Where a comment is read: in the article (the embed opens it at the
    comment) and on Rostra's own page of its thread (no JavaScript)."""
    return {
        "article_url": f"{story.url}#rostra-comment-{comment.id}",
        "thread_url": f"{settings.public_url}/thread/{comment.thread_id}#comment-{comment.id}",
    }


def _item(settings: Settings, comment: Comment, story: Story, author: User | None) -> JSON:
    out: JSON = {
        "id": comment.id,
        "parent_id": comment.parent_id,
        "thread_id": comment.thread_id,
        "html": comment.html,
        "created_at": comment.created_at,
        "like_count": comment.like_count,
        "story": {"id": story.id, "title": story.title or story.url, "url": story.url},
        **comment_links(settings, comment, story),
    }
    if author is not None:
        out["author"] = {
            "id": author.id,
            "handle": author.handle,
            "display_name": author.display_name,
            "avatar_url": author.avatar_url,
        }
    return out


def profile(db: Session, settings: Settings, me: User | None, handle: str) -> JSON:
    """``GET /users/{handle}``: what anyone may see of a reader."""
    them = reader(db, handle)
    rel = relation(db, me, them)
    out: JSON = {
        "id": them.id,
        "handle": them.handle,
        "display_name": them.display_name,
        "avatar_url": them.avatar_url,
        "joined_at": them.created_at,
        "is_staff": them.is_admin,
        "is_private": them.is_private,
        "comment_count": None,
        "likes_received": None,
        "follower_count": rel.follower_count,
        "following_count": rel.following_count,
        "recent_comments": [],
        "following": rel.following,
        "blocked": rel.blocked,
        "can_follow": me is not None
        and me.id != them.id
        and not them.is_private
        and not repository.blocks(db, them.id, me.id),
    }
    if not them.is_private:
        out["comment_count"], out["likes_received"] = repository.published_stats(db, them.id)
        out["recent_comments"] = [
            _item(settings, c, s, None)
            for c, s in repository.recent_comments(db, them.id, RECENT_COMMENTS)
        ]
    return out


def feed(
    db: Session,
    settings: Settings,
    me: User,
    url: str | None,
    cursor: str | None,
    limit: int,
) -> JSON:
    """``GET /feed``: the newest comments of the readers ``me`` follows, on the
    site of ``url`` when given (the embed sends its article's), else on every site."""
    site_id = stories.resolve(db, url)[0].id if url else None
    before = None
    if cursor:
        found = cursors.decode(cursor, FEED_CURSOR)
        assert not isinstance(found.key, int)  # a feed cursor holds a time
        before = (found.key, found.id)
    rows = repository.feed(db, me.id, site_id, before, limit + 1)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1][0]
        next_cursor = cursors.encode(FEED_CURSOR, last.created_at, last.id)
    return {
        "items": [_item(settings, c, s, u) for c, s, u in rows],
        "next_cursor": next_cursor,
    }


def unsubscribe(db: Session, settings: Settings, user_id: int, token: str) -> bool:
    """The signed link of a notification mail: stop the reader's notification
    mail, signed out. False for a link this site did not sign."""
    if not mail.check_unsubscribe(settings, user_id, token):
        return False
    user = db.get(User, user_id)
    if user is None:
        return False
    user.mail_mode = "off"
    return True
