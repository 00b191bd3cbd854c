"""The enterprises' one kind for "something here is for you": a published policy that fits
(the direct line's push) and a subsidy offered for one click (a batch run's offers). Once
three kinds that meant the same (policy.push, claim.offered, policy.fits); migration
notifications.0002 moved their rows and settings here. Declared in policies, below both
senders (subsidies, directline), so that each names it without importing the other."""

from django.utils.translation import gettext_lazy as _

from qinqing.notifications.registry import Audience, register_kind

POLICY_FITS = "policy.fits"

register_kind(POLICY_FITS, _("Policies that fit your enterprise"), Audience.ENTERPRISE)

# "Tell me when I qualify" (policies/watches.py): said once, when the watch is fulfilled.
POLICY_QUALIFIES = "policy.qualifies"

register_kind(POLICY_QUALIFIES, _("You now qualify for a policy you asked about"),
              Audience.ENTERPRISE)  # fmt: skip
