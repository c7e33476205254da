"""The queue's actions, as plain forms (POST, CSRF, 303 back) that the
desk's script also sends with ``Accept: application/json``: decide a
comment (approve, reject with a reason, feature), ban or suspend its
author, the same over a selection (and banning a selection's authors), and
claims. Every rule is the
Moderation API's own (``rostra.comments.moderate``, ``rostra.desk.service``);
what the desk adds is the stale-card check (409 ``already_decided``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form
from sqlalchemy.orm import Session
from starlette.responses import JSONResponse, Response

from rostra.backends.cache import Cache
from rostra.comments import moderate
from rostra.comments.errors import AlreadyDecided, NotDecidable
from rostra.config import Settings
from rostra.desk import cards, claims
from rostra.desk import service as desk_service
from rostra.desk.pages import CheckedDesk, Desk, wants_json
from rostra.desk.schemas import MAX_BAN_SECONDS
from rostra.errors import Invalid, NotFound
from rostra.http.deps import SettingsDep, StateDep, WriteSession
from rostra.models import Comment
from rostra.moderation import service as moderation

router = APIRouter(prefix="/desk", include_in_schema=False)
FormText = Annotated[str, Form(max_length=500)]
Back = Annotated[str, Form(max_length=2000)]
DeskAction = Literal["approve", "reject", "feature", "unfeature"]
#: Suspensions the desk offers (seconds); a ban has none.
DURATIONS = ((3600, "1 hour"), (86400, "1 day"), (7 * 86400, "7 days"), (30 * 86400, "30 days"))


def _reason(choice: str, text: str) -> str:
    return (text.strip() or choice.strip())[:500]


def _selection(ids: list[str]) -> list[tuple[int, moderate.Seen | None]]:
    """A bulk form's ``ids`` (``ID|SEEN`` each, the first 200), checked."""
    out = []
    for value in ids[:200]:
        raw_id, _, view = value.partition("|")
        if not raw_id.isdigit() or not 0 < int(raw_id) < 2**62:
            raise Invalid("A selected card is not one of the queue's.", field="ids")
        out.append((int(raw_id), _seen(view)))
    return out


def _seen(value: str) -> moderate.Seen | None:
    """The card's view sent back ("" from a form that has none: no check)."""
    if not value:
        return None
    found = cards.parse_seen(value)
    if found is None:
        raise Invalid("The card's 'seen' value is not one the desk sent.", field="seen")
    return found


def decide_one(
    db: Session, settings: Settings, desk: Desk, cache: Cache, comment_id: int, action: str,
    reason: str, seen: moderate.Seen | None,
) -> Comment:  # fmt: skip
    """One decision from the desk. "feature" on a held comment approves it
    first (two decisions, two audit entries): an editor's pick from the queue."""
    if action == "reject" and not reason:
        raise Invalid("Give a reason to reject: pick one or write your own.", field="reason")
    if action == "feature" and seen is not None and seen[0] == moderate.PENDING:
        moderate.decide(db, settings, desk.user, comment_id, "approve", reason, seen)
        seen = None
    comment = moderate.decide(db, settings, desk.user, comment_id, action, reason, seen)
    claims.drop(cache, comment_id)
    return comment


@router.post("/comments/{comment_id}/decision")
def decision(
    comment_id: int,
    desk: CheckedDesk,
    db: WriteSession,
    settings: SettingsDep,
    state: StateDep,
    action: Annotated[DeskAction, Form()],
    reason: FormText = "",
    reason_text: FormText = "",
    seen: Annotated[str, Form(max_length=80)] = "",
    back: Back = "/desk",
) -> Response:
    comment = decide_one(
        db, settings, desk, state.backends.cache, comment_id, action,
        _reason(reason, reason_text), _seen(seen),
    )  # fmt: skip
    return desk.done(back, id=comment.id, status=comment.status, featured=comment.is_featured)


@router.post("/users/{user_id}/ban")
def ban(
    user_id: int,
    desk: CheckedDesk,
    db: WriteSession,
    settings: SettingsDep,
    state: StateDep,
    reason: Annotated[str, Form(min_length=1, max_length=500)],
    site: Annotated[str, Form(max_length=64)] = "",
    duration: Annotated[int | None, Form(ge=60, le=MAX_BAN_SECONDS)] = None,
    comment_id: Annotated[int | None, Form(ge=1, le=2**62)] = None,
    seen: Annotated[str, Form(max_length=80)] = "",
    back: Back = "/desk",
) -> Response:
    """Ban (no duration) or suspend (a duration) a reader from a site; given
    the card's comment, also reject it (unless it is rejected already)."""
    why = reason.strip()
    if not why:
        raise Invalid("Give a reason for the ban.", field="reason")
    row = desk_service.ban(db, desk.user, user_id, site or None, duration, why)
    if comment_id is not None:
        view = _seen(seen)
        target = db.get(Comment, comment_id)
        if target is None or target.author_id != user_id:
            raise NotFound("The comment is not this reader's.", field="comment_id")
        if view is None or view[0] != moderate.REJECTED:
            kind = "Suspended" if duration else "Banned"
            decide_one(
                db, settings, desk, state.backends.cache, comment_id, "reject",
                f"{kind}: {why}"[:500], view,
            )  # fmt: skip
    return desk.done(back, ban=row.id, user_id=user_id, until=row.until and row.until.isoformat())


@router.post("/bulk")
def bulk(
    desk: CheckedDesk,
    db: WriteSession,
    settings: SettingsDep,
    state: StateDep,
    action: Annotated[DeskAction, Form()],
    ids: Annotated[list[str], Form(max_length=200)],
    reason: FormText = "",
    reason_text: FormText = "",
    back: Back = "/desk",
) -> Response:
    """One decision over a selection; each ``ids`` value is ``ID|SEEN``. A
    comment decided meanwhile is skipped (and named), the others decided."""
    why = _reason(reason, reason_text)
    done: list[int] = []
    skipped: list[dict[str, Any]] = []
    for comment_id, seen in _selection(ids):
        try:
            with db.begin_nested():
                decide_one(db, settings, desk, state.backends.cache, comment_id, action, why, seen)
        except (AlreadyDecided, NotDecidable, NotFound) as exc:
            skipped.append({"id": comment_id, "error": exc.code, "detail": exc.detail})
            continue
        done.append(comment_id)
    if not wants_json(desk.request):
        sep = "&" if "?" in back else "?"
        return desk.done(f"{back}{sep}decided={len(done)}&skipped={len(skipped)}")
    return JSONResponse({"ok": True, "decided": done, "skipped": skipped})


@router.post("/bulk/ban")
def bulk_ban(
    desk: CheckedDesk,
    db: WriteSession,
    settings: SettingsDep,
    state: StateDep,
    ids: Annotated[list[str], Form(max_length=200)],
    reason: FormText = "",
    reason_text: FormText = "",
    back: Back = "/desk",
) -> Response:
    """Ban the authors of a selection from the sites of their comments, each
    author once per site, and reject the selected comments: a wave of spam
    from a few accounts, ended in one go. A card decided meanwhile is skipped
    (and named); its author is not banned for it."""
    return _ban_selection(
        desk, db, settings, state.backends.cache, ids, _reason(reason, reason_text), None, back
    )


@router.post("/bulk/suspend")
def bulk_suspend(
    desk: CheckedDesk,
    db: WriteSession,
    settings: SettingsDep,
    state: StateDep,
    ids: Annotated[list[str], Form(max_length=200)],
    duration: Annotated[int, Form(ge=60, le=MAX_BAN_SECONDS)],
    reason: FormText = "",
    reason_text: FormText = "",
    back: Back = "/desk",
) -> Response:
    """As ``/desk/bulk/ban``, for ``duration`` seconds."""
    return _ban_selection(
        desk, db, settings, state.backends.cache, ids, _reason(reason, reason_text), duration, back
    )


def _ban_selection(
    desk: Desk, db: Session, settings: Settings, cache: Cache, ids: list[str], why: str,
    duration: int | None, back: str,
) -> Response:  # fmt: skip
    if not why:
        raise Invalid("Give a reason for the ban.", field="reason")
    kind = "Suspended" if duration else "Banned"
    banned: dict[tuple[int, int], int] = {}  # (author, site) -> ban id
    done: list[int] = []
    skipped: list[dict[str, Any]] = []
    for comment_id, seen in _selection(ids):
        try:
            with db.begin_nested():
                site_id = moderate.site_of(db, comment_id)
                moderation.require_moderator(db, desk.user, site_id)
                target = db.get(Comment, comment_id)
                if target is None or target.author_id is None:
                    raise NotFound("The comment has no author to ban.", field="ids")
                if seen is None or seen[0] != moderate.REJECTED:
                    decide_one(
                        db, settings, desk, cache, comment_id, "reject", f"{kind}: {why}"[:500],
                        seen,
                    )  # fmt: skip
                pair = (target.author_id, site_id)
                if pair not in banned:
                    row = moderation.ban(db, desk.user, pair[0], site_id, duration, why)
                    banned[pair] = row.id
        except (AlreadyDecided, NotDecidable, NotFound) as exc:
            skipped.append({"id": comment_id, "error": exc.code, "detail": exc.detail})
            continue
        done.append(comment_id)
    authors = sorted({author for author, _ in banned})
    if not wants_json(desk.request):
        sep = "&" if "?" in back else "?"
        return desk.done(f"{back}{sep}decided={len(done)}&skipped={len(skipped)}")
    return JSONResponse({"ok": True, "decided": done, "banned": authors, "skipped": skipped})


@router.post("/comments/{comment_id}/claim")
def claim(comment_id: int, desk: CheckedDesk, db: WriteSession, state: StateDep) -> Response:
    found = claims.claim(db, state.backends.cache, desk.user, comment_id)
    return JSONResponse({"claim": found.data(), "mine": found.user_id == desk.user.id})


@router.post("/comments/{comment_id}/release")
def release(comment_id: int, desk: CheckedDesk, db: WriteSession, state: StateDep) -> Response:
    released = claims.release(db, state.backends.cache, desk.user, comment_id)
    return JSONResponse({"released": released})
