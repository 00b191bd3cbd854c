from typing import Any

from celery import current_app
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from qinqing.events.registry import CONSUMERS, forget_wanted_types
from qinqing.events.signals import events_emitted
from qinqing.workqueues import OFFICIAL_QUEUES

from .models import WebhookSubscription
from .selectors import partner_failures_queue, wanted_event_types

# Commits that write events within this many seconds share one dispatch task: a busy
# minute of single claims paid costs a task a second, not one per claim.
DEBOUNCE_SECONDS = 1
DEBOUNCE_KEY = "integrations:dispatch-queued"

# The workspace may not import integrations: it reads the partners' failed deliveries from
# the officials' work-queue registry.
OFFICIAL_QUEUES.register("webhooks", partner_failures_queue)
# The outbox writes the events no active subscription wants already handled.
CONSUMERS.register("webhooks", wanted_event_types)


@receiver(post_save, sender=WebhookSubscription, dispatch_uid="integrations.wanted_changed")
@receiver(post_delete, sender=WebhookSubscription, dispatch_uid="integrations.wanted_gone")
def subscriptions_changed(**_kwargs: Any) -> None:
    """The outbox asks again which event types are wanted (each process keeps the answer
    a second, qinqing.events.registry): at once, and once this change commits, so that
    an event written meanwhile in this process cannot keep the old answer."""
    forget_wanted_types()
    transaction.on_commit(forget_wanted_types)


@receiver(events_emitted, dispatch_uid="integrations.dispatch_soon")
def dispatch_soon(**_kwargs: Any) -> None:
    """Events were committed: hand them out within a second rather than at the next sweep.
    The first commit in a window queues the dispatch to run when the window closes, so it
    reads every event committed meanwhile. In-process (embedded) it runs at once."""
    # By name: the tasks module imports the services, which this app loads at start.
    dispatch_events = current_app.tasks["integrations.tasks.dispatch_events"]
    if dispatch_events.app.conf.task_always_eager:
        dispatch_events.delay()
        return
    try:
        first = cache.add(DEBOUNCE_KEY, 1, timeout=DEBOUNCE_SECONDS)
    except Exception:  # no cache: no debounce (the dispatcher is idempotent)
        first = True
    if first:
        dispatch_events.apply_async(countdown=DEBOUNCE_SECONDS)
