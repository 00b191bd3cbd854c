"""Loaded at start (qinqing's app autodiscovers `receivers`): an administrator's edit of
the calendar reaches this process's clock at once, other processes within
clock.TABLE_REFRESH_SECONDS; once committed, the open deadlines running into the year
written are computed again (services.recompute_open_deadlines)."""

from django.core.signals import setting_changed
from django.db.models.signals import post_delete, post_save

from . import clock
from .models import CalendarDay
from .services import recompute_when_committed

for signal in (post_save, post_delete):
    signal.connect(clock.calendar_changed, sender=CalendarDay, dispatch_uid="workhours")


def calendar_loaded(sender: type, instance: CalendarDay, **kwargs: object) -> None:
    """A holiday row written or removed: the open deadlines running into its year move."""
    recompute_when_committed(instance.date.year)


for signal in (post_save, post_delete):
    signal.connect(calendar_loaded, sender=CalendarDay, dispatch_uid="workhours-deadlines")
setting_changed.connect(clock.settings_changed, dispatch_uid="workhours")
