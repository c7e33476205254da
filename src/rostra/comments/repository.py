"""Every query over comments, reactions and idempotency keys.

Counters (like_count, reply_count) change only through ``UPDATE … SET x =
x + n`` so concurrent writers never lose an increment to a read-modify-write.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.schema import ScalarElementColumnDefault

from rostra.comments.cursors import Cursor
from rostra.db.base import rowcount, utcnow, valid_id
from rostra.models import (
    Ban,
    Block,
    Comment,
    CommentStatus,
    IdempotencyKey,
    Reaction,
    Report,
    Story,
    User,
)

LIKE = "like"
# Seen by everyone: published comments and the placeholders of deleted ones.
PUBLIC_STATUSES = (CommentStatus.PUBLISHED.value, CommentStatus.DELETED.value)


def visible_to(viewer_id: int | None) -> ColumnElement[bool]:
    """Pending and rejected comments are visible only to their author."""
    public = Comment.status.in_(PUBLIC_STATUSES)
    return public if viewer_id is None else or_(public, Comment.author_id == viewer_id)


def is_visible(row: Comment, viewer_id: int | None) -> bool:
    """``visible_to`` for a row already loaded."""
    return row.status in PUBLIC_STATUSES or (viewer_id is not None and row.author_id == viewer_id)


def get(db: Session, comment_id: int, *, lock: bool = False) -> Comment | None:
    """One comment; ``lock`` takes a row lock (PostgreSQL) so that a reply and
    the deletion of its parent serialise instead of racing."""
    if not valid_id(comment_id):
        return None
    query = select(Comment).where(Comment.id == comment_id)
    if lock:
        query = query.with_for_update()
    return db.scalar(query)


def by_ids(db: Session, comment_ids: Iterable[int]) -> list[Comment]:
    ids = {i for i in comment_ids if valid_id(i)}
    if not ids:
        return []
    return list(db.scalars(select(Comment).where(Comment.id.in_(ids))))


# Built once: posting runs these on every request (SQLAlchemy caches their
# compiled SQL too, but building the statement objects costs as much).
_COMMENTS = Comment.metadata.tables["comments"]
_INSERT_COMMENT = insert(_COMMENTS).returning(_COMMENTS.c.id)
_OWN_THREAD = (
    update(_COMMENTS)
    .where(_COMMENTS.c.id == bindparam("comment_id"))
    .values(thread_id=bindparam("comment_id"))
)
_COMMENT_COLUMNS = tuple(c.key for c in _COMMENTS.columns if c.key != "id")
# The columns' plain defaults (0, False…), set on the object as a flush would.
_DEFAULTS = {
    c.key: c.default.arg
    for c in _COMMENTS.columns
    if isinstance(c.default, ScalarElementColumnDefault)
}


def insert_comment(db: Session, comment: Comment) -> Comment:
    """Insert a new comment (Core, no unit of work); a top-level one is then
    made its own thread on its primary key. ``comment`` gets its id and stays
    a plain object, not added to the session."""
    conn = db.connection()
    values = {}
    for key in _COMMENT_COLUMNS:
        value = getattr(comment, key)
        if value is None and key in _DEFAULTS:
            value = _DEFAULTS[key]
            setattr(comment, key, value)
        values[key] = value
    comment_id: int = conn.execute(_INSERT_COMMENT, values).scalar_one()
    comment.id = comment_id
    if comment.thread_id is None:  # a top-level comment is its own thread
        conn.execute(_OWN_THREAD, {"comment_id": comment_id})
        comment.thread_id = comment_id
    return comment


def top_level(
    db: Session, story_id: int, sort: str, limit: int, after: Cursor | None, viewer_id: int | None
) -> list[Comment]:
    """Up to ``limit`` top-level comments after the cursor, in ``sort``
    order; featured ones are not among them (``featured_tops``)."""
    query = select(Comment).where(
        Comment.story_id == story_id,
        Comment.depth == 0,
        visible_to(viewer_id),
        Comment.is_featured.is_(False),
    )
    key: InstrumentedAttribute[Any]
    if sort == "top":
        key, ascending = Comment.like_count, False
    else:
        key, ascending = Comment.created_at, sort == "oldest"
    if after is not None:
        if ascending:
            query = query.where(or_(key > after.key, and_(key == after.key, Comment.id > after.id)))
        else:
            query = query.where(or_(key < after.key, and_(key == after.key, Comment.id < after.id)))
    order = (key.asc(), Comment.id.asc()) if ascending else (key.desc(), Comment.id.desc())
    return list(db.scalars(query.order_by(*order).limit(limit)))


def first_replies(
    db: Session, thread_ids: Sequence[int], per_thread: int, viewer_id: int | None
) -> list[Comment]:
    """The first ``per_thread`` visible replies of each thread, oldest first,
    in one query (ROW_NUMBER per thread; SQLite ≥ 3.25 and PostgreSQL)."""
    if not thread_ids:
        return []
    rank = (
        func.row_number()
        .over(partition_by=Comment.thread_id, order_by=(Comment.created_at, Comment.id))
        .label("rank")
    )
    ranked = (
        select(Comment.id, rank)
        .where(Comment.thread_id.in_(thread_ids), Comment.depth > 0, visible_to(viewer_id))
        .subquery()
    )
    query = (
        select(Comment)
        .join(ranked, ranked.c.id == Comment.id)
        .where(ranked.c.rank <= per_thread)
        .order_by(Comment.thread_id, Comment.created_at, Comment.id)
    )
    return list(db.scalars(query))


def replies_after(
    db: Session, thread_id: int, after: Cursor | None, limit: int, viewer_id: int | None
) -> list[Comment]:
    query = select(Comment).where(
        Comment.thread_id == thread_id, Comment.depth > 0, visible_to(viewer_id)
    )
    if after is not None:
        query = query.where(
            or_(
                Comment.created_at > after.key,
                and_(Comment.created_at == after.key, Comment.id > after.id),
            )
        )
    query = query.order_by(Comment.created_at, Comment.id).limit(limit)
    return list(db.scalars(query))


def authors(db: Session, user_ids: Iterable[int]) -> dict[int, User]:
    ids = set(user_ids)
    if not ids:
        return {}
    return {u.id: u for u in db.scalars(select(User).where(User.id.in_(ids)))}


def blocked_among(db: Session, viewer_id: int, author_ids: Iterable[int]) -> frozenset[int]:
    """Which of these authors the viewer blocked (their comments come collapsed)."""
    ids = set(author_ids)
    if not ids:
        return frozenset()
    return frozenset(
        db.scalars(
            select(Block.blocked_id).where(Block.blocker_id == viewer_id, Block.blocked_id.in_(ids))
        )
    )


def liked_by(db: Session, user_id: int, comment_ids: Iterable[int]) -> set[int]:
    ids = set(comment_ids)
    if not ids:
        return set()
    return set(
        db.scalars(
            select(Reaction.comment_id).where(
                Reaction.user_id == user_id, Reaction.kind == LIKE, Reaction.comment_id.in_(ids)
            )
        )
    )


_CHANGE_REPLY_COUNT = (
    update(_COMMENTS)
    .where(_COMMENTS.c.id == bindparam("comment_id"))
    .values(reply_count=_COMMENTS.c.reply_count + bindparam("delta"))
)


def change_reply_count(db: Session, comment_id: int, delta: int) -> None:
    # On the connection: the parent row, if loaded, is not refreshed (as
    # with ``synchronize_session=False`` before).
    db.connection().execute(_CHANGE_REPLY_COUNT, {"comment_id": comment_id, "delta": delta})


def has_children(db: Session, comment_id: int) -> bool:
    """Any reply row at all, placeholders included: removing a row would
    cascade to its whole subtree."""
    return bool(db.scalar(select(exists().where(Comment.parent_id == comment_id))))


def remove(db: Session, comment: Comment) -> None:
    db.execute(
        delete(Comment).where(Comment.id == comment.id).execution_options(synchronize_session=False)
    )
    db.expunge(comment)


def add_like(db: Session, comment_id: int, user_id: int) -> bool:
    """Insert the like; False if it was there already.

    ``ON CONFLICT DO NOTHING`` turns a concurrent duplicate into a no-op (on
    PostgreSQL the second insert waits for the first and then does nothing),
    so the counter moves only for a row that was really inserted.
    """
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    result = db.execute(
        dialect.insert(Reaction)
        .values(comment_id=comment_id, user_id=user_id, kind=LIKE, created_at=utcnow())
        .on_conflict_do_nothing()
        # rowcount is not reliable for INSERT on every driver;
        # a returned row is (SQLite >= 3.35, PostgreSQL).
        .returning(Reaction.comment_id)
    )
    if result.first() is None:
        return False
    db.execute(
        update(Comment)
        .where(Comment.id == comment_id)
        .values(like_count=Comment.like_count + 1)
        .execution_options(synchronize_session=False)
    )
    return True


def remove_like(db: Session, comment_id: int, user_id: int) -> bool:
    result = db.execute(
        delete(Reaction).where(
            Reaction.comment_id == comment_id, Reaction.user_id == user_id, Reaction.kind == LIKE
        )
    )
    if not rowcount(result):
        return False
    db.execute(
        update(Comment)
        .where(Comment.id == comment_id)
        .values(like_count=Comment.like_count - 1)
        .execution_options(synchronize_session=False)
    )
    return True


def like_count(db: Session, comment_id: int) -> int:
    return int(db.scalar(select(Comment.like_count).where(Comment.id == comment_id)) or 0)


def idempotency_key(db: Session, user_id: int, key: str) -> IdempotencyKey | None:
    return db.scalar(
        select(IdempotencyKey).where(IdempotencyKey.user_id == user_id, IdempotencyKey.key == key)
    )


def save_idempotency_key(
    db: Session,
    user_id: int,
    key: str,
    request_hash: str,
    status_code: int,
    body: str,
    now: datetime,
) -> None:
    """Inserted at once, so a concurrent duplicate fails here, on the unique
    constraint, before the transaction commits twice."""
    db.execute(
        insert(IdempotencyKey).values(
            user_id=user_id,
            key=key,
            request_hash=request_hash,
            status_code=status_code,
            response_body=body,
            created_at=now,
        )
    )


def delete_idempotency_keys(db: Session, created_before: datetime) -> int:
    """Forget stored answers older than ``created_before`` (retries come within minutes)."""
    result = db.execute(
        delete(IdempotencyKey)
        .where(IdempotencyKey.created_at < created_before)
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)


def batch_after(db: Session, after_id: int, limit: int) -> list[Comment]:
    """Up to ``limit`` comments with text, by id after ``after_id``, locked
    (PostgreSQL) so that an edit cannot slip between reading and writing one."""
    query = (
        select(Comment)
        .where(Comment.id > after_id, Comment.status != CommentStatus.DELETED.value)
        .order_by(Comment.id)
        .limit(limit)
        .with_for_update()
    )
    return list(db.scalars(query))


#: What a row of ``viewer_rows`` is.
OWN, LIKED, BLOCKED = 0, 1, 2


def _viewer_rows_query() -> Select[int, int, Comment]:
    # Built once, with bound parameters: the statement is the same for every
    # signed-in read, so neither its construction nor its compilation is
    # paid per request.
    viewer_id = bindparam("viewer_id", type_=Integer)
    story_id = bindparam("story_id", type_=Integer)
    limit = bindparam("limit", type_=Integer)
    own = (
        select(Comment.id, literal(OWN).label("kind"))
        .where(Comment.author_id == viewer_id, Comment.story_id == story_id)
        .where(Comment.status != CommentStatus.DELETED.value)
        .order_by(Comment.id.desc())
        .limit(limit)
    )
    liked = (
        select(Reaction.comment_id, literal(LIKED).label("kind"))
        .join(Comment, Comment.id == Reaction.comment_id)
        .where(Reaction.user_id == viewer_id, Reaction.kind == LIKE, Comment.story_id == story_id)
        .order_by(Reaction.comment_id.desc())
        .limit(limit)
    )
    blocked = (
        select(Block.blocked_id, literal(BLOCKED).label("kind"))
        .where(Block.blocker_id == viewer_id)
        .order_by(Block.blocked_id.desc())
        .limit(limit)
    )
    parts = union_all(
        own.subquery().select(), liked.subquery().select(), blocked.subquery().select()
    )
    both = parts.subquery()
    return (
        select(both.c.kind, both.c.id, Comment)
        .outerjoin(Comment, and_(Comment.id == both.c.id, both.c.kind == OWN))
        .order_by(both.c.kind, both.c.id.desc())
    )


_VIEWER_ROWS = _viewer_rows_query()


def viewer_rows(
    db: Session, story_id: int, viewer_id: int, limit: int
) -> list[tuple[int, int, Comment | None]]:
    """A reader's own state in one story, in one statement, as (kind, id,
    comment) rows: ``OWN`` their comments (the row whole), ``LIKED`` the
    comments they like, ``BLOCKED`` the readers they blocked (user ids);
    newest first, at most ``limit`` of each. Each part is an index read:
    comments by (author, story), reactions by user then comments by primary
    key, blocks by blocker."""
    values = {"story_id": story_id, "viewer_id": viewer_id, "limit": limit}
    return [(int(kind), int(row_id), row) for kind, row_id, row in db.execute(_VIEWER_ROWS, values)]


# --- moderation -------------------------------------------------------------

#: Steps of the pipeline whose holds make the Machine-flagged queue.
MACHINE_STEPS = ("words", "toxicity", "spam", "new_reader")


def featured_tops(db: Session, story_id: int) -> list[Comment]:
    """The story's featured top-level comments, newest pick first."""
    query = select(Comment).where(
        Comment.story_id == story_id,
        Comment.depth == 0,
        Comment.is_featured.is_(True),
        Comment.status == CommentStatus.PUBLISHED.value,
    )
    return list(db.scalars(query.order_by(Comment.decided_at.desc(), Comment.id.desc())))


def last_post_at(db: Session, user_id: int, story_id: int) -> datetime | None:
    query = select(func.max(Comment.created_at)).where(
        Comment.author_id == user_id, Comment.story_id == story_id
    )
    return db.scalar(query)


def queue(
    db: Session,
    name: str,
    site_ids: list[int] | None,
    story_id: int | None,
    limit: int,
    offset: int,
) -> list[tuple[Comment, Story]]:
    """One page of a moderation queue, across the given sites (None: all)."""
    query = select(Comment, Story).join(Story, Story.id == Comment.story_id)
    if site_ids is not None:
        query = query.where(Story.site_id.in_(site_ids))
    if story_id is not None:
        query = query.where(Comment.story_id == story_id)
    pending = CommentStatus.PENDING.value
    if name == "pending":
        query = query.where(Comment.status == pending).order_by(Comment.created_at, Comment.id)
    elif name == "reported":
        query = query.where(
            Comment.report_count > 0,
            Comment.status.in_((CommentStatus.PUBLISHED.value, pending)),
        ).order_by(Comment.report_count.desc(), Comment.id)
    elif name == "flagged":
        query = query.where(
            Comment.status == pending, Comment.moderation_step.in_(MACHINE_STEPS)
        ).order_by(Comment.created_at, Comment.id)
    else:  # recent
        query = query.where(Comment.status != CommentStatus.DELETED.value).order_by(
            Comment.created_at.desc(), Comment.id.desc()
        )
    return [(c, s) for c, s in db.execute(query.limit(limit).offset(offset))]


def history(db: Session, author_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Per author: how many of their comments are published, rejected,
    pending, and how many bans they had."""
    ids = set(author_ids)
    out: dict[int, dict[str, int]] = {
        i: {"published": 0, "rejected": 0, "pending": 0, "bans": 0} for i in ids
    }
    if not ids:
        return out
    rows = db.execute(
        select(Comment.author_id, Comment.status, func.count())
        .where(Comment.author_id.in_(ids))
        .group_by(Comment.author_id, Comment.status)
    )
    for author_id, status, n in rows:
        if author_id is not None and status in out[author_id]:
            out[author_id][status] = n
    bans = db.execute(
        select(Ban.user_id, func.count()).where(Ban.user_id.in_(ids)).group_by(Ban.user_id)
    )
    for user_id, n in bans:
        out[user_id]["bans"] = n
    return out


def report_reasons(db: Session, comment_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    ids = set(comment_ids)
    out: dict[int, dict[str, int]] = {}
    if not ids:
        return out
    rows = db.execute(
        select(Report.comment_id, Report.reason, func.count())
        .where(Report.comment_id.in_(ids))
        .group_by(Report.comment_id, Report.reason)
    )
    for comment_id, reason, n in rows:
        out.setdefault(comment_id, {})[reason] = n
    return out


def report_notes(
    db: Session, comment_ids: Iterable[int], per_comment: int = 5
) -> dict[int, list[dict[str, str]]]:
    """The latest notes readers wrote with their reports, a few per comment."""
    ids = set(comment_ids)
    out: dict[int, list[dict[str, str]]] = {}
    if not ids:
        return out
    rows = db.execute(
        select(Report.comment_id, Report.reason, Report.note)
        .where(Report.comment_id.in_(ids), Report.note != "")
        .order_by(Report.created_at.desc())
    )
    for comment_id, reason, note in rows:
        notes = out.setdefault(comment_id, [])
        if len(notes) < per_comment:
            notes.append({"reason": reason, "note": note})
    return out


def has_reported(db: Session, comment_id: int, user_id: int) -> bool:
    query = exists().where(Report.comment_id == comment_id, Report.reporter_id == user_id)
    return bool(db.scalar(select(query)))


def add_report(db: Session, comment_id: int, user_id: int, reason: str, note: str) -> bool:
    """Insert the report and count it; False if this reader reported it already
    (``ON CONFLICT DO NOTHING``, so concurrent duplicates count once)."""
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    result = db.execute(
        dialect.insert(Report)
        .values(
            comment_id=comment_id, reporter_id=user_id, reason=reason, note=note,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing()
        .returning(Report.comment_id)
    )  # fmt: skip
    if result.first() is None:
        return False
    db.execute(
        update(Comment)
        .where(Comment.id == comment_id)
        .values(report_count=Comment.report_count + 1)
        .execution_options(synchronize_session=False)
    )
    return True


def report_count(db: Session, comment_id: int) -> int:
    return int(db.scalar(select(Comment.report_count).where(Comment.id == comment_id)) or 0)


def author_facts(
    db: Session,
    user_id: int,
    site_id: int,
    body: str,
    since: datetime,
    minute_ago: datetime,
    count_published: bool,
) -> tuple[int, bool, int]:
    """For the pipeline's spam and new-reader steps: the author's published
    comments on the site (when asked), whether the same text went on another
    story since ``since``, and their comments since ``minute_ago``."""
    published = 0
    if count_published:
        published = int(
            db.scalar(
                select(func.count())
                .select_from(Comment)
                .join(Story, Story.id == Comment.story_id)
                .where(
                    Comment.author_id == user_id,
                    Story.site_id == site_id,
                    Comment.status == CommentStatus.PUBLISHED.value,
                )
            )
            or 0
        )
    same = bool(
        db.scalar(
            select(
                exists().where(
                    Comment.author_id == user_id, Comment.body == body, Comment.created_at >= since
                )
            )
        )
    )
    recent = int(
        db.scalar(
            select(func.count())
            .select_from(Comment)
            .where(Comment.author_id == user_id, Comment.created_at >= minute_ago)
        )
        or 0
    )
    return published, same, recent


def _top_order(sort: str) -> tuple[InstrumentedAttribute[Any], bool]:
    """The key and direction of the top-level order ``top_level`` pages by."""
    if sort == "top":
        return Comment.like_count, False
    return Comment.created_at, sort == "oldest"


def top_level_before(db: Session, root: Comment, sort: str) -> int:
    """How many public, not featured top-level comments of the story come
    before ``root`` in ``sort`` order (``top_level``'s, for anonymous readers)."""
    key, ascending = _top_order(sort)
    value = root.like_count if sort == "top" else root.created_at
    if ascending:
        before = or_(key < value, and_(key == value, Comment.id < root.id))
    else:
        before = or_(key > value, and_(key == value, Comment.id > root.id))
    query = select(func.count()).where(
        Comment.story_id == root.story_id,
        Comment.depth == 0,
        visible_to(None),
        Comment.is_featured.is_(False),
        before,
    )
    return int(db.scalar(query) or 0)


def top_level_at(db: Session, story_id: int, sort: str, offset: int) -> Comment | None:
    """The public, not featured top-level comment at ``offset`` in ``sort`` order."""
    key, ascending = _top_order(sort)
    order = (key.asc(), Comment.id.asc()) if ascending else (key.desc(), Comment.id.desc())
    query = select(Comment).where(
        Comment.story_id == story_id,
        Comment.depth == 0,
        visible_to(None),
        Comment.is_featured.is_(False),
    )
    return db.scalars(query.order_by(*order).offset(offset).limit(1)).first()


def replies_before(db: Session, reply: Comment) -> int:
    """How many public replies of its thread come before ``reply`` (oldest first)."""
    query = select(func.count()).where(
        Comment.thread_id == reply.thread_id,
        Comment.depth > 0,
        visible_to(None),
        or_(
            Comment.created_at < reply.created_at,
            and_(Comment.created_at == reply.created_at, Comment.id < reply.id),
        ),
    )
    return int(db.scalar(query) or 0)


def reply_at(db: Session, thread_id: int, offset: int) -> Comment | None:
    """The public reply of a thread at ``offset``, oldest first."""
    query = select(Comment).where(
        Comment.thread_id == thread_id, Comment.depth > 0, visible_to(None)
    )
    query = query.order_by(Comment.created_at, Comment.id).offset(offset).limit(1)
    return db.scalars(query).first()
