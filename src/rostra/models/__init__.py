"""ORM models, one class per module; importing this package registers them all."""

from rostra.models.audit_entry import AuditEntry
from rostra.models.auth_session import AuthSession
from rostra.models.ban import Ban
from rostra.models.block import Block
from rostra.models.comment import Comment, CommentStatus
from rostra.models.email_token import EmailToken
from rostra.models.follow import Follow
from rostra.models.idempotency import IdempotencyKey
from rostra.models.live_channel import LiveChannel
from rostra.models.live_event import LiveEvent
from rostra.models.notification import Notification
from rostra.models.outbox import OutboxEvent
from rostra.models.reaction import Reaction
from rostra.models.report import REPORT_REASONS, Report
from rostra.models.site import Site
from rostra.models.site_role import Role, SiteRole
from rostra.models.sso_token import UsedSsoToken
from rostra.models.story import Story
from rostra.models.user import User

__all__ = [
    "REPORT_REASONS",
    "AuditEntry",
    "AuthSession",
    "Ban",
    "Block",
    "Comment",
    "CommentStatus",
    "EmailToken",
    "Follow",
    "IdempotencyKey",
    "LiveChannel",
    "LiveEvent",
    "Notification",
    "OutboxEvent",
    "Reaction",
    "Report",
    "Role",
    "Site",
    "SiteRole",
    "Story",
    "UsedSsoToken",
    "User",
]
