from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectlineConfig(AppConfig):
    name = "directline"
    verbose_name = _("Direct line")

    def ready(self) -> None:
        from policies.signals import version_published
        from qinqing.notifications.models import register_kind

        register_kind("directline.request", _("Requests to the government"))
        register_kind("directline.deadline", _("Request deadlines"))
        register_kind("policy.push", _("Policies that fit your enterprise"))
        version_published.connect(_push_on_publish, dispatch_uid="directline.push_on_publish")


def _push_on_publish(sender, version, **kwargs) -> None:
    """The signal is sent on commit of the publication; the push runs as a task."""
    from .tasks import push_policy_version

    push_policy_version.delay(version.pk)
