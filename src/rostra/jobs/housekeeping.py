"""Housekeeping: delete rows that have served their purpose, so tables stay small.

One pass (``sweep``) deletes, in the caller's transaction:

- idempotency keys older than 24 hours (a retry comes within minutes);
- used SSO token ids once their token has expired (past the exchange's leeway);
- sign-ins that expired or were revoked more than 30 days ago;
- mail tokens that expired more than 7 days ago;
- outbox rows finished without error more than 7 days ago.

The pass is itself an outbox row of topic ``housekeeping``. The claim that
hands every job to exactly one runner therefore also makes exactly one runner,
of however many, clean up per interval; no new table or lock service is needed.
Its handler (``rostra.jobs.tasks``) sweeps, then schedules the next pass
``housekeeping_interval_seconds`` later, in the same transaction. Each runner
also calls ``ensure_scheduled`` at start and then once per interval, which
starts the chain on a new database and restarts it if a pass failed for good.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from rostra.accounts import repository as accounts
from rostra.comments import repository as comments
from rostra.db.base import utcnow
from rostra.jobs import outbox

log = logging.getLogger(__name__)

TOPIC = "housekeeping"
IDEMPOTENCY_KEYS_KEPT = timedelta(hours=24)
# The SSO exchange accepts a token up to rostra.sso.service.LEEWAY (30 s)
# after its exp, so the record that refuses a replay must outlive that.
USED_SSO_TOKENS_KEPT = timedelta(minutes=5)
ENDED_SESSIONS_KEPT = timedelta(days=30)
EXPIRED_EMAIL_TOKENS_KEPT = timedelta(days=7)
FINISHED_JOBS_KEPT = timedelta(days=7)


@dataclass(frozen=True)
class Swept:
    """How many rows of each kind one pass deleted."""

    idempotency_keys: int
    used_sso_tokens: int
    auth_sessions: int
    email_tokens: int
    outbox: int


def sweep(db: Session, now: datetime | None = None) -> Swept:
    """Delete the old rows of every kind; the caller commits them as one transaction."""
    now = now or utcnow()
    swept = Swept(
        idempotency_keys=comments.delete_idempotency_keys(db, now - IDEMPOTENCY_KEYS_KEPT),
        used_sso_tokens=accounts.delete_used_sso_tokens(db, now - USED_SSO_TOKENS_KEPT),
        auth_sessions=accounts.delete_ended_sessions(db, now - ENDED_SESSIONS_KEPT),
        email_tokens=accounts.delete_expired_email_tokens(db, now - EXPIRED_EMAIL_TOKENS_KEPT),
        outbox=outbox.delete_finished(db, now - FINISHED_JOBS_KEPT),
    )
    if any(asdict(swept).values()):
        log.info(
            "housekeeping deleted %s",
            ", ".join(f"{n} {kind}" for kind, n in asdict(swept).items() if n),
        )
    return swept


def schedule(db: Session, at: datetime, *, besides: int | None = None) -> bool:
    """Add a pass to run at ``at`` unless one is already waiting (other than
    ``besides``, the pass now running). Returns whether it added one.

    The check and the insert hold the topic's lock (``outbox.lock_topic``), so
    runners starting together add one row between them, not one each. On
    SQLite ``db`` must be a writing session.
    """
    outbox.lock_topic(db, TOPIC)
    if outbox.has_pending(db, TOPIC, besides=besides):
        return False
    outbox.enqueue(db, TOPIC, {}, available_at=at)
    db.flush()
    return True


def ensure_scheduled(db: Session, interval_seconds: int, now: datetime | None = None) -> bool:
    """Start the chain of passes if no pass is waiting; the first runs one
    interval from now, so "at most once per interval" holds across restarts."""
    now = now or utcnow()
    return schedule(db, now + timedelta(seconds=interval_seconds))
