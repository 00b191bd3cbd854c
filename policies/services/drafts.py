"""Drafting a policy and its versions: a new policy with its first draft, a new draft,
changes to a draft, and who may draft (an official of the issuing department)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from accounts.models import User
from qinqing.audit.services import record_change, record_event, snapshot
from qinqing.errors import NotAllowed, Refused
from qinqing.scoping import is_active_user, official_covers

from ..models import Policy, PolicyVersion, VersionStatus

DRAFT_FIELDS = ["beneficiary", "valid_from", "valid_until", "criteria", "benefit", "parameters",
                "rounding", "budget", "per_enterprise_cap", "claim_period", "notes"]  # fmt: skip


def require_department_official(actor: User, policy: Policy) -> None:
    """Any official of the issuing department (a policy covers the whole city, so their
    district does not matter), or an administrator; nobody inactive."""
    if is_active_user(actor) and actor.is_superuser:
        return
    if not official_covers(actor, department_id=policy.department_id,
                           district_id=getattr(actor, "district_id", None)):  # fmt: skip
        raise NotAllowed(_("Only officials of the issuing department may do this."))


@transaction.atomic
def create_draft(*, policy: Policy, actor: User, **fields: Any) -> PolicyVersion:
    require_department_official(actor, policy)
    Policy.objects.select_for_update().get(pk=policy.pk)  # one number per version, even racing
    number = (policy.versions.aggregate(top=Max("number"))["top"] or 0) + 1
    version = PolicyVersion(policy=policy, number=number, drafted_by=actor,
                            **{k: v for k, v in fields.items() if k in DRAFT_FIELDS})  # fmt: skip
    version.full_clean()
    refuse_negative_amounts(version.benefit)
    version.save()
    version.contributors.add(actor)
    record_event(actor=actor, action="policy_version.drafted", obj=version,
                 after=snapshot(version, DRAFT_FIELDS))  # fmt: skip
    return version


POLICY_FIELDS = ["code", "title_zh", "title_en", "summary_zh", "summary_en", "legal_basis_zh",
                 "legal_basis_en", "benefit_type", "delivery_mode",
                 "target_industry_sections"]  # fmt: skip


@transaction.atomic
def create_policy(*, actor: User, department: Any, target_districts: Any = (),
                  version: dict[str, Any], **fields: Any) -> PolicyVersion:  # fmt: skip
    """A new policy of the actor's department with its first draft version, together: a
    policy without a version could never be published, and one without the other is not
    left behind. Returns the draft (its rules checked like any draft's)."""
    policy = Policy(department=department, **{k: v for k, v in fields.items()
                                                if k in POLICY_FIELDS})  # fmt: skip
    require_department_official(actor, policy)
    policy.full_clean()
    try:
        with transaction.atomic():
            policy.save()
    except IntegrityError:  # the same code taken meanwhile
        raise ValidationError({"code": [_("A policy with this code exists already.")]}) from None
    policy.target_districts.set(list(target_districts))
    record_event(actor=actor, action="policy.created", obj=policy,
                 after={**snapshot(policy, POLICY_FIELDS),
                        "target_districts": sorted(d.pk for d in target_districts)})  # fmt: skip
    return create_draft(policy=policy, actor=actor, **version)


@transaction.atomic
def update_draft(version: PolicyVersion, *, actor: User, **fields: Any) -> PolicyVersion:
    require_department_official(actor, version.policy)
    locked = PolicyVersion.objects.select_for_update().get(pk=version.pk)
    if locked.status != VersionStatus.DRAFT:
        raise Refused(_("Only a draft can be changed; make a new version instead."))
    raw_before = snapshot(locked, DRAFT_FIELDS, masked=False)
    for name, value in fields.items():
        if name in DRAFT_FIELDS:
            setattr(locked, name, value)
    locked.full_clean()
    refuse_negative_amounts(locked.benefit)
    locked.save()
    locked.contributors.add(actor)
    record_change(actor=actor, action="policy_version.edited", obj=locked, raw_before=raw_before)
    return locked


def negative_amounts(raw: Any, path: str = "benefit") -> list[str]:
    """The paths of the fixed amounts below zero in a benefit formula (as drafted, JSON).
    A subsidy pays money to an enterprise: a negative amount written into the formula is
    a slip, never a rule (a deduction is written with `sub`)."""
    found: list[str] = []
    if isinstance(raw, dict):
        for key, body in raw.items():
            if key == "amount" and not isinstance(body, dict | list):
                try:
                    if Decimal(str(body)) < 0:
                        found.append(f"{path}.amount")
                except ArithmeticError:
                    pass  # not a number: the rules' own parser says so
            elif key == "bands" and isinstance(body, list):
                for index, band in enumerate(body):
                    if isinstance(band, dict):
                        found += negative_amounts(band.get("amount"),
                                                  f"{path}.bands[{index}].amount")  # fmt: skip
            else:
                found += negative_amounts(body, f"{path}.{key}")
    elif isinstance(raw, list):
        for index, item in enumerate(raw):
            found += negative_amounts(item, f"{path}[{index}]")
    return found


def refuse_negative_amounts(benefit: Any) -> None:
    """Refused like the model's own checks (a ValidationError on `benefit`): the page
    places it on the field, the API answers 400 with the field."""
    paths = negative_amounts(benefit)
    if paths:
        raise ValidationError({"benefit": [
            _("%(path)s: a fixed amount may not be below zero (a subsidy never takes money "
              "from an enterprise).") % {"path": path}
            for path in paths
        ]})  # fmt: skip
