"""Writes: registering a partner client and changing what it may do, each audited."""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.crypto import get_random_string
from django.utils.text import slugify
from django.utils.translation import gettext as _
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_application_model

from accounts.models import Role, User
from accounts.services import create_user
from departments.models import Department, District
from enterprises.models import Enterprise, EnterpriseMembership, MemberRole
from qinqing.audit.services import record_change, record_event, snapshot

from .models import PartnerClient
from .scopes import SCOPES

_AUDITED = [
    "name",
    "scopes",
    "is_active",
    "requests_per_minute",
    "enterprise_id",
    "service_user_id",
]


def clean_scopes(scopes: Iterable[str]) -> list[str]:
    """Registry scopes only, sorted and without repeats."""
    wanted = sorted({scope.strip() for scope in scopes if scope.strip()})
    unknown = [scope for scope in wanted if scope not in SCOPES]
    if unknown:
        raise ValidationError(
            _("Unknown scopes: %(scopes)s.") % {"scopes": ", ".join(unknown)}, code="scope"
        )
    return wanted


@transaction.atomic
def create_partner_client(
    *,
    name: str,
    scopes: Iterable[str],
    department: Department | None = None,
    district: District | None = None,
    enterprise: Enterprise | None = None,
    requests_per_minute: int | None = None,
    actor: User | None = None,
) -> tuple[PartnerClient, str]:
    """Register a client bound to a department (and district) or to an enterprise.

    Returns the client and its secret in clear: the secret is stored hashed, so this is
    the only time anyone sees it.
    """
    if (department is None) == (enterprise is None):
        raise ValidationError(_("Bind the client to a department or to an enterprise, not both."))
    if district is not None and department is None:
        raise ValidationError(_("A district narrows a department binding only."))
    scopes = clean_scopes(scopes)
    username = f"partner-{slugify(name)[:40] or 'client'}-{get_random_string(6).lower()}"
    if department is not None:
        user = create_user(
            username=username, password=None, role=Role.OFFICIAL, display_name=name,
            department=department, district=district, created_by=actor,
        )  # fmt: skip
    else:
        user = create_user(
            username=username, password=None, role=Role.ENTERPRISE, display_name=name,
            created_by=actor,
        )  # fmt: skip
        membership = EnterpriseMembership.objects.create(
            enterprise=enterprise, user=user, role=MemberRole.AGENT
        )
        record_event(actor=actor, action="membership.create", obj=membership)
    secret = generate_client_secret()
    application = get_application_model().objects.create(
        name=name,
        client_type="confidential",
        authorization_grant_type="client-credentials",
        client_secret=secret,
        hash_client_secret=True,
        user=user,
    )
    client = PartnerClient.objects.create(
        application=application,
        name=name,
        service_user=user,
        enterprise=enterprise,
        scopes=scopes,
        requests_per_minute=requests_per_minute,
        created_by=actor,
    )
    record_event(
        actor=actor,
        action="partner_client.create",
        obj=client,
        after={**snapshot(client, _AUDITED), "client_id": application.client_id},
    )
    return client, secret


@transaction.atomic
def update_partner_client(
    client: PartnerClient,
    *,
    actor: User | None,
    scopes: Iterable[str] | None = None,
    is_active: bool | None = None,
    requests_per_minute: object = ...,
) -> PartnerClient:
    """Change scopes, the active flag or the rate. Narrowed scopes and deactivation take
    effect on the next request: tokens are checked against the client on every call."""
    locked = PartnerClient.objects.select_for_update().get(pk=client.pk)
    raw_before = snapshot(locked, _AUDITED, masked=False)
    if scopes is not None:
        locked.scopes = clean_scopes(scopes)
    if is_active is not None:
        locked.is_active = is_active
    if requests_per_minute is not ...:
        locked.requests_per_minute = requests_per_minute
    locked.save()
    if locked.service_user.is_active != locked.is_active:
        locked.service_user.is_active = locked.is_active
        locked.service_user.save(update_fields=["is_active"])
    record_change(actor=actor, action="partner_client.change", obj=locked, raw_before=raw_before)
    return locked
