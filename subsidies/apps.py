from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubsidiesConfig(AppConfig):
    name = "subsidies"
    verbose_name = _("Subsidies")

    def ready(self) -> None:
        from policies.signals import version_published

        version_published.connect(_start_batch, dispatch_uid="subsidies.batch_on_publish")


def _start_batch(sender, version, **kwargs) -> None:
    """Publishing an automatic or confirm version finds everyone it fits (the mode as it
    was when published decides)."""
    from policies.models import DeliveryMode

    from .tasks import start_batch_run

    if version.policy.delivery_mode in (DeliveryMode.AUTOMATIC, DeliveryMode.CONFIRM):
        start_batch_run.delay(version.pk)
