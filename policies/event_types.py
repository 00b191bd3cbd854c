"""The words the audit trail shows for policy versions' actions (found by qinqing.events)."""

from django.utils.translation import gettext_lazy as _

from qinqing.events.registry import ACTION_LABELS

for action, label in {
    "policy_version.drafted": _("policy version drafted"),
    "policy_version.edited": _("policy version edited"),
    "policy_version.published": _("policy version published"),
    "policy_version.sent_back": _("policy version sent back"),
    "policy_version.test_case_added": _("policy test case added"),
    "policy_version.withdraw_reason": _("policy version withdrawn"),
}.items():
    ACTION_LABELS.register(action, label)
