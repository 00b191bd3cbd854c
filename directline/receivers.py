"""Policies tells the direct line of a published version through its signal (policies never
imports the direct line), and the hub of changed facts (and the register of a new
enterprise): the push runs as a task, and reaches the enterprises a version newly fits
once."""

import logging

from django.dispatch import receiver

from datahub.signals import facts_changed
from enterprises.signals import enterprise_registered
from policies.signals import version_published

from .tasks import push_policy_version, push_to_changed

logger = logging.getLogger(__name__)


@receiver(version_published, dispatch_uid="directline.push_on_publish")
def push_on_publish(sender, version, **kwargs) -> None:
    """The signal is sent on commit of the publication."""
    push_policy_version.delay(version.pk)


@receiver(facts_changed, dispatch_uid="directline.push_on_change")
def push_on_change(sender, enterprise_ids=(), facts=(), cause="", **kwargs) -> None:
    """Sent once the change is committed; never raises (the hub's change stands)."""
    try:
        if enterprise_ids:
            push_to_changed.delay(sorted(enterprise_ids), list(facts or ()), cause)
    except Exception:
        logger.exception("policy push for %s changed enterprises not queued", len(enterprise_ids))


@receiver(enterprise_registered, dispatch_uid="directline.push_on_registered")
def push_on_registered(sender, enterprise_id: int, **kwargs) -> None:
    push_on_change(sender, enterprise_ids=[enterprise_id], facts=[], cause="registered")
