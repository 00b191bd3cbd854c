"""Policies tells the direct line of a published version through its signal (policies never
imports the direct line); the push runs as a task."""

from django.dispatch import receiver

from policies.signals import version_published

from .tasks import push_policy_version


@receiver(version_published, dispatch_uid="directline.push_on_publish")
def push_on_publish(sender, version, **kwargs) -> None:
    """The signal is sent on commit of the publication."""
    push_policy_version.delay(version.pk)
