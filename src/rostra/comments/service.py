"""The rules for writing comments and likes. Never commits: the endpoint
commits once, after which the answer is sent.

Counters are kept in the same transaction as the change that moves them:
``stories.comment_count`` counts published comments, ``comments.reply_count``
a comment's direct replies that are not deleted.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from rostra.comments import repository
from rostra.comments.render import render
from rostra.comments.schemas import CommentIn
from rostra.config import Settings
from rostra.db.base import utcnow
from rostra.errors import Forbidden, Invalid, NotFound
from rostra.jobs import outbox
from rostra.models import Comment, CommentStatus, User
from rostra.stories import repository as stories
from rostra.stories.service import clean_title, resolve
from rostra.text import check_text

# Characters that render as nothing; a body of only these is empty.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def clean_body(settings: Settings, value: str) -> str:
    """The body as stored, or 422 ``body_empty``, ``body_too_long`` or
    ``invalid_characters``."""
    # Browsers send \r\n from a textarea; one line ending keeps lengths honest
    # and lets check_text refuse every other control character.
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    check_text(text, "body")
    text = text.rstrip().lstrip("\n")
    if not text.translate(_INVISIBLE).strip():
        raise Invalid("The comment is empty.", field="body", code="body_empty")
    limit = settings.max_comment_length
    if len(text) > limit:
        raise Invalid(
            f"The comment is {len(text)} characters; the limit is {limit}.",
            field="body",
            code="body_too_long",
        )
    return text


def _may_post(user: User, site_id: int) -> None:
    if user.is_suspended:
        raise Forbidden("This account may not post.", code="account_suspended")
    # An SSO account is vouched for by its own site only (its address counts
    # as verified because that site says so); elsewhere it may not act.
    if user.sso_site_id is not None and user.sso_site_id != site_id:
        raise Forbidden(
            "This account signs in through another site and can take part only there.",
            code="other_site_account",
        )


def create(db: Session, settings: Settings, user: User, data: CommentIn) -> Comment:
    """Post a comment or a reply; pending on a pre-moderated site."""
    site, url = resolve(db, data.url)
    _may_post(user, site.id)
    if site.require_verified_email and not user.email_verified:
        raise Forbidden(
            "Confirm your email address before commenting: follow the link in the mail we sent.",
            code="email_not_verified",
        )
    body = clean_body(settings, data.body)
    title = clean_title(data.title)
    story = stories.by_url(db, url)
    if story is not None and story.is_closed:
        raise Forbidden("Comments on this story are closed.", code="story_closed")
    parent = _parent(db, user, data.parent_id, story.id if story else None)
    if story is None:
        story = stories.get_or_create(db, site.id, url, title)
    elif title and not story.title:
        story.title = title  # the first title given is kept
    status = CommentStatus.PENDING if site.moderation == "pre" else CommentStatus.PUBLISHED
    comment = repository.add(
        db,
        Comment(
            story_id=story.id,
            parent_id=parent.id if parent else None,
            thread_id=parent.thread_id if parent else None,
            depth=parent.depth + 1 if parent else 0,
            author_id=user.id,
            body=body,
            html=render(body),
            status=status.value,
            created_at=utcnow(),
        ),
    )
    if status == CommentStatus.PUBLISHED:
        stories.change_comment_count(db, story.id, +1)
        # Only published replies count: a count must not reveal what waits
        # in the moderation queue.
        if parent:
            repository.change_reply_count(db, parent.id, +1)
    _event(db, "comment.created", comment)
    return comment


def _parent(db: Session, user: User, parent_id: int | None, story_id: int | None) -> Comment | None:
    if parent_id is None:
        return None
    # Locked, so that deleting the parent cannot interleave with this reply.
    parent = repository.get(db, parent_id, lock=True)
    if parent is None or not repository.is_visible(parent, user.id):
        raise Invalid("'parent_id' names no comment.", field="parent_id", code="parent_not_found")
    if parent.story_id != story_id:
        raise Invalid(
            "'parent_id' names a comment on another story.",
            field="parent_id",
            code="parent_other_story",
        )
    if parent.status == CommentStatus.DELETED:
        raise Invalid(
            "That comment was deleted; it takes no more replies.",
            field="parent_id",
            code="parent_deleted",
        )
    if parent.status != CommentStatus.PUBLISHED:
        # Else deleting the unpublished parent would leave a public placeholder.
        raise Invalid(
            "That comment is not published; it takes replies once it is.",
            field="parent_id",
            code="parent_not_published",
        )
    return parent


def _own(db: Session, user: User, comment_id: int) -> Comment:
    """The viewer's own live comment (404 if it is not there for them, 403
    if it is somebody else's)."""
    comment = repository.get(db, comment_id, lock=True)
    if (
        comment is None
        or comment.status == CommentStatus.DELETED
        or not repository.is_visible(comment, user.id)
    ):
        raise NotFound("No such comment.")
    if comment.author_id != user.id:
        raise Forbidden("This comment is not yours.")
    return comment


def edit(db: Session, settings: Settings, user: User, comment_id: int, body: str) -> Comment:
    comment = _own(db, user, comment_id)
    _may_post(user, comment_site(db, comment))
    now = utcnow()
    if now >= comment.created_at + timedelta(seconds=settings.edit_window_seconds):
        raise Forbidden("The time for editing this comment is over.", code="edit_window_closed")
    comment.body = clean_body(settings, body)
    comment.html = render(comment.body)
    comment.edited_at = now
    db.flush()
    _event(db, "comment.updated", comment)
    return comment


def delete(db: Session, user: User, comment_id: int) -> int:
    """Delete the viewer's comment; returns its story's id.

    A comment with replies stays as a placeholder (status ``deleted``, no
    text) so the conversation under it keeps its place. Otherwise the row
    goes, and so does any placeholder above it left with no replies.
    """
    comment = _own(db, user, comment_id)
    story_id = comment.story_id
    was_published = comment.status == CommentStatus.PUBLISHED
    _event(db, "comment.deleted", comment)
    if comment.parent_id is not None and was_published:
        repository.change_reply_count(db, comment.parent_id, -1)
    if repository.has_children(db, comment.id):
        comment.status = CommentStatus.DELETED.value
        comment.body = ""
        comment.html = ""
        comment.deleted_at = utcnow()
        db.flush()
    else:
        parent_id = comment.parent_id
        repository.remove(db, comment)
        _prune(db, parent_id)
    # Rows are locked comments first (this one, then its ancestors), the story
    # last, in the same order as posting a reply, so the two cannot deadlock.
    if was_published:
        stories.change_comment_count(db, story_id, -1)
    return story_id


def _prune(db: Session, parent_id: int | None) -> None:
    """Remove placeholders left with no replies, walking up the thread."""
    while parent_id is not None:
        parent = repository.get(db, parent_id, lock=True)
        if (
            parent is None
            or parent.status != CommentStatus.DELETED
            or repository.has_children(db, parent.id)
        ):
            return
        parent_id = parent.parent_id
        repository.remove(db, parent)


def set_like(db: Session, user: User, comment_id: int, liked: bool) -> tuple[int, int]:
    """Like or unlike, idempotently; returns (like_count, story id)."""
    # Locked so a like cannot race the comment's deletion into a dangling row.
    comment = repository.get(db, comment_id, lock=True)
    if comment is None or comment.status != CommentStatus.PUBLISHED:
        raise NotFound("No such comment.")
    if comment.author_id == user.id:
        raise Forbidden("You cannot like your own comment.", code="own_comment")
    _may_post(user, comment_site(db, comment))
    if liked:
        repository.add_like(db, comment.id, user.id)
    else:
        repository.remove_like(db, comment.id, user.id)
    return repository.like_count(db, comment.id), comment.story_id


def comment_site(db: Session, comment: Comment) -> int:
    return stories.site_id_of(db, comment.story_id)


def _event(db: Session, topic: str, comment: Comment) -> None:
    # Written in this transaction: live updates and notifications follow a
    # committed change, and are not lost if the process dies after commit.
    outbox.enqueue(db, topic, {"comment_id": comment.id, "story_id": comment.story_id})
