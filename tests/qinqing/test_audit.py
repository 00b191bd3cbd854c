"""The audit trail: written by services and by the back office, never changed afterwards."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from accounts.models import Role
from accounts.services import create_user
from qinqing.audit.models import AppendOnlyError, AuditEvent
from tests.factories import AdminFactory, AuditorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(db):
    create_user(
        username="newbie",
        password="x-long-password-1",
        role=Role.ENTERPRISE,
        created_by=AdminFactory(username="creator"),
    )
    return AuditEvent.objects.get(action="user.create")


def test_service_writes_event_with_actor_object_and_after(event):
    assert event.actor_label == "creator"
    assert event.object_type == "accounts.user"
    assert event.after["username"] == "newbie"
    assert "password" not in event.after


def test_events_cannot_be_changed_through_the_orm(event):
    event.action = "forged"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.filter(pk=event.pk).update(action="forged")
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "user.create"


def test_events_cannot_be_updated_with_raw_sql(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'forged' WHERE id = %s", [event.pk])
    assert AuditEvent.objects.get(pk=event.pk).action == "user.create"


@pytest.mark.postgres
def test_events_cannot_be_deleted_with_raw_sql_on_postgres(event):
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_admin_edit_writes_an_event_with_before_and_after(client, enterprise):
    admin = AdminFactory()
    client.force_login(admin)
    url = reverse("admin:enterprises_enterprise_change", args=[enterprise.pk])
    form = client.get(url).context["adminform"].form
    data = {name: form.initial.get(name, "") for name in form.fields}
    data.update(
        {
            "name": "杭州改名科技有限公司",
            "district": enterprise.district_id,
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.get(action="admin.change")
    assert event.actor == admin
    assert event.before == {"name": enterprise.name}
    assert event.after == {"name": "杭州改名科技有限公司"}


def test_admin_delete_writes_an_event(client, enterprise):
    client.force_login(AdminFactory())
    url = reverse("admin:enterprises_enterprise_delete", args=[enterprise.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    event = AuditEvent.objects.get(action="admin.delete")
    assert event.before["uscc"] == enterprise.uscc


def test_auditor_reads_the_trail_but_cannot_change_anything(client, event, enterprise):
    client.force_login(AuditorFactory())
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 200
    detail = client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert detail.status_code == 200
    assert b'name="_save"' not in detail.content  # read-only: no save button
    # Viewing the register is allowed, changing it is not.
    change_url = reverse("admin:enterprises_enterprise_change", args=[enterprise.pk])
    assert client.get(change_url).status_code == 200
    assert client.post(change_url, {"name": "x"}).status_code == 403
    assert (
        client.post(
            reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_nobody_can_edit_or_delete_an_event_in_the_admin(client, event):
    client.force_login(AdminFactory())
    assert client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    response = client.post(
        reverse("admin:audit_auditevent_change", args=[event.pk]), {"action": "forged"}
    )
    assert response.status_code == 403
    assert (
        client.post(
            reverse("admin:audit_auditevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert AuditEvent.objects.get(pk=event.pk).action == "user.create"


def test_enterprise_members_and_officials_have_no_back_office(client, member, official_xihu):
    for user in (member, official_xihu):
        client.force_login(user)
        response = client.get(reverse("admin:audit_auditevent_changelist"))
        assert response.status_code == 302  # to the admin login


def test_admin_password_reset_is_audited_without_the_password(client, member):
    client.force_login(AdminFactory())
    url = reverse("admin:auth_user_password_change", args=[member.pk])
    response = client.post(
        url,
        {
            "password1": "Qq-reset-2026-pass!",
            "password2": "Qq-reset-2026-pass!",
            "usable_password": "true",
        },
    )
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="admin.password_set")
    assert event.object_id == str(member.pk)
    assert "Qq-reset" not in str(event.before) + str(event.after)


def test_admin_normalises_and_checks_the_uscc(client):
    from enterprises.models import Enterprise

    client.force_login(AdminFactory())
    url = reverse("admin:enterprises_enterprise_add")
    data = {
        "uscc": "9133 0100 7161 0585 2f",
        "name": "阿里巴巴（中国）有限公司",
        "district": "",
        "industry_section": "I",
        "industry_division": "64",
        "established_on": "1999-09-09",
        "registered_capital": "5000000.00",
        "size_class": "large",
        "legal_representative": "张勇",
        "status": "active",
        "memberships-TOTAL_FORMS": "0",
        "memberships-INITIAL_FORMS": "0",
    }
    from departments.models import District

    data["district"] = District.objects.get(code="yuhang").pk
    bad = client.post(url, {**data, "uscc": "91330100716105852X"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 200
    assert "should be “F”" in str(bad.context["adminform"].form.errors["uscc"])
    assert client.post(url, data).status_code == 302
    assert Enterprise.objects.get().uscc == "91330100716105852F"
    assert AuditEvent.objects.filter(
        action="admin.add", object_type="enterprises.enterprise"
    ).exists()


def _change_form_data(client, url: str) -> dict:
    form = client.get(url).context["adminform"].form
    data = {name: form.initial.get(name, "") for name in form.fields}
    return {key: ("" if value is None else value) for key, value in data.items()}


def test_admin_events_mask_bank_accounts_and_skip_saves_that_change_nothing(client, enterprise):
    client.force_login(AdminFactory())
    url = reverse("admin:enterprises_enterprise_change", args=[enterprise.pk])
    data = _change_form_data(client, url)
    data.update(
        {
            "district": enterprise.district_id,
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        }
    )
    assert client.post(url, data).status_code == 302
    assert not AuditEvent.objects.filter(action="admin.change").exists()
    data["bank_account"] = "6222999988887777666"
    assert client.post(url, data).status_code == 302
    event = AuditEvent.objects.get(action="admin.change")
    assert event.after == {"bank_account": "***************7666"}
    assert enterprise.bank_account not in str(event.before)


def test_adding_a_member_through_the_inline_is_audited(client, enterprise, other_member):
    client.force_login(AdminFactory())
    url = reverse("admin:enterprises_enterprise_change", args=[enterprise.pk])
    data = _change_form_data(client, url)
    data.update(
        {
            "district": enterprise.district_id,
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "0",
            "memberships-0-user": other_member.pk,
            "memberships-0-role": "agent",
            "memberships-0-enterprise": enterprise.pk,
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302
    event = AuditEvent.objects.get(
        action="admin.add", object_type="enterprises.enterprisemembership"
    )
    assert event.after["user_id"] == other_member.pk
    assert event.after["role"] == "agent"


def test_every_back_office_screen_is_audited():
    """Including the ones apps bring (groups, API tokens, lockouts): deleting a lockout
    record unlocks an account, so it must leave a trace."""
    from django.contrib import admin

    from qinqing.audit.admin import AuditedModelAdmin, AuditEventAdmin

    unaudited = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, AuditedModelAdmin | AuditEventAdmin)
    ]
    assert unaudited == []
    labels = {model._meta.label for model in admin.site._registry}
    assert {"auth.Group", "authtoken.TokenProxy", "axes.AccessAttempt"} <= labels


def test_admin_cannot_make_role_and_back_office_access_disagree(client):
    from accounts.models import User

    client.force_login(AdminFactory())
    user = create_user(username="clerk", password="x-long-password-1", role=Role.ENTERPRISE)
    url = reverse("admin:accounts_user_change", args=[user.pk])
    data = _change_form_data(client, url)
    data.update({"role": "auditor", "is_active": "on"})
    data.pop("password", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(pk=user.pk)
    assert user.is_staff and not user.is_superuser
    event = AuditEvent.objects.get(action="admin.change", object_id=str(user.pk))
    assert event.after["role"] == "auditor" and event.after["is_staff"] is True


def test_password_change_and_token_issue_are_audited(client, api_client, member):
    from tests.factories import PASSWORD

    client.force_login(member)
    client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Qq-new-pass-2026!",
            "new_password2": "Qq-new-pass-2026!",
        },
    )
    assert AuditEvent.objects.filter(action="user.password_changed", actor=member).exists()
    response = api_client.post(
        reverse("v1:token"), {"username": member.username, "password": "Qq-new-pass-2026!"}
    )
    assert response.status_code == 200
    api_client.post(
        reverse("v1:token"), {"username": member.username, "password": "Qq-new-pass-2026!"}
    )
    assert AuditEvent.objects.filter(action="user.token_issued").count() == 1
