from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectlineConfig(AppConfig):
    name = "directline"
    verbose_name = _("Direct line")
