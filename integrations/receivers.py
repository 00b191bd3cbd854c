from typing import Any

from celery import current_app
from django.core.cache import cache
from django.dispatch import receiver

from qinqing.events.registry import CONSUMERS
from qinqing.events.signals import events_emitted
from qinqing.workqueues import OFFICIAL_QUEUES

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
