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
