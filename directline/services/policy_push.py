"""Policy push: a newly published version told to the members of every enterprise it fits
and that has nothing under it yet.

Only apply-mode policies are pushed: an automatic policy pays the enterprises it fits
(their one notice says "paid"), a confirm policy offers them a claim (its notice is the
invitation, with "Accept"), both by subsidies' batch run on the same publication. An
invitation beside either would contradict the claim's real state. An enterprise that
already holds a claim for the period (any state) is not invited again either.

When facts change (datahub.signals.facts_changed: a new extract, an answer, a new
enterprise, a listing…), `push_changed` tells the enterprises among the changed that a
pushed version now fits, once: those whose members were told of the version already, or
that hold a claim, are not told again."""

from __future__ import annotations

import logging
from decimal import Decimal

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy

from datahub.extracts.reading import SnapshotMissing, read_snapshot
from datahub.extracts.refresh import refresh_rows
from enterprises.models import Enterprise, EnterpriseMembership, EnterpriseStatus
from policies.evaluation import evaluate_all
from policies.models import DeliveryMode, PolicyVersion, VersionStatus
from policies.notification_kinds import POLICY_FITS
from policies.selectors import claim_states
from qinqing.notifications.services import Delivery, notify_many
from qinqing.notifications.text import Message

from ..models import (
    PolicyPush,
)

logger = logging.getLogger(__name__)
PUSH_KIND = POLICY_FITS


def qualifying_enterprises(version) -> list[tuple[int, int]]:
    """(enterprise id, amount in fen) for every active enterprise the version fits, from
    the batch evaluation over the hub's bulk extracts."""
    decision = evaluate_all(version)
    inactive = Enterprise.objects.exclude(status=EnterpriseStatus.ACTIVE)
    rows = np.flatnonzero(
        decision.eligible
        & ~np.isin(decision.enterprise_ids, list(inactive.values_list("pk", flat=True)))
    )
    return list(
        zip(decision.enterprise_ids[rows].tolist(), decision.amount_fen[rows].tolist(), strict=True)
    )


def _deliveries(version, amounts: dict[int, int]) -> list[Delivery]:
    members: list[tuple[int, int]] = []
    ids = list(amounts)
    for begin in range(0, len(ids), 2000):
        members += EnterpriseMembership.objects.filter(
            enterprise_id__in=ids[begin : begin + 2000]
        ).values_list("user_id", "enterprise_id")
    policy = version.policy
    return [
        Delivery(
            user_id,
            Message(gettext_lazy("A policy fits your enterprise: {policy}"), policy=policy),
            Message(
                gettext_lazy(
                    "Estimated amount: ¥{amount}. Claim it on the policy's page; the "
                    "issuing department reviews the claim."
                ),
                amount=f"{Decimal(amounts[enterprise_id]) / 100:,.2f}",
            ),
            f"/policies/{policy.code}/",
        )
        for user_id, enterprise_id in members
    ]


def push_changed(enterprise_ids: list[int], facts: list[str], cause: str) -> int:
    """The pushed (apply-mode) versions that read the changed facts, evaluated for the
    changed enterprises over the extracts: those they now fit, that hold no claim and
    whose members were not told of the version yet, are told. Returns how many."""
    if not enterprise_ids:
        return 0
    if cause != "extract":
        refresh_rows(enterprise_ids, facts)  # learnt one at a time: the extracts catch up
    day = timezone.localdate()
    versions = [version for version in PolicyVersion.objects.select_related("policy").filter(
        status=VersionStatus.PUBLISHED, valid_from__lte=day, valid_until__gte=day,
        policy__delivery_mode=DeliveryMode.APPLY,
    ) if (not facts or set(facts) & set(version.rules.fact_names))
        and PolicyPush.objects.filter(version=version).exists()]  # fmt: skip
    told = 0
    inactive = set(Enterprise.objects.filter(pk__in=enterprise_ids).exclude(
        status=EnterpriseStatus.ACTIVE).values_list("pk", flat=True))  # fmt: skip
    for version in versions:
        try:
            decision = evaluate_all(version, snapshot=read_snapshot(version.rules.fact_names,
                                                                    enterprise_ids))  # fmt: skip
        except SnapshotMissing:
            continue
        rows = np.flatnonzero(decision.eligible)
        fits = {int(decision.enterprise_ids[row]): int(decision.amount_fen[row]) for row in rows
                if int(decision.enterprise_ids[row]) not in inactive}  # fmt: skip
        if not fits:
            continue
        with transaction.atomic():
            push = PolicyPush.objects.select_for_update().get(version=version)  # one at a time
            holding = {pk for pk, _policy in claim_states([version], enterprise_ids=list(fits))}
            link = f"/policies/{version.policy.code}/"
            members = EnterpriseMembership.objects.filter(enterprise_id__in=list(fits))
            already = set(members.filter(user__notifications__kind=PUSH_KIND,
                                         user__notifications__link=link)
                          .values_list("enterprise_id", flat=True))  # fmt: skip
            amounts = {pk: fen for pk, fen in fits.items()
                       if pk not in holding and pk not in already}  # fmt: skip
            if not amounts:
                continue
            deliveries = _deliveries(version, amounts)
            notify_many(PUSH_KIND, deliveries)
            push.enterprises += len(amounts)
            push.recipients += len(deliveries)
            push.save(update_fields=["enterprises", "recipients"])
            told += len(amounts)
    return told


def push_policy(version_id: int) -> int:
    """Tell every member of every enterprise the (apply-mode) version fits and that holds
    no claim for the period yet, in bulk; once per version (a task delivered twice finds
    the push row and does nothing)."""
    version = PolicyVersion.objects.select_related("policy").get(pk=version_id)
    if version.policy.delivery_mode != DeliveryMode.APPLY:
        return 0  # paid or offered by the batch run: its notice is the one the members get
    if version.pays_persons:
        return 0  # a person's subsidy is the person's to claim (/me/): no enterprise to tell
    try:
        fits = qualifying_enterprises(version)
    except SnapshotMissing:
        logger.warning("policy push for version %s: bulk extracts missing", version_id)
        return 0
    with transaction.atomic():
        push, created = PolicyPush.objects.get_or_create(version=version)
        if not created:
            return 0
        holding = {enterprise_id for enterprise_id, _policy in claim_states([version])}
        amounts = {enterprise_id: amount for enterprise_id, amount in fits
                   if enterprise_id not in holding}  # fmt: skip
        deliveries = _deliveries(version, amounts)
        notify_many(PUSH_KIND, deliveries)
        push.enterprises = len(amounts)
        push.recipients = len(deliveries)
        push.save(update_fields=["enterprises", "recipients"])
    return len(amounts)
