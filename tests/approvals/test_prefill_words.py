"""A corrected prefilled answer is the applicant's: the sheet no longer says it came from
the planning bureau, it says what the bureau's records said; and a prefilled "nothing" is
said in words, never "None"."""

import pytest
from django.urls import reverse

from approvals.display import prefill_sources
from approvals.models import Application
from approvals.services.applications import save_answers, start_application
from approvals.sheet import fields_of
from departments.models import Department

from .conftest import FIVE_ITEM_PROJECT, applicant, project_package  # noqa: F401

pytestmark = pytest.mark.django_db


def test_a_corrected_land_use_is_the_applicant_s_answer(client, applicant, project_package):  # noqa: F811
    user, enterprise = applicant
    application = start_application(package=project_package, actor=user, enterprise=enterprise)
    prefill = {**application.prefill, "land_use_type": {
        "source": "hub", "fact": "planning.land_use_type", "department": "planning",
        "value": "none", "fetched_at": "2026-12-01T02:00:00+00:00"}}  # fmt: skip
    Application.objects.filter(pk=application.pk).update(
        prefill=prefill, answers={**application.answers, "land_use_type": "none"})  # fmt: skip
    planning = Department.objects.get(code="planning").name_en
    client.force_login(user)
    edit = reverse("approvals:edit", args=[application.pk])
    before = client.get(edit, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Filled in from {planning} (Main land use)" in before
    save_answers(application.pk, actor=user, answers={**FIVE_ITEM_PROJECT,
                                                      "land_use_type": "industrial"})  # fmt: skip
    after = client.get(edit, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"Filled in from {planning} (Main land use)" not in after
    assert (
        f"Your answer. The records of {planning} said: <strong>nothing recorded</strong>" in after
    )
    review = client.get(reverse("approvals:review", args=[application.pk]),
                        HTTP_ACCEPT_LANGUAGE="en").content.decode()  # fmt: skip
    assert f"Your answer; the records of {planning} said: nothing recorded" in review
    assert f"From {planning}" not in review
    assert "<strong>None</strong>" not in after and "(was None)" not in review
    application.refresh_from_db()
    source = prefill_sources(application, fields_of(project_package))["land_use_type"]
    assert source.changed and source.value_text == "nothing recorded"
