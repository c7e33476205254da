"""The rules for writing comments and likes. Never commits: the request's
unit of work commits once, after which the answer is sent.

Counters are kept in the same transaction as the change that moves them:
``stories.comment_count`` counts published comments, ``comments.reply_count``
a comment's direct replies that are not deleted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from rostra.accounts.service import ensure_active
from rostra.comments import announce, moderate, repository
from rostra.comments.errors import (
    BodyEmpty,
    BodyTooLong,
    EditWindowClosed,
    EmailNotVerified,
    OtherSiteAccount,
    OwnComment,
    ParentDeleted,
    ParentNotFound,
    ParentNotPublished,
    ParentOtherStory,
    StoryClosed,
)
from rostra.comments.render import is_visible, render, shows_text
from rostra.comments.schemas import CommentIn
from rostra.config import Settings
from rostra.db.base import utcnow
from rostra.errors import Forbidden, NotFound
from rostra.jobs import outbox
from rostra.models import Comment, CommentStatus, Site, User
from rostra.moderation import service as moderation
from rostra.moderation.pipeline import Outcome
from rostra.sites import service as sites
from rostra.stories import service as stories
from rostra.text import check_text


def clean_body(settings: Settings, value: str) -> str:
    """The body as stored, or 422 ``body_empty``, ``body_too_long`` or
    ``invalid_characters``."""
    # Browsers send \r\n from a textarea; one line ending keeps lengths honest
    # and lets check_text refuse every other control character.
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    check_text(text, "body")
    text = text.rstrip().lstrip("\n")
    if not any(is_visible(c) for c in text):
        raise BodyEmpty()
    limit = settings.max_comment_length
    if len(text) > limit:
        raise BodyTooLong(len(text), limit)
    return text


def render_body(settings: Settings, value: str) -> tuple[str, str]:
    """The body as stored and its HTML; 422 ``body_empty`` also when the
    Markdown shows nothing (``&nbsp;``, ``[](https://x)``, empty quotes)."""
    text = clean_body(settings, value)
    html = render(text, profiles_base(settings))
    if not shows_text(html):
        raise BodyEmpty()
    return text, html


def _may_post(user: User, site_id: int) -> None:
    ensure_active(user)
    # An SSO account is vouched for by its own site only (its address counts
    # as verified because that site says so); elsewhere it may not act.
    if user.sso_site_id is not None and user.sso_site_id != site_id:
        raise OtherSiteAccount()


@dataclass(frozen=True)
class Draft:
    """A new comment checked and rendered, before any write begins."""

    site_id: int
    premoderated: bool
    #: What the moderation pipeline said, before the story's mode.
    outcome: Outcome
    url: str
    title: str
    body: str
    html: str
    parent_id: int | None
    #: The site's edit window, for the author's own view of the comment.
    edit_window: int
    #: Whether the site reads its pages for titles (else a client's is not taken).
    fetch_metadata: bool = True
    #: Whether the HTML links to a reader's profile (an ``@handle``).
    mentions: bool = False
    #: Whether the author has a role on the site: the staff badge on their
    #: comment in the answer and the live event.
    staff: bool = False


def prepare(db: Session, settings: Settings, user: User, data: CommentIn) -> Draft:
    """Check who posts where and render the body, on a reading session: a
    comment refused for its input never takes SQLite's write lock, and the
    Markdown is rendered and sanitised outside the write transaction."""
    site, url = stories.resolve(db, data.url)
    _may_post(user, site.id)
    if site.require_verified_email and not user.email_verified:
        raise EmailNotVerified()
    body, html = render_body(settings, data.body)
    outcome = moderate.screen(db, settings, user, site, body, data.confirmed)
    return Draft(
        site_id=site.id,
        premoderated=site.moderation == "pre",
        outcome=outcome,
        url=url,
        title=stories.clean_title(data.title),
        body=body,
        html=html,
        parent_id=data.parent_id,
        edit_window=edit_window(settings, site),
        fetch_metadata=site.fetch_metadata,
        mentions=f'href="{profiles_base(settings)}' in html,
        staff=wears_badge(db, user.id, site.id),
    )


def create(db: Session, user: User, draft: Draft) -> Comment:
    """Post a prepared comment or reply; pending (held) on a premoderated
    site or story; refused for a banned reader or in slow mode.

    The hot write: a few indexed statements (the story's few columns, the
    parent by id, the insert, the counters) with no ORM unit of work, so
    posting costs the same on a story of ten comments or of a million."""
    story = stories.posting_target(db, draft.url)
    if story is not None and story.is_closed:
        raise StoryClosed()
    parent = _parent(db, user, draft.parent_id, story.id if story else None)
    if story is None:
        story = stories.target_of(stories.get_or_create(db, draft.site_id, draft.url, draft.title))
    else:
        # A placeholder, until the page is read.
        stories.offer_title_to(db, story, draft.title, fetch_metadata=draft.fetch_metadata)
    story_id = story.id
    verdict = moderate.first_status(db, user, story, draft.outcome)
    status = CommentStatus(verdict.status)
    comment = repository.insert_comment(
        db,
        Comment(
            story_id=story_id,
            parent_id=parent.id if parent else None,
            thread_id=parent.thread_id if parent else None,
            depth=parent.depth + 1 if parent else 0,
            author_id=user.id,
            body=draft.body,
            html=draft.html,
            status=status.value,
            moderation_step=verdict.step,
            moderation_reason=verdict.reason,
            toxicity=verdict.score,
            created_at=utcnow(),
        ),
    )
    count = None
    if status == CommentStatus.PUBLISHED:
        # Only published replies count: a count must not reveal what waits
        # in the moderation queue.
        if parent:
            repository.change_reply_count(db, parent.id, +1)
        # The story's row last: on PostgreSQL its lock, which every post to
        # the story takes, is held for the shortest time.
        count = stories.change_comment_count(db, story_id, +1)
    else:
        stories.story_changed(db, story_id)
    # What the notifications need to know whether anyone hears of it
    # (``rostra.social.tasks``): a held comment, a top-level one that
    # mentions nobody by an author nobody follows, makes no job.
    facts: dict[str, object] = {
        "author_id": user.id,
        "status": status.value,
        "reply_to": parent.author_id if parent else None,
        "mentions": draft.mentions,
    }
    _event(db, "comment.created", comment, facts)
    announce.created(db, comment, user, draft.url, count, draft.edit_window, draft.staff)
    if status != CommentStatus.PUBLISHED:
        moderate.tell_desk_new(db, draft.site_id, comment)
    return comment


def _parent(db: Session, user: User, parent_id: int | None, story_id: int | None) -> Comment | None:
    if parent_id is None:
        return None
    # Locked, so that deleting the parent cannot interleave with this reply.
    parent = repository.get(db, parent_id, lock=True)
    if parent is None or not repository.is_visible(parent, user.id):
        raise ParentNotFound()
    if parent.story_id != story_id:
        raise ParentOtherStory()
    if parent.status == CommentStatus.DELETED:
        raise ParentDeleted()
    if parent.status != CommentStatus.PUBLISHED:
        # Else deleting the unpublished parent would leave a public placeholder.
        raise ParentNotPublished()
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


def wears_badge(db: Session, user_id: int, site_id: int) -> bool:
    """Whether the reader has a role on the site (the staff badge)."""
    return bool(moderation.staff_among(db, site_id, [user_id]))


def edit_window(settings: Settings, site: Site | None) -> int:
    """The site's edit window in seconds, or the server's."""
    if site is None or site.edit_window_seconds is None:
        return settings.edit_window_seconds
    return site.edit_window_seconds


def edit(db: Session, settings: Settings, user: User, comment_id: int, body: str) -> Comment:
    """Edit the author's comment within the site's edit window; the new text
    passes the moderation pipeline's content steps, and a comment they would
    hold or reject leaves the page for the queue (``moderate.after_edit``)."""
    # Checked and rendered before the first query of the write transaction.
    text, html = render_body(settings, body)
    comment = _own(db, user, comment_id)
    site_id = comment_site(db, comment)
    _may_post(user, site_id)
    site = sites.by_id(db, site_id)
    window = edit_window(settings, site)
    now = utcnow()
    if now >= comment.created_at + timedelta(seconds=window):
        raise EditWindowClosed()
    outcome = moderate.screen_edit(settings, user, site, text) if site is not None else None
    comment.body = text
    comment.html = html
    comment.edited_at = now
    db.flush()
    stories.story_changed(db, comment.story_id)
    _event(db, "comment.updated", comment)
    if outcome is not None and moderate.after_edit(db, settings, site_id, comment, outcome):
        return comment
    announce.updated(db, comment, user, window, wears_badge(db, user.id, site_id))
    return comment


def delete(db: Session, user: User, comment_id: int) -> int:
    """Delete the viewer's comment; returns its story's id.

    A comment with replies stays as a placeholder (status ``deleted``, no
    text) so the conversation under it keeps its place. Otherwise the row
    goes, and so does any placeholder above it left with no replies.
    """
    comment = _own(db, user, comment_id)
    story_id = comment.story_id
    was = comment.status
    was_published = was == CommentStatus.PUBLISHED
    _event(db, "comment.deleted", comment)
    if was == CommentStatus.PENDING or comment.report_count:
        moderate.tell_desk_removed(db, comment_site(db, comment), comment.id)
    if comment.parent_id is not None and was_published:
        repository.change_reply_count(db, comment.parent_id, -1)
    placeholder = repository.has_children(db, comment.id)
    if placeholder:
        comment.status = CommentStatus.DELETED.value
        comment.body = ""
        comment.html = ""
        # No longer a pick: its placeholder keeps its place among the rest
        # (the picks are published comments only).
        comment.is_featured = False
        comment.deleted_at = utcnow()
        db.flush()
    else:
        parent_id = comment.parent_id
        repository.remove(db, comment)
        _prune(db, parent_id)
    # Rows are locked comments first (this one, then its ancestors), the story
    # last, in the same order as posting a reply, so the two cannot deadlock.
    count = stories.change_comment_count(db, story_id, -1) if was_published else None
    stories.story_changed(db, story_id)
    announce.deleted(db, comment_id, story_id, user.id, was, placeholder, count)
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
        raise OwnComment()
    _may_post(user, comment_site(db, comment))
    if liked:
        if repository.add_like(db, comment.id, user.id):
            outbox.emit(db, "comment.liked", {"comment_id": comment.id, "user_id": user.id})
    else:
        repository.remove_like(db, comment.id, user.id)
    stories.story_changed(db, comment.story_id)  # like counts and "top" order are on pages
    like_count = repository.like_count(db, comment.id)
    announce.liked(db, comment, like_count)
    return like_count, comment.story_id


def site_of(db: Session, comment: Comment) -> Site | None:
    return sites.by_id(db, comment_site(db, comment))


def comment_site(db: Session, comment: Comment) -> int:
    return stories.site_id_of(db, comment.story_id)


def _event(
    db: Session, topic: str, comment: Comment, facts: dict[str, object] | None = None
) -> None:
    # For the consumers other parts register: written in this transaction,
    # so what follows a change is not lost if the process dies after the
    # commit, and not written at all while nothing consumes it.
    payload = {"comment_id": comment.id, "story_id": comment.story_id, **(facts or {})}
    outbox.emit(db, topic, payload)


@dataclass(frozen=True)
class Rerendered:
    """One batch of ``rerender``."""

    seen: int
    changed: int
    #: The last comment of the batch, where the next batch starts (None: done).
    last_id: int | None
    story_ids: frozenset[int]


def profiles_base(settings: Settings) -> str:
    """Where ``@handle`` in a comment links to (``/u/HANDLE``, absolute: the
    HTML is also included in publishers' pages)."""
    return settings.public_url + "/u/"


def rerender(db: Session, after_id: int, limit: int, profiles: str | None = None) -> Rerendered:
    """Render stored comments again from their Markdown, ``limit`` at a time
    in id order after ``after_id``: for when the rendering rules change
    (``rostra comments rerender``). A story whose comments' HTML changed has
    its cached pages retired after the commit. Not an edit: ``edited_at``
    stays, and a body that would now be refused as empty is kept."""
    rows = repository.batch_after(db, after_id, limit)
    story_ids: set[int] = set()
    changed = 0
    for comment in rows:
        html = render(comment.body, profiles)
        if html != comment.html:
            comment.html = html
            changed += 1
            story_ids.add(comment.story_id)
    db.flush()
    for story_id in story_ids:
        stories.story_changed(db, story_id)
    return Rerendered(len(rows), changed, rows[-1].id if rows else None, frozenset(story_ids))
