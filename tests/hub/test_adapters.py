"""Which adapter serves a department: none configured → its facts are unknown with that
reason (never an exception); a department configured in settings over HTTP is read
without any domain code knowing; the portal's own records answer without the sandbox; and
the project starts without the sandbox at all."""

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.utils import translation

from datahub import adapters
from datahub.adapters import close_adapters
from datahub.extracts.refresh import refresh_extract
from datahub.extracts.subjects import extract_departments
from datahub.fetching.pipeline import fetch_facts
from datahub.links import check_configured_departments
from datahub.models import CallOutcome, DataCall
from qinqing.registry import Registry
from tests.factories import EnterpriseFactory

AS_OF = date(2026, 11, 27)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def no_links(monkeypatch, settings):
    """The hub as production has it without the sandbox: no app registered a department,
    settings configure none."""
    monkeypatch.setattr(adapters, "LINKS", Registry("department link"))
    settings.HUB_DEPARTMENTS = {}


@pytest.mark.django_db
def test_a_department_without_an_adapter_answers_unknown_with_the_reason(enterprise, no_links):
    result = fetch_facts(enterprise, ["tax.arrears", "market.registration_status"],
                         purpose="test: eligibility check", as_of=AS_OF)  # fmt: skip
    for name in ("tax.arrears", "market.registration_status"):
        assert result[name].known is False
        assert result[name].value is None
        assert result[name].reason == CallOutcome.NO_PROVIDER
    calls = DataCall.objects.order_by("department__code")
    assert [call.department.code for call in calls] == ["market", "taxation"]
    for call in calls:
        assert call.outcome == CallOutcome.NO_PROVIDER
        assert "no adapter configured" in call.detail
        with translation.override("en"):
            assert call.get_outcome_display() == "Unknown: no adapter configured"


@pytest.mark.django_db
def test_without_an_adapter_a_department_has_no_bulk_extract(enterprise, no_links):
    assert "taxation" not in extract_departments()
    with pytest.raises(ValueError, match="no bulk extract"):
        refresh_extract("taxation", purpose="test: batch matching", as_of=AS_OF)


@pytest.mark.django_db
def test_the_portals_own_records_answer_without_the_sandbox(enterprise, no_links):
    """Credit facts come from the credit app's tables (a local provider), so they need no
    department adapter: they are answered, logged as read locally."""
    result = fetch_facts(enterprise, ["credit.black_list"], purpose="test", as_of=AS_OF)
    assert result["credit.black_list"].known
    assert result["credit.black_list"].value is False
    assert DataCall.objects.get().transport == "local"


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_a_department_configured_over_http_is_read_without_the_registry(live_server, no_links,
                                                                        settings):  # fmt: skip
    """docs/architecture.md's example: one entry in HUB_DEPARTMENTS connects a department
    (here the sandbox's HTTP interface stands in for the tax bureau's server)."""
    settings.HUB_DEPARTMENTS = {
        "taxation": {
            "url": f"{live_server.url}/mock/departments/taxation",
            "headers": {"X-Hub-Key": settings.HUB_MOCK_KEY},
        }
    }
    try:
        enterprise = EnterpriseFactory()
        result = fetch_facts(enterprise, ["tax.arrears", "hrss.insured_employees"],
                             purpose="test", as_of=AS_OF, use_cache=False)  # fmt: skip
        assert result["tax.arrears"].known
        assert result["hrss.insured_employees"].reason == CallOutcome.NO_PROVIDER
        outcomes = dict(DataCall.objects.values_list("transport", "outcome"))
        assert outcomes == {"http": CallOutcome.OK, "none": CallOutcome.NO_PROVIDER}
    finally:
        close_adapters()


def test_a_misspelt_department_configuration_fails_the_checks(settings):
    settings.HUB_DEPARTMENTS = {"taxation": {"ur1": "https://tax.example"}, "hrss": {}}
    errors = {error.id: error.msg for error in check_configured_departments()}
    assert "ur1" in errors["datahub.E002"]
    assert "hrss" in errors["datahub.E003"]
    settings.HUB_DEPARTMENTS = {"taxation": {"url": "https://tax.example"}}
    assert check_configured_departments() == []


def test_the_project_starts_without_the_sandbox():
    environment = {
        **os.environ,
        "QINQING_SANDBOX": "false",
        "DEBUG": "false",
        "SECRET_KEY": "a-check-without-the-sandbox-" + "x" * 40,
        "ALLOWED_HOSTS": "x",
        "DJANGO_SETTINGS_MODULE": "qinqing.settings",
    }
    environment.pop("DATABASE_URL", None)
    check = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=environment,
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert check.returncode == 0, check.stderr
    assert "no issues" in check.stdout
    installed = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c",
         "from django.apps import apps; print(apps.is_installed('sandbox.departments'))"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert installed.stdout.strip().splitlines()[-1] == "False", installed.stderr
