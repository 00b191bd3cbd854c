"""Credit's event types partners may subscribe to (found by qinqing.events at start), and
the words the audit trail shows for credit's actions."""

from django.utils.translation import gettext_lazy as _

from qinqing.events.registry import ACTION_LABELS, EVENT_TYPES, EventType

EVENT_TYPES.register(
    "credit.record_added",
    EventType(_("A credit record was added for an enterprise."), "credit:read",
              label=_("credit record added")),
)  # fmt: skip

for action, label in {
    "credit.commitment.made": _("commitment made"),
    "credit.grade_changed": _("credit grade changed"),
    "credit.grades_recomputed": _("credit grades recomputed"),
    "credit.campaign_created": _("inspection campaign created"),
    "credit.draw_made": _("inspection draw made"),
    "credit.inspector_recused": _("inspector recused"),
    "credit.list_black_added": _("added to the black list"),
    "credit.repair_applied": _("credit repair applied for"),
    "credit.tax_grades_imported": _("tax grades imported"),
}.items():
    ACTION_LABELS.register(action, label)
