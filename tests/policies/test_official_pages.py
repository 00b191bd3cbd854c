"""The officials' pages: the rule builder puts each rule error on its row and field, drafts
save through the services, and the four-eyes actions work from the page."""

import pytest
from django.urls import reverse

from policies.models import PolicyVersion, VersionStatus
from policies.services.drafts import create_draft

from .conftest import TODAY
from .test_lifecycle import version_fields

pytestmark = pytest.mark.django_db


def builder_post(version, client, **row_overrides):
    page = client.get(reverse("policies:official_edit", args=[version.pk]))
    assert page.status_code == 200
    form, formset = page.context["form"], page.context["formset"]
    data = {f"criteria-{key}": value for key, value in {
        "TOTAL_FORMS": len(formset.forms), "INITIAL_FORMS": formset.initial_form_count(),
        "MIN_NUM_FORMS": 0, "MAX_NUM_FORMS": 1000}.items()}  # fmt: skip
    for index, row in enumerate(formset.forms):
        for name, field in row.fields.items():
            value = row.initial.get(name, field.initial)
            if isinstance(value, bool):
                if value:
                    data[f"criteria-{index}-{name}"] = "on"
            elif value is not None:
                data[f"criteria-{index}-{name}"] = value
    data.update({f"criteria-0-{key}": value for key, value in row_overrides.items()})
    for name, field in form.fields.items():
        data[name] = (
            field.prepare_value(form.initial.get(name, ""))
            if hasattr(field, "prepare_value")
            else form.initial.get(name, "")
        )
        if data[name] is None:
            data[name] = ""
    return client.post(reverse("policies:official_edit", args=[version.pk]), data)


def test_the_list_shows_only_the_officials_department(client, published, officials):
    client.force_login(officials[0])
    assert [p.code for p in client.get(reverse("policies:official_list")).context["policies"]] \
        == ["jobs"]  # fmt: skip
    from tests.factories import OfficialFactory, department

    client.force_login(OfficialFactory(department=department("taxation")))
    assert list(client.get(reverse("policies:official_list")).context["policies"]) == []
    # Another department's version: not found, as everywhere.
    version = published.versions.get()
    assert client.get(reverse("policies:official_version", args=[version.pk])).status_code == 404


def test_a_new_version_copies_the_published_one_and_the_builder_saves_it(
    client, published, officials
):
    client.force_login(officials[0])
    response = client.post(reverse("policies:official_new", args=["jobs"]))
    draft = PolicyVersion.objects.get(policy=published, number=2)
    assert response["Location"] == reverse("policies:official_edit", args=[draft.pk])
    saved = builder_post(draft, client, value="25")
    assert saved.status_code == 302, saved.context["formset"].errors
    draft.refresh_from_db()
    assert draft.criteria["all"][0]["value"] == 25
    assert draft.status == VersionStatus.DRAFT


def test_a_rule_error_lands_on_its_row_and_field(client, published, officials):
    client.force_login(officials[0])
    draft = create_draft(policy=published, actor=officials[0], **version_fields())
    response = builder_post(draft, client, value="many")
    assert response.status_code == 200
    row_errors = response.context["formset"].forms[0].errors
    assert "criteria.all[0].value" in str(row_errors["value"])
    draft.refresh_from_db()
    assert draft.criteria["all"][0]["value"] == {"param": "min_staff"}  # nothing saved


def test_four_eyes_from_the_page(client, published, officials):
    author, approver = officials
    draft = create_draft(policy=published, actor=author, **version_fields(
        valid_from=TODAY, benefit={"amount": "7000.00"}))  # fmt: skip
    url = reverse("policies:official_version", args=[draft.pk])
    client.force_login(author)
    client.post(url, {"action": "generate"})
    client.post(url, {"action": "submit"})
    client.post(url, {"action": "approve"})  # refused: four eyes
    assert PolicyVersion.objects.get(pk=draft.pk).status == VersionStatus.AWAITING_APPROVAL
    client.force_login(approver)
    page = client.get(url, {"forecast": 1})
    assert page.context["can_approve"] and page.context["forecast"].within_budget
    client.post(url, {"action": "approve"})
    assert PolicyVersion.objects.get(pk=draft.pk).status == VersionStatus.PUBLISHED
