"""Policies authored in the portal (issue #21): a new policy and its first version on the
officials' page, the rule builder's any/not groups, test cases added, edited and deleted while
the version is a draft (and in the back office), boundary cases named by their threshold, a
published version's rules in words linked to its legal basis and its batch run, the batch
run's amount paid and times, and the forecast broken down against the budget."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from datahub.extracts.refresh import refresh_extract
from policies import admin as policy_admin
from policies.models import Policy, PolicyTestCase, PolicyVersion, VersionStatus
from policies.services.boundary_cases import generate_boundary_cases
from policies.services.drafts import create_draft
from policies.services.publication import approve, submit_for_approval
from policies.services.test_cases import add_test_case
from qinqing.audit.models import AuditEvent
from qinqing.errors import Refused
from tests.factories import AdminFactory, EnterpriseFactory, OfficialFactory, department, district

from .conftest import TODAY
from .rulesets import LABEL
from .test_lifecycle import PARAMS, version_fields

pytestmark = pytest.mark.django_db

BASIS = "第三条 参保职工不少于十人。\n第四条 依法登记且存续。"
STAFF = {"id": "staff", "label": {"zh": "参保不少于十人", "en": "At least ten insured"},
         "clause": "第三条第一款", "fact": "hrss.insured_employees", "op": "ge",
         "value": {"param": "min_staff"}}  # fmt: skip
ACTIVE = {"id": "active", "label": LABEL, "clause": "第四条", "fact": "market.registration_status",
          "op": "eq", "value": "active"}  # fmt: skip


def policy_data(**overrides) -> dict:
    data = {
        "code": "new-jobs", "title_zh": "新稳岗补贴", "title_en": "New job subsidy",
        "summary_zh": "按参保人数补贴", "summary_en": "Per insured employee",
        "legal_basis_zh": BASIS, "legal_basis_en": "", "benefit_type": "employment_subsidy",
        "delivery_mode": "automatic", "target_industry_sections": "I",
    }  # fmt: skip
    data.update(overrides)
    return data


def builder_data(rows: list[dict], groups: list[dict] | None = None, match="all") -> dict:
    """The builder's POST: terms and formula, criterion rows, groups."""
    data = {
        "match": match, "valid_from": TODAY.isoformat(),
        "valid_until": (TODAY + timedelta(days=300)).isoformat(), "budget": "100000000.00",
        "per_enterprise_cap": "", "claim_period": "yearly", "rounding": "half_up",
        "parameters": '{"min_staff": {"type": "integer", "values": [{"from": "2026-01-01", '
                      '"value": 10, "reference": "第三条"}]}}',
        "benefit": '{"amount": "5000.00"}', "notes": "",
        "criteria-TOTAL_FORMS": len(rows), "criteria-INITIAL_FORMS": 0,
        "criteria-MIN_NUM_FORMS": 0, "criteria-MAX_NUM_FORMS": 1000,
        "groups-TOTAL_FORMS": 3, "groups-INITIAL_FORMS": 0, "groups-MIN_NUM_FORMS": 0,
        "groups-MAX_NUM_FORMS": 3,
    }  # fmt: skip
    for index, row in enumerate(rows):
        for key, value in row.items():
            if value is True:
                data[f"criteria-{index}-{key}"] = "on"
            elif value is not False:
                data[f"criteria-{index}-{key}"] = value
    for index in range(3):
        data[f"groups-{index}-kind"] = "any"
    for index, group in enumerate(groups or []):
        for key, value in group.items():
            data[f"groups-{index}-{key}"] = value
    return data


def row(criterion_id: str, fact: str, op: str, value: str, clause="第三条", **extra) -> dict:
    return {"id": criterion_id, "label_zh": "条件", "label_en": "condition", "clause": clause,
            "fact": fact, "op": op, "value": value, "include_low": True, "include_high": True,
            **extra}  # fmt: skip


ANY_GROUP_ROWS = [
    row("active", "market.registration_status", "eq", "active", clause="第四条"),
    row("staff", "hrss.insured_employees", "ge", "@min_staff", group="1"),
    row("big", "hrss.insured_employees", "ge", "500", group="1"),
]


@pytest.fixture
def author():
    return OfficialFactory(department=department("hrss"), district=None, username="author1")


@pytest.fixture
def checker():
    return OfficialFactory(department=department("hrss"), district=None, username="checker1")


# --- A new policy ---------------------------------------------------------------------------


def test_an_official_creates_a_policy_with_its_first_version_and_an_any_group(client, author):
    client.force_login(author)
    assert client.get(reverse("policies:official_new_policy")).status_code == 200
    groups = [{"kind": "any", "label_zh": "规模", "label_en": "Size"}]
    data = {**policy_data(), **builder_data(ANY_GROUP_ROWS, groups)}
    response = client.post(reverse("policies:official_new_policy"), data)
    policy = Policy.objects.get(code="new-jobs")
    version = policy.versions.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("policies:official_version", args=[version.pk])
    assert policy.department == author.department
    assert policy.target_industry_sections == ["I"]
    assert version.number == 1 and version.status == VersionStatus.DRAFT
    assert version.drafted_by == author
    assert version.criteria["all"][0]["id"] == "active"
    group = version.criteria["all"][1]
    assert [child["id"] for child in group["any"]] == ["staff", "big"]
    assert group["any"][0]["value"] == {"param": "min_staff"}
    assert group["label"] == {"zh": "规模", "en": "Size"}
    assert AuditEvent.objects.filter(action="policy.created").count() == 1
    # The department's list offers the new policy and its version.
    listing = client.get(reverse("policies:official_list")).content.decode()
    assert "新稳岗补贴" in listing and reverse("policies:official_new_policy") in listing


def test_a_bad_first_version_leaves_no_policy_behind(client, author):
    client.force_login(author)
    rows = [row("staff", "hrss.insured_employees", "ge", "many")]
    response = client.post(reverse("policies:official_new_policy"),
                           {**policy_data(), **builder_data(rows)})  # fmt: skip
    assert response.status_code == 200
    assert "criteria.all[0].value" in str(response.context["formset"].forms[0].errors["value"])
    assert not Policy.objects.filter(code="new-jobs").exists()
    # A code in use is refused on its field.
    fields = {k: v for k, v in policy_data().items() if k != "target_industry_sections"}
    Policy.objects.create(**fields, department=department("hrss"))
    response = client.post(reverse("policies:official_new_policy"),
                           {**policy_data(), **builder_data(ANY_GROUP_ROWS)})  # fmt: skip
    assert response.status_code == 200 and "code" in response.context["policy_form"].errors
    assert Policy.objects.filter(code="new-jobs").count() == 1


def test_an_enterprise_member_cannot_create_a_policy(client):
    from tests.factories import member_of

    member = member_of(EnterpriseFactory(), username="m1")
    client.force_login(member)
    response = client.post(reverse("policies:official_new_policy"),
                           {**policy_data(), **builder_data(ANY_GROUP_ROWS)})  # fmt: skip
    assert response.status_code == 403
    assert not Policy.objects.exists()


def test_a_group_label_in_one_language_only_is_refused_on_the_group(client, author):
    client.force_login(author)
    data = {**policy_data(), **builder_data(ANY_GROUP_ROWS, [{"label_zh": "规模"}])}
    response = client.post(reverse("policies:official_new_policy"), data)
    assert response.status_code == 200
    assert "criteria.all[1].label" in str(response.context["groups"].forms[0].errors)
    assert not Policy.objects.exists()


def test_a_policy_made_without_a_version_gets_its_first_on_the_page(client, author, policy):
    client.force_login(author)
    listing = client.get(reverse("policies:official_list")).content.decode()
    url = reverse("policies:official_first", args=[policy.code])
    assert url in listing
    assert client.get(url).status_code == 200
    response = client.post(url, builder_data(ANY_GROUP_ROWS))
    version = policy.versions.get()
    assert response["Location"] == reverse("policies:official_version", args=[version.pk])
    assert version.criteria["all"][1]["any"][1]["id"] == "big"
    # Once it has one, new versions copy the latest.
    assert client.get(url)["Location"] == reverse("policies:official_list")
    client.force_login(OfficialFactory(department=department("taxation")))
    other = Policy.objects.create(**{**{k: v for k, v in policy_data().items()
                                        if k != "target_industry_sections"}, "code": "other"},
                                  department=department("hrss"))  # fmt: skip
    assert client.get(reverse("policies:official_first", args=[other.code])).status_code == 404


# --- The builder's groups -------------------------------------------------------------------


@pytest.fixture
def policy():
    return Policy.objects.create(**{k: v for k, v in policy_data().items()
                                    if k != "target_industry_sections"},
                                 department=department("hrss"))  # fmt: skip


def test_the_builder_shows_and_saves_any_and_not_groups(client, author, policy):
    criteria = {"any": [{"not": ACTIVE}, {"not": {"any": [STAFF]}}]}
    draft = create_draft(policy=policy, actor=author, **version_fields(criteria=criteria))
    client.force_login(author)
    page = client.get(reverse("policies:official_edit", args=[draft.pk]))
    assert page.context["flat"] is True  # editable rows, not "edit the JSON through the API"
    assert page.context["form"].initial["match"] == "any"
    rows = page.context["formset"].initial
    assert [(r["id"], r["negate"], r["group"]) for r in rows] == [("active", True, ""),
                                                                 ("staff", False, "1")]  # fmt: skip
    assert page.context["groups"].initial[0]["kind"] == "not_any"
    # Saved back: a negated row, a "none of" group, and a new "not all of" group.
    rows = [
        row("active", "market.registration_status", "eq", "active", negate=True),
        row("staff", "hrss.insured_employees", "ge", "@min_staff", group="1"),
        row("big", "hrss.insured_employees", "ge", "500", group="2"),
        row("tiny", "hrss.insured_employees", "lt", "3", group="2"),
    ]
    response = client.post(reverse("policies:official_edit", args=[draft.pk]),
                           builder_data(rows, [{"kind": "not_any"}, {"kind": "not_all"}],
                                        match="any"))  # fmt: skip
    assert response.status_code == 302, response.context and response.context["form"].errors
    draft.refresh_from_db()
    assert draft.criteria["any"][0] == {"not": {**ACTIVE, "label": {"zh": "条件",
                                                                    "en": "condition"},
                                                "clause": "第三条"}}  # fmt: skip
    assert draft.criteria["any"][1]["not"]["any"][0]["id"] == "staff"
    assert [c["id"] for c in draft.criteria["any"][2]["not"]["all"]] == ["big", "tiny"]


def test_a_rule_error_inside_a_group_lands_on_its_row(client, author, policy):
    draft = create_draft(policy=policy, actor=author, **version_fields())
    client.force_login(author)
    rows = [row("active", "market.registration_status", "eq", "active"),
            row("staff", "hrss.insured_employees", "ge", "many", group="1")]  # fmt: skip
    response = client.post(reverse("policies:official_edit", args=[draft.pk]),
                           builder_data(rows))  # fmt: skip
    assert response.status_code == 200
    errors = response.context["formset"].forms[1].errors
    assert "criteria.all[1].any[0].value" in str(errors["value"])


# --- Test cases -----------------------------------------------------------------------------


def test_test_cases_are_added_edited_and_deleted_on_the_page(client, author, checker, policy):
    EnterpriseFactory.create_batch(3)
    for code in ("hrss", "market"):
        refresh_extract(code, purpose="test", as_of=TODAY)
    draft = create_draft(policy=policy, actor=author, **version_fields(
        valid_from=TODAY - timedelta(days=1), valid_until=TODAY + timedelta(days=30)))  # fmt: skip
    client.force_login(author)
    url = reverse("policies:official_version", args=[draft.pk])
    assert "null</textarea>" not in client.get(url).content.decode()  # an empty form
    response = client.post(url, {"action": "add_case", "case-name": "a wrong case",
                                 "case-facts": '{"hrss.insured_employees": 12}',
                                 "case-expected_status": "",
                                 "case-expected_criteria": '{"staff": false}',
                                 "case-expected_amount": ""})  # fmt: skip
    assert response.status_code == 302
    case = draft.test_cases.get()
    assert case.expected_criteria == {"staff": False}
    # Wrong: it blocks publication.
    generate_boundary_cases(draft)
    submit_for_approval(draft, actor=author)
    client.force_login(checker)
    client.post(url, {"action": "approve"})
    draft.refresh_from_db()
    assert draft.status == VersionStatus.AWAITING_APPROVAL
    client.post(url, {"action": "send_back", "reason": "a test case is wrong"})
    # Its author corrects it, then deletes it.
    client.force_login(author)
    edit_url = reverse("policies:official_case", args=[draft.pk, case.pk])
    assert client.get(edit_url).context["form"].initial["name"] == "a wrong case"
    response = client.post(edit_url, {"case-name": "twelve insured qualify",
                                      "case-facts": '{"hrss.insured_employees": 12}',
                                      "case-expected_status": "",
                                      "case-expected_criteria": '{"staff": true}',
                                      "case-expected_amount": ""})  # fmt: skip
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.name == "twelve insured qualify" and case.expected_criteria == {"staff": True}
    response = client.post(url, {"action": "delete_case", "case": case.pk})
    assert response.status_code == 302
    assert not draft.test_cases.filter(pk=case.pk).exists()
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"policy_version.test_case_added", "policy_version.test_case_edited",
            "policy_version.test_case_deleted"} <= actions  # fmt: skip
    # Published, nothing changes any more.
    submit_for_approval(draft, actor=author)
    approve(draft, actor=checker)
    kept = draft.test_cases.first()
    response = client.post(url, {"action": "delete_case", "case": kept.pk})
    assert draft.test_cases.filter(pk=kept.pk).exists()
    with pytest.raises(Refused):
        from policies.services.test_cases import delete_test_case

        delete_test_case(kept, actor=author)


def test_a_bad_test_case_is_refused_on_its_field(client, author, policy):
    draft = create_draft(policy=policy, actor=author, **version_fields())
    client.force_login(author)
    response = client.post(reverse("policies:official_version", args=[draft.pk]),
                           {"action": "add_case", "case-name": "x", "case-facts": '{"no.such": 1}',
                            "case-expected_criteria": "not json"})  # fmt: skip
    assert response.status_code == 400
    form = response.context["case_form"]
    assert "expected_criteria" in form.errors
    assert not draft.test_cases.exists()
    response = client.post(reverse("policies:official_version", args=[draft.pk]),
                           {"action": "add_case", "case-name": "x",
                            "case-facts": '{"no.such": 1}'})  # fmt: skip
    assert "no.such" in str(response.context["case_form"].errors["facts"])
    # Another department's official finds neither the version nor its cases.
    add_test_case(draft, actor=author, name="kept", facts={"hrss.insured_employees": 3})
    case = draft.test_cases.get()
    client.force_login(OfficialFactory(department=department("taxation")))
    response = client.post(reverse("policies:official_version", args=[draft.pk]),
                           {"action": "delete_case", "case": case.pk})  # fmt: skip
    assert response.status_code == 404 and PolicyTestCase.objects.filter(pk=case.pk).exists()


def test_generated_cases_are_named_by_their_threshold(author, policy):
    draft = create_draft(policy=policy, actor=author, **version_fields())
    names = {case.name for case in generate_boundary_cases(draft)}
    assert "staff: hrss.insured_employees at threshold 10 − 1" in names
    assert "staff: hrss.insured_employees at threshold = 10" in names
    assert "staff: hrss.insured_employees at threshold 10 + 1" in names
    assert not any("threshold 1 " in name for name in names)


def test_the_back_office_saves_a_version_with_generated_cases(author, policy):
    draft = create_draft(policy=policy, actor=author, **version_fields())
    generate_boundary_cases(draft)
    request = RequestFactory().post("/")
    request.user = AdminFactory()
    inline = policy_admin.TestCaseInline(PolicyVersion, admin.site)
    formset_class = inline.get_formset(request, draft)
    cases = list(draft.test_cases.all())
    data = {"test_cases-TOTAL_FORMS": len(cases), "test_cases-INITIAL_FORMS": len(cases),
            "test_cases-MIN_NUM_FORMS": 0, "test_cases-MAX_NUM_FORMS": 1000}  # fmt: skip
    for index, case in enumerate(cases):
        data[f"test_cases-{index}-id"] = case.pk
        data[f"test_cases-{index}-version"] = draft.pk
        form = formset_class.form(instance=case)
        for name, field in form.fields.items():
            value = form.initial.get(name)
            if name == "id":
                value = case.pk
            elif name == "version":
                value = draft.pk
            elif hasattr(field, "prepare_value") and value is not None:
                value = field.prepare_value(value)
            if value is True:
                value = "on"
            if value not in (None, False):
                data[f"test_cases-{index}-{name}"] = value
    formset = formset_class(data, instance=draft, prefix="test_cases")
    assert formset.is_valid(), formset.errors
    formset.save()
    assert draft.test_cases.filter(expected_status="").count() == len(cases)


# --- A published version, its batch run and the forecast ------------------------------------


@pytest.fixture
def published_any(author, checker, policy, django_capture_on_commit_callbacks):
    EnterpriseFactory.create_batch(4, district=district("xihu"), size_class="small")
    EnterpriseFactory.create_batch(2, district=district("binjiang"), size_class="medium",
                                   industry_section="C", industry_division="13")  # fmt: skip
    for code in ("hrss", "market"):
        refresh_extract(code, purpose="test", as_of=TODAY)
    criteria = {"all": [ACTIVE, {"any": [STAFF, {"not": {**STAFF, "id": "few", "op": "lt",
                                                          "value": 100000}}]}]}  # fmt: skip
    params = {"min_staff": {**PARAMS["min_staff"], "values": [
        {"from": "2026-01-01", "value": 10, "reference": "第三条"}]}}  # fmt: skip
    draft = create_draft(policy=policy, actor=author, **version_fields(
        criteria=criteria, parameters=params, valid_from=TODAY - timedelta(days=1),
        valid_until=TODAY + timedelta(days=30)))  # fmt: skip
    generate_boundary_cases(draft)
    with django_capture_on_commit_callbacks(execute=True):  # the batch run starts on commit
        approve(submit_for_approval(draft, actor=author), actor=checker)
    draft.refresh_from_db()
    return draft


def test_a_published_version_reads_as_words_linked_to_its_legal_basis(client, author,
                                                                      published_any):  # fmt: skip
    client.force_login(author)
    with translation.override("zh-hans"):
        page = client.get(reverse("policies:official_version", args=[published_any.pk]))
    html = page.content.decode()
    assert page.context["words"] is not None
    assert '"fact"' not in html and "hrss.insured_employees" not in html.split("test-cases")[0]
    assert "参保不少于十人" in html
    assert "≥ 10" in html
    # Each criterion's clause links to its paragraph of the legal basis.
    assert '<a class="scope-note" href="#clause-1">第三条第一款</a>' in html
    assert '<a class="scope-note" href="#clause-2">第四条</a>' in html
    assert '<p id="clause-1">第三条 参保职工不少于十人。</p>' in html
    assert "¥5,000.00" in html


def test_a_published_version_links_to_its_batch_run_which_shows_the_amount_paid(
    client, author, published_any
):
    from subsidies.models import BatchRun, Claim, ClaimStatus

    run = BatchRun.objects.get(version=published_any)
    client.force_login(author)
    page = client.get(reverse("policies:official_version", args=[published_any.pk]))
    assert reverse("subsidies:batch_run", args=[run.pk]) in page.content.decode()
    paid = Claim.objects.filter(version=published_any, status=ClaimStatus.PAID)
    total = sum((claim.amount for claim in paid), Decimal("0.00"))
    assert paid.exists()
    with translation.override("en"):
        response = client.get(
            reverse("subsidies:batch_run", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en"
        )
    html = response.content.decode()
    assert f"¥{total:,.2f}" in html
    assert "a.m." not in html and "p.m." not in html
    assert reverse("policies:official_version", args=[published_any.pk]) in html


def test_the_forecast_breaks_down_by_district_industry_and_size(client, author, published_any):
    client.force_login(author)
    page = client.get(reverse("policies:official_version", args=[published_any.pk]),
                      {"forecast": "1"})  # fmt: skip
    breakdown = page.context["breakdown"]
    assert [d.key for d in breakdown.dimensions] == ["district", "industry", "size"]
    forecast = page.context["forecast"]
    assert breakdown.reach == forecast.eligible and breakdown.cost == forecast.total_cost
    for dimension in breakdown.dimensions:
        assert sum(r.reach for r in dimension.rows) == forecast.eligible
        assert sum(r.cost for r in dimension.rows) == forecast.total_cost
    html = page.content.decode()
    for key in ("district", "industry", "size"):
        assert f'id="forecast-{key}"' in html
    assert 'class="budget-line"' in html and "¥100,000,000.00" in html
