from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkspaceConfig(AppConfig):
    """The signed-in person's list of things to do, read across the domain apps (the read
    side, beside the dashboards): no models, only selectors."""

    name = "workspace"
    verbose_name = _("Workspace")
