"""Changing enterprises. Every change locks the row and is audited in one transaction."""

from dataclasses import dataclass
from functools import partial

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from qinqing.audit.services import record_change, record_event, snapshot

from .industries import section_of_division
from .models import (
    Enterprise,
    EnterpriseMembership,
    EnterpriseStatus,
    MemberRole,
    SizeClass,
    bank_account_validator,
    phone_validator,
)
from .selectors import can_edit_enterprise
from .signals import bank_details_changed, enterprise_registered

CONTACT_FIELDS = ["contact_phone", "bank_name", "bank_account"]


@dataclass(frozen=True)
class ContactDetails:
    contact_phone: str
    bank_name: str
    # None keeps the account on record: pages never show the full number, so a person
    # correcting the phone must not have to type the account again.
    bank_account: str | None


def parse_contact_details(
    *, contact_phone: str, bank_name: str, bank_account: str
) -> ContactDetails:
    """Normalise and check what a form or API request sent; errors are keyed by field.

    The one place these rules live: the page's form and the API serializer both call it.
    """
    details = ContactDetails(
        contact_phone="".join(contact_phone.split()),
        bank_name=bank_name.strip(),
        # Account numbers are printed in groups of four; the spaces are not part of it.
        bank_account="".join(bank_account.split()) or None,
    )
    errors: dict[str, list[ValidationError]] = {}
    if not details.contact_phone:
        errors["contact_phone"] = [
            ValidationError(_("Enter a contact phone number."), code="required")
        ]
    else:
        _collect(errors, "contact_phone", phone_validator, details.contact_phone)
    if not details.bank_name:
        errors["bank_name"] = [
            ValidationError(_("Enter the bank that holds the account."), code="required")
        ]
    if details.bank_account is not None:
        _collect(errors, "bank_account", bank_account_validator, details.bank_account)
    if errors:
        raise ValidationError(errors)
    return details


def _collect(errors: dict, field: str, validator, value: str) -> None:
    try:
        validator(value)
    except ValidationError as error:
        errors.setdefault(field, []).append(error)


@transaction.atomic
def update_contact_details(
    *, enterprise: Enterprise, details: ContactDetails, actor: User
) -> Enterprise:
    locked = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    if not can_edit_enterprise(actor, locked):
        raise PermissionDenied(_("Only the enterprise's own members may change these details."))
    if details.bank_account is None and not locked.bank_account:
        raise ValidationError(
            {
                "bank_account": ValidationError(
                    _("Enter the account number: none is on record yet."), code="required"
                )
            }
        )
    raw_before = snapshot(locked, CONTACT_FIELDS, masked=False)
    bank_before = (locked.bank_name, locked.bank_account)
    locked.contact_phone = details.contact_phone
    locked.bank_name = details.bank_name
    if details.bank_account is not None:
        locked.bank_account = details.bank_account
    locked.full_clean()
    locked.save(update_fields=[*CONTACT_FIELDS, "updated_at"])
    record_change(
        actor=actor, action="enterprise.contact_updated", obj=locked, raw_before=raw_before
    )
    if (locked.bank_name, locked.bank_account) != bank_before:
        # Robust: the details are saved whatever a receiver meets (an official can still
        # retry a failed payment by hand).
        transaction.on_commit(
            partial(bank_details_changed.send, sender=Enterprise, enterprise_id=locked.pk,
                    actor=actor),
            robust=True,
        )  # fmt: skip
    return locked


@transaction.atomic
def add_member(
    *, enterprise: Enterprise, user: User, role: MemberRole, actor: User | None
) -> EnterpriseMembership:
    """Give a person the right to act for an enterprise (idempotent)."""
    if user.role != Role.ENTERPRISE:
        raise ValidationError(
            _("Only enterprise users can act for an enterprise."), code="not_enterprise_user"
        )
    membership, created = EnterpriseMembership.objects.get_or_create(
        enterprise=enterprise, user=user, defaults={"role": role}
    )
    if created:
        record_event(
            actor=actor, action="enterprise.member_added", obj=membership,
            after=snapshot(membership),
        )  # fmt: skip
    return membership


def register_enterprise(*, uscc: str, name: str, district, industry_division: str,
                        registered_capital, legal_representative: str, founder: User,
                        actor: User | None, bank_name: str = "",
                        bank_account: str = "") -> Enterprise:  # fmt: skip
    """A newly established enterprise enters the register, with the bank account given on
    the establishment sheet (audited masked: Enterprise.audit_masked_fields), and the
    person who set it up becomes its legal representative member (the establishment
    package's last step)."""
    enterprise = Enterprise(
        uscc=uscc, name=name, district=district, industry_division=industry_division,
        industry_section=section_of_division(industry_division),
        established_on=timezone.localdate(),
        registered_capital=registered_capital, size_class=SizeClass.MICRO,
        legal_representative=legal_representative, status=EnterpriseStatus.ACTIVE,
        bank_name=bank_name, bank_account="".join(bank_account.split()),
    )  # fmt: skip
    enterprise.full_clean()
    enterprise.save(force_insert=True)
    record_event(actor=actor, action="enterprise.registered", obj=enterprise,
                 after=snapshot(enterprise))  # fmt: skip
    add_member(enterprise=enterprise, user=founder, role=MemberRole.LEGAL_REPRESENTATIVE,
               actor=actor)  # fmt: skip
    pk = enterprise.pk
    transaction.on_commit(lambda: enterprise_registered.send(sender=Enterprise, enterprise_id=pk),
                          robust=True)  # fmt: skip
    return enterprise
