"""The notification kinds people can turn on or off: empty here, filled by the app that
sends them.

Each app declares its kinds in `<app>/notification_kinds.py`, found at start-up by
`NotificationsConfig.ready()` (autodiscovery), so this package names no app's
vocabulary; the model stores the code, with no choices tied to any app:

    NOTIFICATION_KINDS.register("claim.paid", _("Subsidy paid"))
"""

from __future__ import annotations

from django.utils.functional import Promise

from qinqing.registry import Registry

# Kind code -> label (what the preferences page shows).
NOTIFICATION_KINDS: Registry[str | Promise] = Registry("notification kind")


def kind_label(code: str) -> str | Promise:
    return NOTIFICATION_KINDS.get(code, code)
