"""Policy push: a newly published version told to the members of every enterprise it fits
and that has nothing under it yet.

Only apply-mode policies are pushed: an automatic policy pays the enterprises it fits
(their one notice says "paid"), a confirm policy offers them a claim (its notice is the
invitation, with "Accept"), both by subsidies' batch run on the same publication. An
invitation beside either would contradict the claim's real state. An enterprise that
already holds a claim for the period (any state) is not invited again either."""

from __future__ import annotations

import logging
from decimal import Decimal

import numpy as np
from django.db import transaction
from django.utils.translation import gettext_lazy

from datahub.snapshots import SnapshotMissing
from enterprises.models import Enterprise, EnterpriseMembership, EnterpriseStatus
from policies.evaluation import evaluate_all
from policies.models import DeliveryMode, PolicyVersion
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


def push_policy(version_id: int) -> int:
    """Tell every member of every enterprise the (apply-mode) version fits and that holds
    no claim for the period yet, in bulk; once per version (a task delivered twice finds
    the push row and does nothing)."""
    version = PolicyVersion.objects.select_related("policy").get(pk=version_id)
    if version.policy.delivery_mode != DeliveryMode.APPLY:
        return 0  # paid or offered by the batch run: its notice is the one the members get
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
        members: list[tuple[int, int]] = []
        ids = list(amounts)
        for begin in range(0, len(ids), 2000):
            members += EnterpriseMembership.objects.filter(
                enterprise_id__in=ids[begin : begin + 2000]
            ).values_list("user_id", "enterprise_id")
        policy = version.policy
        link = f"/policies/{policy.code}/"
        deliveries = [
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
                link,
            )
            for user_id, enterprise_id in members
        ]
        notify_many(PUSH_KIND, deliveries)
        push.enterprises = len(amounts)
        push.recipients = len(deliveries)
        push.save(update_fields=["enterprises", "recipients"])
    return len(amounts)
