"""Notifications: who hears of what, made by jobs, never inside the request.

Comments write ``comment.created`` and ``comment.liked`` to the outbox in
the transaction of the change (``rostra.comments.service``); moderation
writes ``comment.moderated`` (``moderated`` below). The handlers in
``rostra.social.tasks`` call the functions here, which:

- notify only about a comment that is published when the job runs (a held
  comment notifies nobody; its author hears of it on their own channel);
- never notify a reader about themselves, nor a reader who blocked the actor,
  nor a reader who switched the kind off (``User.notify``);
- give each reader at most one notification per comment: a reply to you
  that mentions you is a reply;
- batch likes: an unread "like" of one comment counts its likers;
- tell the reader's live channel, with the new unread count;
- mail replies and mentions to a confirmed address, at once or in the daily
  digest (``mail_mode``), queued in the same transaction as the notification.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from rostra.comments import cursors
from rostra.comments.service import profiles_base
from rostra.config import Settings
from rostra.db.base import utcnow
from rostra.http.live import log as live
from rostra.jobs import outbox
from rostra.jobs.tasks import MAIL_SEND
from rostra.models import Comment, CommentStatus, Notification, Story, User
from rostra.social import mail, repository
from rostra.social.service import comment_links

JSON = dict[str, Any]
REPLY, LIKE, MENTION, FOLLOWED, MODERATION = "reply", "like", "mention", "followed", "moderation"
MODERATED_TOPIC = "comment.moderated"
CURSOR = "notifications"
MAX_MENTIONS = 10


def mentioned_handles(html: str, profiles: str) -> list[str]:
    """The handles a comment mentions, read from its rendered HTML (the links
    to ``profiles`` that rendering made of ``@handle``, so a handle in code
    or inside a link mentions nobody), the first ten, in order."""
    found = re.findall('href="' + re.escape(profiles) + '([a-z0-9_]{3,30})"', html)
    return list(dict.fromkeys(found))[:MAX_MENTIONS]


def wants(user: User, kind: str) -> bool:
    return bool((user.notify or {}).get(kind, True))


def _notify(
    db: Session, user: User, kind: str, actor_id: int | None, comment: Comment
) -> Notification:
    row = Notification(
        user_id=user.id, kind=kind, actor_id=actor_id, comment_id=comment.id, created_at=utcnow()
    )
    db.add(row)
    db.flush()
    _tell(db, user.id, row)
    return row


def _tell(db: Session, user_id: int, row: Notification) -> None:
    live.publish(
        db,
        live.user_channel(user_id),
        "notification.created",
        {"id": row.id, "kind": row.kind, "unread_count": repository.unread_count(db, user_id)},
    )


def comment_created(db: Session, settings: Settings, comment_id: int) -> int:
    """Reply, mention and followed-reader notifications for a new comment; how many."""
    comment = db.get(Comment, comment_id)
    if comment is None or comment.status != CommentStatus.PUBLISHED or comment.author_id is None:
        return 0
    author = db.get(User, comment.author_id)
    if author is None:
        return 0
    kinds: dict[int, str] = {}
    if comment.parent_id is not None:
        parent = db.get(Comment, comment.parent_id)
        if parent is not None and parent.author_id is not None:
            kinds[parent.author_id] = REPLY
    for mentioned in repository.users_by_handles(
        db, mentioned_handles(comment.html, profiles_base(settings))
    ):
        kinds.setdefault(mentioned.id, MENTION)
    if not author.is_private:
        for follower in repository.follower_ids(db, author.id):
            kinds.setdefault(follower, FOLLOWED)
    kinds.pop(author.id, None)
    blocked = repository.who_blocked(db, author.id, kinds)
    people = repository.users(db, kinds)
    made = 0
    for user_id, kind in kinds.items():
        user = people.get(user_id)
        if user is None or user_id in blocked or not wants(user, kind):
            continue
        _after_notify(db, settings, user, _notify(db, user, kind, author.id, comment))
        made += 1
    return made


def comment_liked(db: Session, comment_id: int, liker_id: int) -> bool:
    """A like, batched into the author's unread like of that comment."""
    comment = db.get(Comment, comment_id)
    if comment is None or comment.status != CommentStatus.PUBLISHED or comment.author_id is None:
        return False
    author = db.get(User, comment.author_id)
    if (
        author is None
        or author.id == liker_id
        or not wants(author, LIKE)
        or repository.blocks(db, author.id, liker_id)
    ):
        return False
    row = repository.unread_like(db, author.id, comment.id)
    if row is None:
        _notify(db, author, LIKE, liker_id, comment)
        return True
    row.count += 1
    row.actor_id = liker_id
    row.created_at = utcnow()
    db.flush()
    _tell(db, author.id, row)
    return True


def moderated(db: Session, comment_id: int, action: str, reason: str | None = None) -> None:
    """For moderation to call in the transaction of a decision: the author of
    the comment hears that it was ``featured`` or ``removed`` (with the
    reason), or, for ``approved``, its readers hear of it as of a new comment."""
    outbox.enqueue(
        db, MODERATED_TOPIC, {"comment_id": comment_id, "action": action, "reason": reason}
    )


def comment_moderated(
    db: Session, settings: Settings, comment_id: int, action: str, reason: str | None
) -> int:
    if action == "approved":
        return comment_created(db, settings, comment_id)
    comment = db.get(Comment, comment_id)
    if comment is None or comment.author_id is None:
        return 0
    author = db.get(User, comment.author_id)
    if author is None or not wants(author, MODERATION):
        return 0
    row = Notification(
        user_id=author.id,
        kind=MODERATION,
        actor_id=None,
        comment_id=comment.id,
        action=action[:16],
        reason=reason,
        created_at=utcnow(),
    )
    db.add(row)
    db.flush()
    _tell(db, author.id, row)
    return 1


# --- reading and marking ---------------------------------------------------------


def listing(
    db: Session, settings: Settings, user: User, cursor: str | None, limit: int, unread: bool
) -> JSON:
    before = None
    if cursor:
        found = cursors.decode(cursor, CURSOR)
        assert not isinstance(found.key, int)  # a notifications cursor holds a time
        before = (found.key, found.id)
    rows = repository.notifications(db, user.id, before, limit + 1, unread)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = cursors.encode(CURSOR, rows[-1].created_at, rows[-1].id)
    comments = repository.comments_with_stories(db, (r.comment_id for r in rows if r.comment_id))
    actors = repository.users(db, (r.actor_id for r in rows if r.actor_id))
    return {
        "items": [_item(settings, user, r, comments, actors) for r in rows],
        "unread_count": repository.unread_count(db, user.id),
        "next_cursor": next_cursor,
    }


def _item(
    settings: Settings,
    user: User,
    row: Notification,
    comments: dict[int, Any],
    actors: dict[int, User],
) -> JSON:
    actor = actors.get(row.actor_id) if row.actor_id else None
    found = comments.get(row.comment_id) if row.comment_id else None
    comment = None
    if found is not None:
        c, story = found
        # A comment that is not public any more is shown only to its author.
        shown = c.status == CommentStatus.PUBLISHED or c.author_id == user.id
        comment = {
            "id": c.id,
            "thread_id": c.thread_id,
            "status": c.status,
            "html": c.html if shown and c.status != CommentStatus.DELETED else "",
            "story": {"id": story.id, "title": story.title or story.url, "url": story.url},
            **comment_links(settings, c, story),
        }
    return {
        "id": row.id,
        "kind": row.kind,
        "count": row.count,
        "actor": None
        if actor is None
        else {
            "id": actor.id,
            "handle": actor.handle,
            "display_name": actor.display_name,
            "avatar_url": actor.avatar_url,
        },
        "comment": comment,
        "action": row.action,
        "reason": row.reason,
        "created_at": row.created_at,
        "read": row.read_at is not None,
    }


def mark_read(db: Session, user: User, ids: Iterable[int] | None) -> int:
    """Mark some (``ids``) or all (None) of the reader's notifications read;
    the unread count that is left, told on the reader's live channel too."""
    if repository.mark_read(db, user.id, ids, utcnow()):
        left = repository.unread_count(db, user.id)
        live.publish(db, live.user_channel(user.id), "notifications.read", {"unread_count": left})
        return left
    return repository.unread_count(db, user.id)


# --- mail --------------------------------------------------------------------------

MAILED_KINDS = (REPLY, MENTION)
DIGEST_TOPIC = "social.digest"


def _mailable(user: User) -> bool:
    """Only to a confirmed address, and only if the reader wants mail."""
    return bool(user.email) and user.email_verified and user.mail_mode != "off"


def _mail_item(settings: Settings, db: Session, row: Notification) -> mail.Item | None:
    comment = db.get(Comment, row.comment_id) if row.comment_id else None
    actor = db.get(User, row.actor_id) if row.actor_id else None
    if comment is None or actor is None or comment.status != CommentStatus.PUBLISHED:
        return None
    story = db.get(Story, comment.story_id)
    if story is None:
        return None
    return mail.Item(
        kind=row.kind,
        actor=actor.display_name,
        story_title=story.title or story.url,
        excerpt=mail.excerpt(comment.html),
        link=comment_links(settings, comment, story)["thread_url"],
    )


def _after_notify(db: Session, settings: Settings, user: User, row: Notification) -> None:
    """A reply or a mention: mailed at once, or waits for the digest."""
    if row.kind not in MAILED_KINDS or not _mailable(user):
        return
    if user.mail_mode == "immediate":
        item = _mail_item(settings, db, row)
        if item is not None and user.email:
            # In the job's transaction: the mail is queued exactly when the
            # notification is kept, and marked so no digest repeats it.
            outbox.enqueue(
                db, MAIL_SEND, mail.one(settings, user.email, user.id, user.display_name, item)
            )
            row.mailed_at = utcnow()
        return
    schedule_digest(db, settings)


def next_digest_at(settings: Settings, now: datetime) -> datetime:
    at = now.replace(hour=settings.digest_hour, minute=0, second=0, microsecond=0)
    return at if at > now else at + timedelta(days=1)


def schedule_digest(db: Session, settings: Settings, *, besides: int | None = None) -> bool:
    """Make sure one digest pass waits for the next digest hour (under the
    topic's lock, so two jobs never schedule two)."""
    outbox.lock_topic(db, DIGEST_TOPIC)
    if outbox.has_pending(db, DIGEST_TOPIC, besides=besides):
        return False
    outbox.enqueue(db, DIGEST_TOPIC, {}, available_at=next_digest_at(settings, utcnow()))
    return True


def send_digests(db: Session, settings: Settings) -> int:
    """One digest mail per reader with unread, unmailed replies and mentions;
    the rows are marked mailed in the same transaction that queues the mail,
    so a digest is never lost and never sent twice. How many mails."""
    sent = 0
    now = utcnow()
    for user_id, rows in repository.digest_due(db, MAILED_KINDS).items():
        user = db.get(User, user_id)
        if user is None or user.mail_mode != "digest" or not _mailable(user) or not user.email:
            continue
        items = [i for i in (_mail_item(settings, db, r) for r in rows) if i is not None]
        for row in rows:
            row.mailed_at = now
        if items:
            outbox.enqueue(
                db, MAIL_SEND, mail.digest(settings, user.email, user.id, user.display_name, items)
            )
            sent += 1
    db.flush()
    return sent
