"""Moderation of comments: the status a new comment starts in, moderators'
decisions, readers' reports and the queues. Never commits.

Every decision is checked against the decider's role on the comment's
site, recorded on the comment (``moderation_step``, ``moderation_reason``,
who and when), written once to the audit log and told to the story's
readers, the author and the site's desks on the live channels.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from rostra.backends.cache import Cache
from rostra.comments import repository, views
from rostra.comments.errors import (
    AlreadyDecided,
    AlreadyReported,
    NotDecidable,
    NoteRequired,
    OwnComment,
    SlowMode,
)
from rostra.config import Settings
from rostra.db.base import utcnow
from rostra.errors import NotFound
from rostra.http.live import log as live
from rostra.jobs import outbox
from rostra.models import Comment, CommentStatus, Site, Story, User
from rostra.moderation import pipeline
from rostra.moderation import service as moderation
from rostra.moderation.pipeline import Facts, Outcome, Rules
from rostra.moderation.scorer import build_scorer
from rostra.sites import service as sites
from rostra.stories import service as stories

PUBLISHED, PENDING = CommentStatus.PUBLISHED.value, CommentStatus.PENDING.value
REJECTED, DELETED = CommentStatus.REJECTED.value, CommentStatus.DELETED.value
log = logging.getLogger(__name__)
ACTIONS = ("approve", "reject", "feature", "unfeature")
QUEUES = ("pending", "reported", "flagged", "recent")


def screen(
    db: Session, settings: Settings, user: User, site: Site, body: str, confirmed: bool
) -> Outcome:
    """The pipeline's steps up to the site's mode (``rostra.moderation.pipeline``),
    on the reading session, before the write begins; 422 ``rephrase_suggested``
    asks the author once to rephrase."""
    site_mode = "site" if site.moderation == "pre" else "open"
    if not settings.moderation_pipeline:
        if site_mode == "site":
            return Outcome(PENDING, "site_mode", "Comments on this site are reviewed first.")
        return Outcome(PUBLISHED)
    now = utcnow()
    published, same, recent = repository.author_facts(
        db, user.id, site.id, body, now - timedelta(days=1), now - timedelta(minutes=1),
        count_published=site.new_reader_holds > 0,
    )  # fmt: skip
    facts = Facts(
        account_age_seconds=(now - user.created_at).total_seconds(),
        published_before=published,
        same_text_elsewhere=same,
        last_minute=recent + 1,
        mode=site_mode,
        confirmed=confirmed,
    )
    return pipeline.run(site_rules(site), build_scorer(settings.toxicity_scorer), body, facts)


def screen_edit(settings: Settings, user: User, site: Site, body: str) -> Outcome:
    """The pipeline's content steps for an edited text: word lists, the
    toxicity score (an edit is not nudged: above "hold" it is held) and links
    from a new account. The story's mode, a new reader's holds and the
    burst and repeat signals concern new comments, not edits."""
    if not settings.moderation_pipeline:
        return Outcome(PUBLISHED)
    facts = Facts(account_age_seconds=(utcnow() - user.created_at).total_seconds(), confirmed=True)
    return pipeline.run(site_rules(site), build_scorer(settings.toxicity_scorer), body, facts)


_STRICTNESS = {PUBLISHED: 0, PENDING: 1, REJECTED: 2}


def after_edit(
    db: Session, settings: Settings, site_id: int, comment: Comment, outcome: Outcome
) -> bool:
    """Apply the pipeline's word on an edit: a comment it would hold or
    reject (and is not already held or rejected more strictly) is held or
    rejected like a new one, logged as Rostra's own action and sent to the
    desk. Returns whether its status changed."""
    comment.toxicity = outcome.score
    was = comment.status
    if _STRICTNESS.get(outcome.status, 0) <= _STRICTNESS.get(was, 0):
        return False
    comment.status = outcome.status
    comment.is_featured = False
    comment.moderation_step = outcome.step
    comment.moderation_reason = outcome.reason
    comment.decided_by_id = None
    comment.decided_at = utcnow()
    db.flush()
    count = _move_counts(db, comment, was)
    action = "comment.hold" if outcome.status == PENDING else "comment.reject"
    moderation.record(
        db, site_id, None, action, "comment", comment.id, outcome.reason or "",
        {"from": was, "to": comment.status, "step": outcome.step, "edited": True},
    )  # fmt: skip
    _announce(db, settings, comment, was, count)
    tell_desk_new(db, site_id, comment)
    return True


class Nudges:
    """Which texts an author was asked to rephrase, for a quarter of an hour
    (the shared cache: Redis across processes). The same text sent again is
    posted as confirmed, so the author is asked once whatever the client."""

    TTL = 900

    def __init__(self, cache: Cache) -> None:
        self.cache = cache

    @staticmethod
    def _key(user_id: int, body: str) -> str:
        digest = hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return f"nudged:{user_id}:{digest}"

    def asked(self, user_id: int, body: str) -> bool:
        try:
            return self.cache.get(self._key(user_id, body)) is not None
        except Exception:  # a failing cache degrades: the author is asked again
            log.exception("cache: could not read a nudge")
            return False

    def remember(self, user_id: int, body: str) -> None:
        try:
            self.cache.set(self._key(user_id, body), b"1", self.TTL)
        except Exception:
            log.exception("cache: could not remember a nudge")


def site_rules(site: Site) -> Rules:
    return Rules.of(
        list(site.banned_words or ()), list(site.suspect_words or ()),
        site.nudge_threshold, site.hold_threshold, site.new_reader_holds,
    )  # fmt: skip


def first_status(
    db: Session, user: User, story: Story | stories.PostingTarget, outcome: Outcome
) -> Outcome:
    """Where a new comment starts: refused for the author's bans and the
    story's slow mode; held by a premoderated story unless the pipeline
    decided before that step."""
    moderation.ensure_not_banned(db, user, story.site_id)
    if story.slow_mode_seconds:
        last = repository.last_post_at(db, user.id, story.id)
        if last is not None:
            wait = last + timedelta(seconds=story.slow_mode_seconds) - utcnow()
            if wait.total_seconds() > 0:
                raise SlowMode(story.slow_mode_seconds, max(1, int(wait.total_seconds()) + 1))
    if story.premoderated and outcome.step in (None, "site_mode", "new_reader"):
        why = "Comments on this story are reviewed first."
        return Outcome(PENDING, "story_mode", why, outcome.score)
    return outcome


def tell_desk_new(db: Session, site_id: int, comment: Comment) -> None:
    """A new comment the pipeline held or rejected reaches the site's desks."""
    data = {"id": comment.id, "status": comment.status, "step": comment.moderation_step}
    moderation.tell_desk(db, site_id, "queue.held", data)


def tell_desk_removed(db: Session, site_id: int, comment_id: int) -> None:
    """A comment in a queue (held or reported) deleted by its author leaves
    the site's desks."""
    moderation.tell_desk(db, site_id, "queue.removed", {"id": comment_id})


def _comment(db: Session, comment_id: int, gone_as: Seen | None = None) -> Comment:
    comment = repository.get(db, comment_id, lock=True)
    if comment is not None and comment.status == DELETED and gone_as is not None:
        raise AlreadyDecided(DELETED, "its author")  # deleted while the card was shown
    if comment is None or comment.status == DELETED:
        raise NotFound("No such comment.")
    return comment


def site_of(db: Session, comment_id: int) -> int:
    """The site of a comment that is not deleted (404 otherwise)."""
    comment = repository.get(db, comment_id)
    if comment is None or comment.status == DELETED:
        raise NotFound("No such comment.")
    return stories.site_id_of(db, comment.story_id)


#: What a moderator saw of a comment when choosing: its status and when it
#: was last decided (``views.iso``, "" for never). A decision made on a
#: stale view answers 409 ``already_decided`` instead of deciding twice.
Seen = tuple[str, str]


def seen_of(comment: Comment) -> Seen:
    return comment.status, views.iso(comment.decided_at) or ""


def decide(
    db: Session,
    settings: Settings,
    actor: User,
    comment_id: int,
    action: str,
    reason: str,
    seen: Seen | None = None,
) -> Comment:
    """approve (publish; dismiss its reports), reject (with a reason the
    author sees), feature or unfeature (published comments only). With
    ``seen``, only if nobody decided the comment since (the row is locked,
    so two moderators deciding at once cannot both pass)."""
    comment = _comment(db, comment_id, gone_as=seen)
    site_id = stories.site_id_of(db, comment.story_id)
    moderation.require_moderator(db, actor, site_id)
    if seen is not None and seen_of(comment) != seen:
        by = repository.authors(db, [comment.decided_by_id] if comment.decided_by_id else [])
        name = by[comment.decided_by_id].display_name if comment.decided_by_id in by else None
        raise AlreadyDecided(comment.status, name)
    was = comment.status
    if action in ("feature", "unfeature") and was != PUBLISHED:
        raise NotDecidable(action, was)
    if action == "approve":
        comment.status = PUBLISHED
        comment.report_count = 0
    elif action == "reject":
        comment.status = REJECTED
        comment.is_featured = False
    else:
        comment.is_featured = action == "feature"
    if action in ("approve", "reject"):
        comment.moderation_step = "moderator"
        comment.moderation_reason = reason or None
    comment.decided_by_id = actor.id
    comment.decided_at = utcnow()
    db.flush()
    count = _move_counts(db, comment, was)
    moderation.record(
        db, site_id, actor.id, f"comment.{action}", "comment", comment.id, reason,
        {"from": was, "to": comment.status},
    )  # fmt: skip
    _announce(db, settings, comment, was, count)
    _tell_author(db, comment, action, was, reason)
    moderation.tell_desk(
        db, site_id, "queue.decided",
        {"id": comment.id, "action": action, "status": comment.status, "by": actor.id},
    )  # fmt: skip
    return comment


#: A decision as the ``comment.moderated`` event names it (notifications,
#: ``rostra.social.tasks``): the author hears of a pick and of a removal,
#: with the reason; an approval tells the comment's readers as a new one would.
_TOLD = {"approve": "approved", "reject": "removed", "feature": "featured"}


def _tell_author(db: Session, comment: Comment, action: str, was: str, reason: str) -> None:
    if action not in _TOLD or (action == "approve" and was == PUBLISHED):
        return  # unfeaturing, or dismissing the reports of a published comment
    payload = {"comment_id": comment.id, "action": _TOLD[action], "reason": reason or None}
    outbox.emit(db, "comment.moderated", payload)


def _move_counts(db: Session, comment: Comment, was: str) -> int | None:
    """Published counts follow a comment into and out of publication."""
    delta = (comment.status == PUBLISHED) - (was == PUBLISHED)
    if delta and comment.parent_id is not None:
        repository.change_reply_count(db, comment.parent_id, delta)
    if delta:
        return stories.change_comment_count(db, comment.story_id, delta)
    stories.story_changed(db, comment.story_id)
    return None


def _announce(
    db: Session, settings: Settings, comment: Comment, was: str, count: int | None
) -> None:
    author = repository.authors(db, [comment.author_id] if comment.author_id else []).get(
        comment.author_id or 0
    )
    now = utcnow()
    url = stories.url_of(db, comment.story_id)
    site_id = stories.site_id_of(db, comment.story_id)
    staff = author is not None and bool(moderation.staff_among(db, site_id, [author.id]))
    public = views.public(comment, author, now, staff)
    if comment.status == PUBLISHED and was != PUBLISHED:
        data: dict[str, Any] = {"comment": public, "comment_count": count}
        stories.announce(db, comment.story_id, "comment.created", data, url=url)
    elif comment.status == PUBLISHED:
        stories.announce(db, comment.story_id, "comment.updated", {"comment": public}, url=url)
    elif was == PUBLISHED:
        data = {"id": comment.id, "placeholder": False, "comment_count": count}
        stories.announce(db, comment.story_id, "comment.deleted", data, url=url)
    if author is not None and comment.status != PUBLISHED:
        site = sites.by_id(db, site_id)
        window = settings.edit_window_seconds
        if site is not None and site.edit_window_seconds is not None:
            window = site.edit_window_seconds  # the site's, as the author's other views
        own = views.own(comment, author, now, window, staff)
        moderation_user_event(db, author.id, url, own)


def moderation_user_event(db: Session, author_id: int, url: str, own: views.JSON) -> None:
    live.publish(
        db, live.user_channel(author_id), "comment.updated", {"story_url": url, "comment": own}
    )


def report(
    db: Session, settings: Settings, user: User, comment_id: int, reason: str, note: str
) -> int:
    """A reader's report (once per reader); returns the comment's open
    report count. Reports from the site's threshold of distinct readers
    hold a published comment for review; "other" needs a note."""
    if reason == "other" and not note:
        raise NoteRequired()
    comment = _comment(db, comment_id)
    if not repository.is_visible(comment, user.id) or comment.status != PUBLISHED:
        raise NotFound("No such comment.")
    if comment.author_id == user.id:
        raise OwnComment("You cannot report your own comment.")
    if repository.has_reported(db, comment.id, user.id) or not repository.add_report(
        db, comment.id, user.id, reason, note
    ):
        raise AlreadyReported()
    count = repository.report_count(db, comment.id)
    db.refresh(comment)
    site_id = stories.site_id_of(db, comment.story_id)
    site = sites.by_id(db, site_id)
    threshold = site.report_threshold if site is not None else 3
    moderation.tell_desk(db, site_id, "queue.reported", {"id": comment.id, "reports": count})
    if count >= threshold and comment.status == PUBLISHED:
        why = f"Reported by {count} readers."
        comment.status = PENDING
        comment.is_featured = False
        comment.moderation_step = "reports"
        comment.moderation_reason = why
        comment.decided_by_id = None
        comment.decided_at = utcnow()
        db.flush()
        n = _move_counts(db, comment, PUBLISHED)
        moderation.record(db, site_id, None, "comment.hold", "comment", comment.id, why)
        _announce(db, settings, comment, PUBLISHED, n)
        moderation.tell_desk(db, site_id, "queue.held", {"id": comment.id, "step": "reports"})
    return count


def queue(
    db: Session,
    user: User,
    name: str,
    site_id: int | None,
    story_id: int | None,
    limit: int,
    offset: int,
) -> list[views.JSON]:
    """One page of a queue as cards: the comment, its story, its parent,
    its author's history and its reports."""
    if site_id is not None:
        moderation.require_moderator(db, user, site_id)
        site_ids: list[int] | None = [site_id]
    else:
        site_ids = moderation.moderated_sites(db, user)
        if site_ids is not None and not site_ids:
            moderation.require_moderator(db, user, 0)  # raises not_moderator
    rows = repository.queue(db, name, site_ids, story_id, limit, offset)
    comments = [c for c, _ in rows]
    parents = {
        p.id: p for p in repository.by_ids(db, [c.parent_id for c in comments if c.parent_id])
    }
    author_ids = {c.author_id for c in [*comments, *parents.values()] if c.author_id is not None}
    authors = repository.authors(db, author_ids)
    past = repository.history(db, {c.author_id for c in comments if c.author_id is not None})
    reasons = repository.report_reasons(db, [c.id for c in comments])
    notes = repository.report_notes(db, [c.id for c in comments])
    show = views.Presenter(None, authors, set(), utcnow(), 0)
    cards = []
    for comment, story in rows:
        parent = parents.get(comment.parent_id or 0)
        author = authors.get(comment.author_id or 0)
        cards.append(
            {
                "comment": show.comment(comment) | {"body": comment.body},
                "story": {
                    "id": story.id, "site_id": story.site_id, "url": story.url,
                    "title": story.title, "mode": story_mode(story),
                },
                "parent": show.comment(parent) if parent is not None else None,
                "author": None if author is None else {
                    **views.author(author),
                    "joined_at": views.iso(author.created_at),
                    **past.get(author.id, {}),
                },
                "reports": reasons.get(comment.id, {}),
                "report_notes": notes.get(comment.id, []),
                "decided_at": views.iso(comment.decided_at),
                "moderation_step": comment.moderation_step,
                "moderation_reason": comment.moderation_reason,
                "toxicity": comment.toxicity,
            }
        )  # fmt: skip
    return cards


def story_mode(story: Story) -> str:
    if story.is_closed:
        return "closed"
    return "premoderated" if story.premoderated else "open"
