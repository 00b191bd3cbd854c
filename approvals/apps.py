from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("Approvals")

    def ready(self) -> None:
        from qinqing.notifications.models import register_kind

        from . import receivers  # noqa: F401  (credit's breach signal revokes approvals)

        register_kind("approval.decided", _("Approval decisions"))
        register_kind("approval.supplement", _("Supplement requests"))
        register_kind("approval.deadline", _("Approval deadlines"))
