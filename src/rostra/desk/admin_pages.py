"""The desk's administration pages: Stories (per-story controls), Settings
(a site's moderation settings) and Roles. They plug into the desk's base
(``rostra.desk.pages``) and call the same services as the Moderation API,
so every rule, check and audit entry is the API's."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from starlette.responses import Response

from rostra.comments.moderate import story_mode
from rostra.db.base import utcnow
from rostra.desk import service
from rostra.desk.pages import CheckedDesk, Desk, DeskDep, FormText, wants_json
from rostra.desk.schemas import SiteSettingsIn, StoryModerationIn
from rostra.errors import Invalid, NotFound, validation_error
from rostra.http.deps import ReadSession, SettingsDep, WriteSession
from rostra.models import Site, Story
from rostra.moderation import service as moderation
from rostra.moderation.settings import SURGE_ACTIONS
from rostra.stories import service as stories

router = APIRouter(prefix="/desk", include_in_schema=False)
SiteName = Annotated[str | None, Query(max_length=64)]
STORIES_PAGE = 30
ROLES = ("admin", "moderator", "staff")
M = TypeVar("M", bound=BaseModel)


def chosen_site(desk: Desk, name: str | None) -> Site:
    """The site a page is about: the one named, or the first the moderator
    works (404 when they work none)."""
    found = desk.site(name)
    if found is not None:
        return found
    if not desk.sites:
        raise NotFound("There is no site to work on yet.", field="site")
    return desk.sites[0]


def validated(model: type[M], data: dict[str, Any]) -> M:
    """A form's values checked by the API's own schema: a bad one is the
    same 422 naming the field, as a desk page."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from None


def number(value: str, field: str, kind: type[int] | type[float] = int) -> Any:
    """A form's number, or None for an empty box; 422 naming the field."""
    text = value.strip()
    if not text:
        return None
    try:
        return kind(text)
    except ValueError:
        raise Invalid(f"'{field}' must be a number.", field=field) from None


def lines(value: str) -> list[str]:
    return [line.strip() for line in value.replace("\r\n", "\n").split("\n") if line.strip()]


# --- stories -----------------------------------------------------------------


@router.get("/stories")
def stories_page(
    desk: DeskDep,
    db: ReadSession,
    site: SiteName = None,
    q: Annotated[str, Query(max_length=200)] = "",
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> Response:
    chosen = chosen_site(desk, site)
    rows = service.stories_of(db, desk.user, chosen, q, offset, STORIES_PAGE + 1)
    now = utcnow()
    items = [
        {
            "story": s,
            "mode": story_mode(s),
            "auto_close": stories.auto_close_days(s, chosen),
            "past": stories.is_past_auto_close(s, chosen, now),
        }
        for s in rows[:STORIES_PAGE]
    ]
    return desk.render(
        "desk/admin/stories.html", active="stories", site=chosen, items=items, q=q,
        offset=offset, more=len(rows) > STORIES_PAGE, page=STORIES_PAGE,
        surging=service.surging(db, desk.user, [chosen.id]),
    )  # fmt: skip


def _story_changes(story: Story, form: dict[str, str]) -> dict[str, Any]:
    """Only what the form changes (an unchanged title is not sent, so that
    saving a story's slow mode does not give its title back to the page)."""
    changes: dict[str, Any] = {}
    mode = form["mode"].strip()
    if mode and mode != story_mode(story):
        changes["mode"] = mode
    slow = number(form["slow_mode_seconds"], "slow_mode_seconds")
    if slow is not None and slow != story.slow_mode_seconds:
        changes["slow_mode_seconds"] = slow
    title = form["title"].strip()
    if title != story.title:
        changes["title"] = title
    canonical = form["canonical_url"].strip()
    if canonical != (story.canonical_url or ""):
        changes["canonical_url"] = canonical
    days = number(form["auto_close_days"], "auto_close_days")
    if days != story.auto_close_days:
        changes["auto_close_days"] = days
    return changes


@router.post("/stories/{story_id}")
def story_submit(
    story_id: int,
    desk: CheckedDesk,
    db: WriteSession,
    mode: FormText = "",
    slow_mode_seconds: FormText = "",
    title: FormText = "",
    canonical_url: FormText = "",
    auto_close_days: FormText = "",
    back: FormText = "/desk/stories",
) -> Response:
    story = stories.get(db, story_id)
    moderation.require_moderator(db, desk.user, story.site_id)
    form = {
        "mode": mode, "slow_mode_seconds": slow_mode_seconds, "title": title,
        "canonical_url": canonical_url, "auto_close_days": auto_close_days,
    }  # fmt: skip
    changes = _story_changes(story, form)
    if changes:
        service.moderate_story(db, desk.user, story_id, validated(StoryModerationIn, changes))
    return desk.done(back)


# --- settings ----------------------------------------------------------------


@router.get("/settings")
def settings_page(
    desk: DeskDep, db: ReadSession, settings: SettingsDep, site: SiteName = None
) -> Response:
    chosen = chosen_site(desk, site)
    found = service.settings_of(db, settings, desk.user, chosen.name)
    return desk.render(
        "desk/admin/settings.html", active="settings", site=chosen, values=found,
        actions=SURGE_ACTIONS,
    )  # fmt: skip


@router.post("/settings")
def settings_submit(
    desk: CheckedDesk,
    db: WriteSession,
    settings: SettingsDep,
    site: FormText = "",
    banned_words: FormText = "",
    suspect_words: FormText = "",
    nudge_threshold: FormText = "",
    hold_threshold: FormText = "",
    edit_window_seconds: FormText = "",
    new_reader_holds: FormText = "",
    report_threshold: FormText = "",
    rejection_reasons: FormText = "",
    surge_threshold: FormText = "",
    surge_action: FormText = "",
    surge_slow_mode_seconds: FormText = "",
    auto_close_days: FormText = "",
) -> Response:
    chosen = chosen_site(desk, site)
    form = {
        "banned_words": banned_words, "suspect_words": suspect_words,
        "nudge_threshold": nudge_threshold, "hold_threshold": hold_threshold,
        "edit_window_seconds": edit_window_seconds, "new_reader_holds": new_reader_holds,
        "report_threshold": report_threshold, "rejection_reasons": rejection_reasons,
        "surge_threshold": surge_threshold, "surge_action": surge_action,
        "surge_slow_mode_seconds": surge_slow_mode_seconds, "auto_close_days": auto_close_days,
    }  # fmt: skip
    try:
        # The service checks every value before it sets any (see
        # moderation.settings.change): a refusal leaves nothing to commit.
        service.change_settings(db, settings, desk.user, chosen.name, _settings_in(form))
    except (Invalid, RequestValidationError) as exc:
        if wants_json(desk.request):
            raise
        # The form again, as typed, with what is wrong said above it.
        found = exc if isinstance(exc, Invalid) else validation_error(exc)
        values = service.settings_of(db, settings, desk.user, chosen.name)
        values.update({k: v for k, v in form.items() if k not in _LISTS})
        values.update({k: lines(form[k]) for k in _LISTS})
        values["edit_window_seconds"] = edit_window_seconds.strip() or None
        return desk.render(
            "desk/admin/settings.html", active="settings", status_code=422, site=chosen,
            values=values, actions=SURGE_ACTIONS, error=found.detail, invalid=found.field,
        )  # fmt: skip
    return desk.done(f"/desk/settings?site={chosen.name}", saved=True)


_LISTS = ("banned_words", "suspect_words", "rejection_reasons")


def _settings_in(form: dict[str, str]) -> SiteSettingsIn:
    """The settings form read into the API's own model (422 naming the field)."""
    data: dict[str, Any] = {
        "banned_words": lines(form["banned_words"]),
        "suspect_words": lines(form["suspect_words"]),
        "rejection_reasons": lines(form["rejection_reasons"]),
        "edit_window_seconds": number(form["edit_window_seconds"], "edit_window_seconds"),
    }
    numbers: tuple[tuple[str, type[int] | type[float]], ...] = (
        ("nudge_threshold", float), ("hold_threshold", float), ("new_reader_holds", int),
        ("report_threshold", int), ("surge_threshold", int), ("surge_slow_mode_seconds", int),
        ("auto_close_days", int),
    )  # fmt: skip
    for name, kind in numbers:
        found = number(form[name], name, kind)
        if found is None:
            raise Invalid(f"'{name}' is required.", field=name)
        data[name] = found
    if form["surge_action"].strip():
        data["surge_action"] = form["surge_action"].strip()
    return validated(SiteSettingsIn, data)


# --- roles -------------------------------------------------------------------


@router.get("/roles")
def roles_page(desk: DeskDep, db: ReadSession, site: SiteName = None) -> Response:
    chosen = chosen_site(desk, site)
    people = service.people_of(db, desk.user, chosen)
    return desk.render(
        "desk/admin/roles.html", active="roles", site=chosen, people=people, roles=ROLES,
        me=desk.user.id,
    )  # fmt: skip


def _role(value: str) -> str | None:
    role = value.strip()
    if role in ("", "none"):
        return None
    if role not in ROLES:
        raise Invalid("Choose admin, moderator, staff or none.", field="role")
    return role


@router.post("/roles")
def roles_submit(
    desk: CheckedDesk,
    db: WriteSession,
    site: FormText = "",
    who: FormText = "",
    role: FormText = "",
) -> Response:
    chosen = chosen_site(desk, site)
    service.give_role(db, desk.user, chosen, who[:320], _role(role))
    return desk.done(f"/desk/roles?site={chosen.name}")
