"""The error codes of roles, bans and the audit log."""

from __future__ import annotations

from datetime import datetime

from rostra.errors import Forbidden, Invalid, NotFound


class NotModerator(Forbidden):
    code = "not_moderator"
    message = "Only the site's moderators may do this."


class NotSiteAdmin(Forbidden):
    code = "not_site_admin"
    message = "Only the site's administrators may do this."


class Banned(Forbidden):
    code = "banned"

    def __init__(self, reason: str, until: datetime | None) -> None:
        when = "for good" if until is None else f"until {until.isoformat(timespec='minutes')}"
        super().__init__(f"You may not comment here {when}: {reason}")


class SiteRequired(Invalid):
    code = "site_required"
    message = "Name the site: you moderate more than one."
    default_field = "site"


class RephraseSuggested(Invalid):
    code = "rephrase_suggested"
    # For the reader, shown by the composer; clients resend with
    # "confirmed": true to post it as it is (docs/api.md).
    message = "This comment may read as abusive. Could you rephrase it before it posts?"
    default_field = "body"


class ThresholdsOutOfOrder(Invalid):
    code = "thresholds_out_of_order"
    message = "The nudge threshold must not be above the hold threshold."
    default_field = "nudge_threshold"


class ReasonsInvalid(Invalid):
    code = "reasons_invalid"
    message = "The list of rejection reasons is not valid."
    default_field = "rejection_reasons"


class NotBanned(NotFound):
    code = "not_banned"
    message = "The reader has no ban in force on this site."
