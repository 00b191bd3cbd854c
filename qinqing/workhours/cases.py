"""The clocked case, written once: a case (an approval item, an enterprise's request) runs
against a time limit in working hours, its clock stops while it waits (pauses), and its two
sides talk in a thread of messages.

These are abstract models; each app declares its concrete ones (their own tables):

    class Item(ClockedCase):                      def time_limit(self): ...
    class ItemPause(CasePause):                   item = ForeignKey(Item, related_name="pauses")
    class ItemMessage(CaseMessage):               item = ForeignKey(Item, related_name="messages")
                                                  kind = CharField(choices=...)

The related names `pauses` and `messages` are the contract `case_services` relies on; the
kinds of message are the app's own (what the two sides say differs).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .clock import TimeLimit


class ClockedCase(models.Model):
    """A case on the working-hours clock: when it started, its deadline (unknown while
    paused), and the sweep's marks (qinqing.workhours.deadlines)."""

    started_at = models.DateTimeField(_("clock started"), default=timezone.now)
    deadline = models.DateTimeField(
        _("deadline"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("Empty while the clock is paused."),
    )
    warned_at = models.DateTimeField(_("80% warning sent"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)

    class Meta:
        abstract = True

    def time_limit(self) -> TimeLimit:
        """The case's limit (its own fields say how long)."""
        raise NotImplementedError


class CasePause(models.Model):
    """Time that does not count against the case's limit. At most one is open per case (a
    constraint on the concrete model)."""

    started_at = models.DateTimeField(_("paused"), default=timezone.now)
    ended_at = models.DateTimeField(_("resumed"), null=True, blank=True)

    class Meta:
        abstract = True
        verbose_name = _("clock pause")
        verbose_name_plural = _("clock pauses")
        ordering = ["started_at"]


class CaseMessage(models.Model):
    """One message of the thread between the case's department and the enterprise."""

    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["created_at", "pk"]
