from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QinqingConfig(AppConfig):
    """The project package is an app too: it owns the shared static files and tasks."""

    name = "qinqing"
    verbose_name = _("Qinqing")
