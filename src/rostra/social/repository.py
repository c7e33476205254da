"""Every query over follows and blocks, and the read-only reads of comments
that profiles and the feed make (they join follows, so they live here)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from rostra.models import Block, Comment, CommentStatus, Follow, Story, User


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
