"""Background work of accounts: the password-reset job, and the sign-in
rows that housekeeping deletes once they have served their purpose."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from rostra.accounts import repository, service
from rostra.jobs.registry import JobContext, handles, job_session, sweeps
from rostra.models import OutboxEvent


@handles(service.PASSWORD_RESET_TOPIC, writes=True)
def password_reset(event: OutboxEvent, ctx: JobContext) -> None:
    service.prepare_password_reset(job_session(event), ctx.settings, event.payload["email"])


@sweeps("auth_sessions", keep=timedelta(days=30))
def _ended_sessions(db: Session, before: datetime) -> int:
    return repository.delete_ended_sessions(db, before)


@sweeps("email_tokens", keep=timedelta(days=7))
def _expired_email_tokens(db: Session, before: datetime) -> int:
    return repository.delete_expired_email_tokens(db, before)
