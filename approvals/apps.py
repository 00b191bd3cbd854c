from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("Approvals")

    def ready(self) -> None:
        # Imported once the apps are loaded (models may not be imported before): the
        # notification kinds' registry; receivers connect credit's breach signal (it
        # revokes approvals); tasks registers the tasks the services queue by name.
        from qinqing.notifications.models import register_kind

        from . import receivers, tasks  # noqa: F401

        register_kind("approval.decided", _("Approval decisions"))
        register_kind("approval.supplement", _("Supplement requests"))
        register_kind("approval.deadline", _("Approval deadlines"))
