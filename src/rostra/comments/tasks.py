"""Background work of comments: the stored answers to ``Idempotency-Key``
retries, deleted by housekeeping after a day (a retry comes within minutes).

Comment events (``comment.created``…) are written to the outbox only for
topics some part registers a handler for (``rostra.jobs.outbox.emit``):
``comment.created`` and ``comment.liked`` by the social domain, for
notifications.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from rostra.comments import repository
from rostra.jobs.registry import sweeps


@sweeps("idempotency_keys", keep=timedelta(hours=24))
def _idempotency_keys(db: Session, before: datetime) -> int:
    return repository.delete_idempotency_keys(db, before)
