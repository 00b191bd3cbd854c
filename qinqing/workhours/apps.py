from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkhoursConfig(AppConfig):
    name = "qinqing.workhours"
    label = "workhours"
    verbose_name = _("Working hours")
