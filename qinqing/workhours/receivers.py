"""Loaded at start (qinqing's app autodiscovers `receivers`): an administrator's edit of
the calendar reaches this process's clock at once, other processes within
clock.TABLE_REFRESH_SECONDS."""

from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save

from . import clock
from .models import CalendarDay

for signal in (post_save, post_delete):
    signal.connect(clock.calendar_changed, sender=CalendarDay, dispatch_uid="workhours")
setting_changed.connect(clock.settings_changed, dispatch_uid="workhours")
