"""Every query over follows and blocks, and the read-only reads of comments
that profiles and the feed make (they join follows, so they live here)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, and_, bindparam, delete, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rostra.db.base import rowcount, valid_id
from rostra.models import Block, Comment, CommentStatus, Follow, Notification, Story, User


def _add_once(db: Session, row: Follow | Block) -> None:
    """Insert a pair row; a row already there (or a concurrent insert) is fine."""
    try:
        with db.begin_nested():
            db.add(row)
    except IntegrityError:
        pass


def follows(db: Session, follower_id: int, followed_id: int) -> bool:
    return db.get(Follow, {"follower_id": follower_id, "followed_id": followed_id}) is not None


def add_follow(db: Session, follower_id: int, followed_id: int) -> None:
    if not follows(db, follower_id, followed_id):
        _add_once(db, Follow(follower_id=follower_id, followed_id=followed_id))


def remove_follow(db: Session, follower_id: int, followed_id: int) -> None:
    db.execute(
        delete(Follow).where(Follow.follower_id == follower_id, Follow.followed_id == followed_id)
    )


def follower_count(db: Session, user_id: int) -> int:
    """Followers that are not private (a private reader's follows are their activity)."""
    return (
        db.scalar(
            select(func.count())
            .select_from(Follow)
            .join(User, User.id == Follow.follower_id)
            .where(Follow.followed_id == user_id, User.is_private.is_(False))
        )
        or 0
    )


def following_count(db: Session, user_id: int) -> int:
    """Readers followed that are not private (following them brings nothing)."""
    return (
        db.scalar(
            select(func.count())
            .select_from(Follow)
            .join(User, User.id == Follow.followed_id)
            .where(Follow.follower_id == user_id, User.is_private.is_(False))
        )
        or 0
    )


def blocks(db: Session, blocker_id: int, blocked_id: int) -> bool:
    return db.get(Block, {"blocker_id": blocker_id, "blocked_id": blocked_id}) is not None


def add_block(db: Session, blocker_id: int, blocked_id: int) -> None:
    if not blocks(db, blocker_id, blocked_id):
        _add_once(db, Block(blocker_id=blocker_id, blocked_id=blocked_id))


def remove_block(db: Session, blocker_id: int, blocked_id: int) -> None:
    db.execute(delete(Block).where(Block.blocker_id == blocker_id, Block.blocked_id == blocked_id))


def remove_follows_between(db: Session, a: int, b: int) -> None:
    db.execute(
        delete(Follow).where(
            or_(
                and_(Follow.follower_id == a, Follow.followed_id == b),
                and_(Follow.follower_id == b, Follow.followed_id == a),
            )
        )
    )


def blocked_by(db: Session, blocker_id: int, among: Iterable[int] | None = None) -> set[int]:
    """Whom ``blocker_id`` blocked (of ``among``, when given)."""
    query = select(Block.blocked_id).where(Block.blocker_id == blocker_id)
    if among is not None:
        ids = set(among)
        if not ids:
            return set()
        query = query.where(Block.blocked_id.in_(ids))
    return set(db.scalars(query))


def published_stats(db: Session, author_id: int) -> tuple[int, int]:
    """(published comments, likes they received)."""
    row = db.execute(
        select(func.count(), func.coalesce(func.sum(Comment.like_count), 0)).where(
            Comment.author_id == author_id, Comment.status == CommentStatus.PUBLISHED
        )
    ).one()
    return int(row[0]), int(row[1])


def recent_comments(db: Session, author_id: int, limit: int) -> list[tuple[Comment, Story]]:
    query = (
        select(Comment, Story)
        .join(Story, Story.id == Comment.story_id)
        .where(Comment.author_id == author_id, Comment.status == CommentStatus.PUBLISHED)
        .order_by(Comment.created_at.desc(), Comment.id.desc())
        .limit(limit)
    )
    return [(c, s) for c, s in db.execute(query)]


def feed(
    db: Session,
    viewer_id: int,
    site_id: int | None,
    before: tuple[datetime, int] | None,
    limit: int,
) -> list[tuple[Comment, Story, User]]:
    """The newest published comments of the readers ``viewer_id`` follows,
    leaving out private readers and readers the viewer blocked."""
    query = (
        select(Comment, Story, User)
        .join(Follow, Follow.followed_id == Comment.author_id)
        .join(User, User.id == Comment.author_id)
        .join(Story, Story.id == Comment.story_id)
        .where(
            Follow.follower_id == viewer_id,
            Comment.status == CommentStatus.PUBLISHED,
            User.is_private.is_(False),
            ~select(Block.blocked_id)
            .where(Block.blocker_id == viewer_id, Block.blocked_id == Comment.author_id)
            .exists(),
        )
    )
    if site_id is not None:
        query = query.where(Story.site_id == site_id)
    if before is not None:
        at, last_id = before
        query = query.where(
            or_(Comment.created_at < at, and_(Comment.created_at == at, Comment.id < last_id))
        )
    query = query.order_by(Comment.created_at.desc(), Comment.id.desc()).limit(limit)
    return [(c, s, u) for c, s, u in db.execute(query)]


# --- notifications -------------------------------------------------------------


_FOLLOWS = Follow.metadata.tables["follows"]
# Built once, run on the connection: asked with every post.
_HAS_FOLLOWERS = select(exists().where(_FOLLOWS.c.followed_id == bindparam("user_id")))


def has_followers(db: Session, user_id: int) -> bool:
    return bool(db.connection().execute(_HAS_FOLLOWERS, {"user_id": user_id}).scalar())


def follower_ids(db: Session, user_id: int) -> list[int]:
    return list(db.scalars(select(Follow.follower_id).where(Follow.followed_id == user_id)))


def users_by_handles(db: Session, handles: Iterable[str]) -> list[User]:
    wanted = set(handles)
    if not wanted:
        return []
    return list(db.scalars(select(User).where(User.handle.in_(wanted))))


def who_blocked(db: Session, blocked_id: int, among: Iterable[int]) -> set[int]:
    """Which of ``among`` blocked ``blocked_id``."""
    ids = set(among)
    if not ids:
        return set()
    return set(
        db.scalars(
            select(Block.blocker_id).where(
                Block.blocked_id == blocked_id, Block.blocker_id.in_(ids)
            )
        )
    )


def users(db: Session, ids: Iterable[int]) -> dict[int, User]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {u.id: u for u in db.scalars(select(User).where(User.id.in_(wanted)))}


def unread_like(db: Session, user_id: int, comment_id: int) -> Notification | None:
    return db.scalar(
        select(Notification)
        .where(
            Notification.user_id == user_id,
            Notification.kind == "like",
            Notification.comment_id == comment_id,
            Notification.read_at.is_(None),
        )
        .order_by(Notification.id.desc())
        .limit(1)
    )


def _shown(user_id: int) -> ColumnElement[bool]:
    """A reader's notifications, leaving out those from readers they blocked."""
    return and_(
        Notification.user_id == user_id,
        or_(
            Notification.actor_id.is_(None),
            ~select(Block.blocked_id)
            .where(Block.blocker_id == user_id, Block.blocked_id == Notification.actor_id)
            .exists(),
        ),
    )


def notifications(
    db: Session, user_id: int, before: tuple[datetime, int] | None, limit: int, unread: bool
) -> list[Notification]:
    query = select(Notification).where(_shown(user_id))
    if unread:
        query = query.where(Notification.read_at.is_(None))
    if before is not None:
        at, last_id = before
        query = query.where(
            or_(
                Notification.created_at < at,
                and_(Notification.created_at == at, Notification.id < last_id),
            )
        )
    order = (Notification.created_at.desc(), Notification.id.desc())
    return list(db.scalars(query.order_by(*order).limit(limit)))


def unread_count(db: Session, user_id: int) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(Notification)
            .where(_shown(user_id), Notification.read_at.is_(None))
        )
        or 0
    )


def mark_read(db: Session, user_id: int, ids: Iterable[int] | None, now: datetime) -> int:
    query = update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)
    )
    if ids is not None:
        wanted = {i for i in ids if valid_id(i)}
        if not wanted:
            return 0
        query = query.where(Notification.id.in_(wanted))
    return rowcount(db.execute(query.values(read_at=now)))


def comments_with_stories(db: Session, ids: Iterable[int]) -> dict[int, tuple[Comment, Story]]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = db.execute(
        select(Comment, Story)
        .join(Story, Story.id == Comment.story_id)
        .where(Comment.id.in_(wanted))
    )
    return {c.id: (c, s) for c, s in rows}


def delete_read_notifications(db: Session, before: datetime) -> int:
    return rowcount(
        db.execute(
            delete(Notification)
            .where(Notification.read_at.is_not(None), Notification.created_at < before)
            .execution_options(synchronize_session=False)
        )
    )


def digest_due(db: Session, kinds: Iterable[str]) -> dict[int, list[Notification]]:
    """Unread, unmailed notifications of these kinds, by reader, oldest first,
    leaving out those from readers the reader blocked since."""
    rows = db.scalars(
        select(Notification)
        .join(User, User.id == Notification.user_id)
        .where(
            Notification.kind.in_(list(kinds)),
            Notification.mailed_at.is_(None),
            Notification.read_at.is_(None),
            User.mail_mode == "digest",
            or_(
                Notification.actor_id.is_(None),
                ~select(Block.blocked_id)
                .where(
                    Block.blocker_id == Notification.user_id,
                    Block.blocked_id == Notification.actor_id,
                )
                .exists(),
            ),
        )
        .order_by(Notification.user_id, Notification.created_at, Notification.id)
    )
    out: dict[int, list[Notification]] = {}
    for row in rows:
        out.setdefault(row.user_id, []).append(row)
    return out


def handles_starting(db: Session, prefix: str, viewer_id: int, limit: int) -> list[User]:
    """Readers whose handle starts with ``prefix`` (stored form), shortest
    first, but the viewer and those who blocked them."""
    blockers = select(Block.blocker_id).where(Block.blocked_id == viewer_id)
    query = (
        select(User)
        .where(
            User.handle.startswith(prefix, autoescape=True),
            User.id != viewer_id,
            User.id.not_in(blockers),
        )
        .order_by(func.length(User.handle), User.handle)
        .limit(limit)
    )
    return list(db.scalars(query))
