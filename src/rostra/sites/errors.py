"""The error codes of sites."""

from __future__ import annotations

from rostra.errors import Conflict, Invalid


class UrlNotAllowed(Invalid):
    code = "url_not_allowed"
    message = "The article URL belongs to no site configured on this server."
    default_field = "url"


class SiteExists(Conflict):
    code = "site_exists"


class OriginTaken(Conflict):
    code = "origin_taken"


class SiteNotEmpty(Conflict):
    code = "site_not_empty"
