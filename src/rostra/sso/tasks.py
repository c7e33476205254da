"""Background work of SSO: forgetting exchanged token ids.

The exchange accepts a token up to ``rostra.sso.service.LEEWAY`` (30 s) after
its ``exp``, so the record that refuses a replay must outlive that: it is
kept 5 minutes past expiry.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from rostra.jobs.registry import sweeps
from rostra.sso import repository


@sweeps("used_sso_tokens", keep=timedelta(minutes=5))
def _used_tokens(db: Session, before: datetime) -> int:
    return repository.delete_used_tokens(db, before)
