"""The hub's changed facts reach the 'tell me when I qualify' watches: the receiver only
queues the re-check, by name, on commit (a receiver must not raise or do the work).
Loaded at start by qinqing's app (autodiscovered "receivers")."""

from typing import Any

from datahub.signals import facts_changed
from qinqing.queueing import queue_on_commit

from .models import QualifyWatch

CHECK_TASK = "policies.tasks.check_qualify_watches"


def queue_watch_checks(sender: Any = None, *, enterprise_ids=(), facts=(), cause: str = "",
                       **kwargs: Any) -> None:  # fmt: skip
    """Only enterprises with an open watch are re-checked; others cost one query here."""
    ids = sorted({int(pk) for pk in enterprise_ids or ()})
    if not ids:
        return
    open_watches = QualifyWatch.objects.filter(enterprise_id__in=ids, notified_at__isnull=True)
    watched = sorted(set(open_watches.values_list("enterprise_id", flat=True)))
    if watched:
        queue_on_commit(CHECK_TASK, watched, sorted({str(name) for name in facts or ()}))


facts_changed.connect(queue_watch_checks, dispatch_uid="policies.qualify_watches")
