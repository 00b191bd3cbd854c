"""Changing enterprises. Every change locks the row and is audited in one transaction."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from qinqing.audit.services import changed_only, record_event, snapshot

from .models import Enterprise, bank_account_validator, phone_validator
from .selectors import can_edit_enterprise

CONTACT_FIELDS = ["contact_phone", "bank_name", "bank_account"]


@dataclass(frozen=True)
class ContactDetails:
    contact_phone: str
    bank_name: str
    bank_account: str


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
        bank_account="".join(bank_account.split()),
    )
    errors: dict[str, list[ValidationError]] = {}
    for field, validator in (
        ("contact_phone", phone_validator),
        ("bank_account", bank_account_validator),
    ):
        value = getattr(details, field)
        if value:
            try:
                validator(value)
            except ValidationError as error:
                errors.setdefault(field, []).append(error)
    if bool(details.bank_name) != bool(details.bank_account) and "bank_account" not in errors:
        missing = "bank_account" if details.bank_name else "bank_name"
        errors.setdefault(missing, []).append(
            ValidationError(
                _("Give both the bank and the account number, or neither."), code="bank_pair"
            )
        )
    if errors:
        raise ValidationError(errors)
    return details


def _masked_snapshot(enterprise: Enterprise) -> dict[str, str]:
    """The trail records that a bank account changed, not the number itself."""
    values = snapshot(enterprise, CONTACT_FIELDS)
    values["bank_account"] = enterprise.bank_account_masked
    values["contact_phone"] = enterprise.contact_phone_masked
    return values


@transaction.atomic
def update_contact_details(
    *, enterprise: Enterprise, details: ContactDetails, actor: User
) -> Enterprise:
    locked = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    if not can_edit_enterprise(actor, locked):
        raise PermissionDenied(_("Only the enterprise's own members may change these details."))
    raw_before, before = snapshot(locked, CONTACT_FIELDS), _masked_snapshot(locked)
    locked.contact_phone = details.contact_phone
    locked.bank_name = details.bank_name
    locked.bank_account = details.bank_account
    locked.full_clean()
    locked.save(update_fields=[*CONTACT_FIELDS, "updated_at"])
    changed = changed_only(raw_before, snapshot(locked, CONTACT_FIELDS))[1].keys()
    if changed:
        after = _masked_snapshot(locked)
        record_event(
            actor=actor,
            action="enterprise.contact_updated",
            obj=locked,
            before={key: before[key] for key in changed},
            after={key: after[key] for key in changed},
        )
    return locked
