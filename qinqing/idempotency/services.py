"""Idempotency keys: claim a key before handling a request, store the answer after, purge
old keys. The HTTP side (header, hashing, replay) is qinqing/api/idempotency.py."""

import enum
import logging
from contextlib import nullcontext as _none
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from .models import IdempotencyKey

logger = logging.getLogger(__name__)


class Outcome(enum.Enum):
    NEW = "new"  # this request holds the key: handle it
    REPLAY = "replay"  # answered before with the same body: replay the answer
    MISMATCH = "mismatch"  # the key was used with another body
    IN_PROGRESS = "in_progress"  # a request with this key is being handled now


def ttl() -> timedelta:
    """How long a key is remembered (24 hours unless IDEMPOTENCY_KEY_TTL_HOURS says)."""
    return timedelta(hours=getattr(settings, "IDEMPOTENCY_KEY_TTL_HOURS", 24))


def lock_timeout() -> timedelta:
    """After this long a key still in progress is taken to be abandoned (its process died)
    and the next request with it is handled; far longer than any request may run."""
    return timedelta(seconds=getattr(settings, "IDEMPOTENCY_LOCK_SECONDS", 120))


def begin(
    *, user: Any, endpoint: str, key: str, request_hash: str, now: datetime | None = None
) -> tuple[Outcome, IdempotencyKey | None]:
    """Insert the key as "in progress" (committed at once outside a transaction), so that
    under any concurrency one request only goes on to be handled; or say why not."""
    now = now or timezone.now()
    row = None
    for _attempt in range(3):
        try:
            # One INSERT, committed by itself (autocommit): no BEGIN and COMMIT around it.
            # Inside a caller's transaction, a savepoint keeps a duplicate from breaking it.
            with transaction.atomic() if transaction.get_connection().in_atomic_block else _none():
                row = IdempotencyKey.objects.create(
                    user=user, endpoint=endpoint, key=key, request_hash=request_hash,
                    created_at=now, locked_at=now,
                )  # fmt: skip
            return Outcome.NEW, row
        except IntegrityError:
            pass
        row = IdempotencyKey.objects.filter(user=user, endpoint=endpoint, key=key).first()
        if row is None:
            continue  # released by a request that failed: try again
        if row.created_at <= now - ttl():
            # Expired and not purged yet: forget it, as the purge would have.
            IdempotencyKey.objects.filter(pk=row.pk, created_at=row.created_at).delete()
            continue
        if row.request_hash != request_hash:
            return Outcome.MISMATCH, row
        if row.status_code is not None:
            return Outcome.REPLAY, row
        if row.locked_at is not None and row.locked_at > now - lock_timeout():
            return Outcome.IN_PROGRESS, row
        # Abandoned: one request takes it over (compare-and-set on the lock time).
        taken = IdempotencyKey.objects.filter(
            pk=row.pk, status_code__isnull=True, locked_at=row.locked_at
        ).update(locked_at=now)
        if taken:
            row.locked_at = now
            return Outcome.NEW, row
        return Outcome.IN_PROGRESS, row
    return Outcome.IN_PROGRESS, row


def finish(row: IdempotencyKey, *, status_code: int, response: Any) -> None:
    """Keep the answer to replay to a repeat of the request."""
    IdempotencyKey.objects.filter(pk=row.pk).update(
        status_code=status_code, response=response, locked_at=None
    )


def release(row: IdempotencyKey) -> None:
    """The request failed: forget the key, so that it may be used again. If the database
    is away too, the key stays "in progress" until the lock timeout: never raise here, the
    request's own error is the one to report."""
    try:
        IdempotencyKey.objects.filter(pk=row.pk, status_code__isnull=True).delete()
    except DatabaseError:
        logger.warning("Idempotency-Key %s not released: database error", row.pk, exc_info=True)


def purge_expired(now: datetime | None = None) -> int:
    """Delete the keys older than the time to live; returns how many."""
    cutoff = (now or timezone.now()) - ttl()
    deleted, _per_model = IdempotencyKey.objects.filter(created_at__lte=cutoff).delete()
    return deleted
