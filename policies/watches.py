"""'Tell me when I qualify': an enterprise's members ask, once per policy, to be told when
the enterprise qualifies; the hub's changed facts (datahub.signals.facts_changed, received
in receivers.py) queue `policies.tasks.check_qualify_watches`, which re-evaluates only
those enterprises' watches through the single-enterprise evaluation and tells the members
once. Writes here (services), reads in `watches_visible_to`."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enterprises.models import Enterprise, EnterpriseMembership
from qinqing.errors import Conflict, NotAllowed
from qinqing.notifications.services import Delivery, notify_many
from qinqing.notifications.text import Message
from qinqing.scoping import is_member, visible_to

from .evaluation import evaluate_for_enterprise
from .models import Policy, PolicyVersion, QualifyWatch, VersionStatus
from .notification_kinds import POLICY_QUALIFIES

# The data-access log's purpose for the re-check (its words: policies/purposes.py).
WATCH_PURPOSE = "policy qualification watch: does this enterprise qualify now"


def open_version(policy: Policy, day: date | None = None) -> PolicyVersion | None:
    """The policy's version open for claims on `day` (today), if any."""
    day = day or timezone.localdate()
    return (
        PolicyVersion.objects.filter(
            policy=policy, status=VersionStatus.PUBLISHED, valid_from__lte=day,
            valid_until__gte=day,
        ).order_by("-number").first()
    )  # fmt: skip


def watches_visible_to(user) -> QuerySet[QualifyWatch]:
    return visible_to(user, QualifyWatch).select_related("policy", "enterprise")


def open_watch(user, enterprise: Enterprise, policy: Policy) -> QualifyWatch | None:
    """The enterprise's open watch on the policy, if the user may see it."""
    return (
        watches_visible_to(user)
        .filter(enterprise=enterprise, policy=policy, notified_at__isnull=True)
        .first()
    )


def start_watch(user, enterprise: Enterprise, policy: Policy) -> tuple[QualifyWatch, bool]:
    """Ask to be told when `enterprise` qualifies for `policy`: its members only, on a
    policy open today. Asking again returns the open watch (created: False)."""
    if not is_member(user, enterprise.pk):
        raise NotAllowed(_("Only the enterprise's members can ask to be told."))
    version = open_version(policy)
    if version is None:
        raise Conflict(_("This policy is not open for claims today; there is nothing to watch."))
    if version.pays_persons:
        raise Conflict(_("This policy pays employees in person, not the enterprise: there is "
                         "nothing for the enterprise to watch."))  # fmt: skip
    existing = QualifyWatch.objects.filter(enterprise=enterprise, policy=policy,
                                           notified_at__isnull=True).first()  # fmt: skip
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            return QualifyWatch.objects.create(enterprise=enterprise, policy=policy,
                                               requested_by=user), True  # fmt: skip
    except IntegrityError:  # a second request at the same moment: the one open watch
        return QualifyWatch.objects.get(enterprise=enterprise, policy=policy,
                                        notified_at__isnull=True), False  # fmt: skip


def cancel_watch(user, watch: QualifyWatch) -> None:
    """Stop watching: a member of the enterprise, on an open watch (a fulfilled one is the
    record of the notice)."""
    if not is_member(user, watch.enterprise_id):
        raise NotAllowed(_("Only the enterprise's members can stop this."))
    QualifyWatch.objects.filter(pk=watch.pk, notified_at__isnull=True).delete()


def check_watches(enterprise_ids: Collection[int], facts: Collection[str] = ()) -> list[int]:
    """Re-evaluate the open watches of exactly these enterprises on their policy's open
    version (only where the version names one of the changed `facts`; none given: any);
    tell the members of each that now qualifies, once, and close its watch.
    Idempotent: the conditional update claims the notice, so a rerun or a concurrent run
    tells nobody twice. Returns the ids of the watches fulfilled."""
    watches = list(
        QualifyWatch.objects.filter(enterprise_id__in=list(enterprise_ids),
                                    notified_at__isnull=True)
        .select_related("enterprise", "policy").order_by("id")
    )  # fmt: skip
    versions: dict[int, PolicyVersion | None] = {}
    fulfilled: list[QualifyWatch] = []
    for watch in watches:
        if watch.policy_id not in versions:
            versions[watch.policy_id] = open_version(watch.policy)
        version = versions[watch.policy_id]
        if (
            version is None
            or version.pays_persons
            or (facts and not set(facts) & set(version.rules.fact_names))
        ):
            continue
        decision = evaluate_for_enterprise(version, watch.enterprise, purpose=WATCH_PURPOSE)
        if decision.status == "eligible":
            fulfilled.append(watch)
    told = []
    for watch in fulfilled:
        with transaction.atomic():
            claimed = QualifyWatch.objects.filter(pk=watch.pk, notified_at__isnull=True).update(
                notified_at=timezone.now()
            )
            if claimed:
                _tell(watch)
                told.append(watch.pk)
    return told


def _tell(watch: QualifyWatch) -> None:
    members = EnterpriseMembership.objects.filter(
        enterprise_id=watch.enterprise_id, user__is_active=True
    ).values_list("user_id", flat=True)
    params = {"policy": watch.policy, "enterprise": watch.enterprise.name}
    title = Message(_("You now qualify: {policy}"), **params)
    body = Message(_("{enterprise} now meets the criteria of “{policy}”. Open the calculator "
                     "to see the amount and claim it. You will not be told about this "
                     "policy again."), **params)  # fmt: skip
    link = f"{reverse('policies:calculator')}?uscc={watch.enterprise.uscc}"
    notify_many(POLICY_QUALIFIES, [Delivery(user_id, title, body, link) for user_id in members])
