"""The words the audit trail shows for the core's own actions (found by qinqing.events at
start, like every app's event_types.py)."""

from django.utils.translation import gettext_lazy as _

from qinqing.events.registry import ACTION_LABELS

for action, label in {
    "admin.add": _("added in the back office"),
    "admin.change": _("changed in the back office"),
    "admin.delete": _("deleted in the back office"),
    "admin.password_set": _("password set in the back office"),
    "user.create": _("user created"),
    "user.password_changed": _("password changed"),
    "user.token_issued": _("API token issued"),
    "notifications.preferences": _("notification settings changed"),
}.items():
    ACTION_LABELS.register(action, label)
