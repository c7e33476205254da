"""The reader-facing strings of the embed, from one catalogue (static/embed/i18n.json).

The iframe page gets the strings of its language in its config block; the
loader gets only the comment-count forms of every language, inlined when
/embed.js is served.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

CATALOGUE = Path(__file__).resolve().parent.parent / "static" / "embed" / "i18n.json"
DEFAULT = "en"


@lru_cache(maxsize=1)
def catalogue() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = json.loads(CATALOGUE.read_text("utf-8"))
    return data


def language(value: str | None) -> str:
    """The catalogue language for an HTML ``lang`` value such as ``uk-UA``."""
    code = (value or "").strip().lower().replace("_", "-").split("-")[0]
    return code if code in catalogue() else DEFAULT


def strings(lang: str) -> dict[str, Any]:
    """All strings of one language, English where a translation is missing."""
    cat = catalogue()
    return {**cat[DEFAULT], **cat.get(language(lang), {})}


# Strings only the sign-in forms (static/embed/auth.js, loaded when a reader
# opens them) use: kept out of the iframe page, which every reader loads,
# and fetched by auth.js itself (tests/embed/test_i18n_parts.py checks the split).
AUTH_ONLY = frozenset({
    "forgot", "email", "password", "password_hint", "display_name", "create_account",
    "send_reset", "reset_sent", "close", "sign_in_title", "register_title", "forgot_title",
    "page_only", "handle", "handle_hint",
})  # fmt: skip


# Strings only the moderation part (static/embed/mod.js, report.js: the
# editors' pick and staff marks, the picks tab, reports, removal reasons,
# the nudge) uses, fetched by mod.js after the first comments show.
MOD_ONLY = frozenset({
    "featured", "staff", "tabs_label", "tab_all", "tab_picks", "report", "report_title",
    "report_reason", "reason_abuse", "reason_spam", "reason_off_topic", "reason_misinformation",
    "reason_other", "report_note", "report_note_required", "report_send", "report_choose",
    "report_thanks", "removed_reason", "post_anyway", "nudge_hint",
})  # fmt: skip


# Strings only the social part uses (static/embed/social.js and the modules
# it loads: the author menu, the bell, the Following tab, mentions, deep
# links), fetched by social.js; the handle field of the sign-up form is in
# the sign-in forms' part.
SOCIAL_ONLY = frozenset({
    "tabs_label", "tab_all", "tab_following", "blocked_collapsed", "blocked_hide", "unread",
    "notifications", "mark_all_read", "settings", "no_notifications", "liked_many", "liked_one",
    "note_featured", "note_removed_reason", "note_removed", "note_reply", "note_mention",
    "note_followed", "mark_read", "all_read", "kind_reply", "kind_like", "kind_mention",
    "kind_followed", "kind_moderation", "notify_about", "mail_mode", "mail_digest",
    "mail_immediate", "mail_off", "private_activity", "author_menu", "view_profile", "followers",
    "comments_n", "staff_member", "sign_in_to_follow", "follow", "unfollow", "block", "unblock",
    "now_following", "not_following", "now_blocked", "now_unblocked", "private_no_follow",
    "feed_empty", "feed_in_thread", "link_gone", "mention_list",
})  # fmt: skip
#: Fetched by a part, though the page carries them too.
SOCIAL_SHARED = frozenset({"close"})

# The parts loaded on demand, each fetching its strings from
# /embed/strings/PART.LANG.json (a part may share a string with another, or
# with the page: SOCIAL_SHARED); tests/embed/test_strings.py checks the split.
PARTS: dict[str, frozenset[str]] = {
    "auth": AUTH_ONLY,
    "social": SOCIAL_ONLY | SOCIAL_SHARED,
    "mod": MOD_ONLY,
}


def page_strings(lang: str) -> dict[str, Any]:
    """What the iframe page carries: every string but the parts' own."""
    later = AUTH_ONLY | SOCIAL_ONLY | MOD_ONLY
    return {k: v for k, v in strings(lang).items() if k not in later}


def part_strings(part: str, lang: str) -> dict[str, Any]:
    keys = PARTS[part]
    return {k: v for k, v in strings(lang).items() if k in keys}


def auth_strings(lang: str) -> dict[str, Any]:
    return part_strings("auth", lang)


def social_strings(lang: str) -> dict[str, Any]:
    return part_strings("social", lang)


def count_forms() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for lang, table in catalogue().items():
        out[lang] = {**table["count"], "frame_title": table["frame_title"]}
    return out


def plural(forms: dict[str, str], n: int, lang: str) -> str:
    """CLDR plural category for the catalogue's languages (English, Ukrainian)."""
    category = "one" if n == 1 else "other"
    if language(lang) == "uk":
        if n % 10 == 1 and n % 100 != 11:
            category = "one"
        elif n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
            category = "few"
        else:
            category = "many"
    return forms.get(category, forms["other"]).replace("{n}", str(n))
