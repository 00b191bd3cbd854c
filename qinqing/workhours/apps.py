from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkhoursConfig(AppConfig):
    name = "qinqing.workhours"
    label = "workhours"
    verbose_name = _("Working hours")

    def ready(self) -> None:
        from django.core.signals import setting_changed
        from django.db.models.signals import post_delete, post_save

        from . import clock
        from .models import CalendarDay

        # An administrator's edit reaches this process's clock at once, other processes
        # within clock.TABLE_REFRESH_SECONDS.
        for signal in (post_save, post_delete):
            signal.connect(clock.calendar_changed, sender=CalendarDay, dispatch_uid="workhours")
        setting_changed.connect(clock.settings_changed, dispatch_uid="workhours")
