"""The one input guard (qinqing/guard.py): hostile input (NUL bytes, lone surrogates, deep
JSON, huge bodies, oversized rules) is a clear 4xx, JSON under /api/ and the form's own
error on pages, and nothing is written. Reproductions of issue #19, items 2–5 and 11.

NUL bytes only make a 500 on PostgreSQL (SQLite stores them): run this file there too.
"""

import json
from datetime import date, timedelta

import pytest
from django.test import Client
from rest_framework.test import APIClient

from approvals.models import Application
from directline.models import Request
from policies.models import Policy, PolicyVersion
from tests.approvals.conftest import project_package  # noqa: F401 - fixtures
from tests.directline.conftest import categories  # noqa: F401 - fixtures
from tests.factories import EnterpriseFactory, OfficialFactory, department, member_of
from tests.policies.test_lifecycle import SIMPLE_CRITERIA, version_fields

pytestmark = pytest.mark.django_db
TODAY = date.today()
NUL = "a\x00b"
SURROGATE = "a\ud800b"


def api_as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def page_as(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def assert_json_error(response, status: int = 400) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["code"], str) and isinstance(body["detail"], str)
    return body


@pytest.fixture
def requester(categories):  # noqa: F811
    enterprise = EnterpriseFactory()
    return member_of(enterprise), enterprise


@pytest.fixture
def open_request(requester):
    from directline.models import Category
    from directline.services.raising import raise_request

    user, enterprise = requester
    return raise_request(actor=user, enterprise=enterprise,
                         category=Category.objects.get(code="policy_question"),
                         subject="发票问题", description="发票无法开具。")  # fmt: skip


# Item 2: deep JSON -----------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_deeply_nested_json_is_a_400_even_unauthenticated(depth):
    body = "[" * depth + "]" * depth
    response = APIClient().post("/api/v1/auth/token/", body, content_type="application/json")
    assert_json_error(response)


def test_deeply_nested_objects_inside_strings_do_not_count(requester):
    user, enterprise = requester
    text = "[{" * 300
    response = api_as(user).post("/api/v1/requests/", {"enterprise": enterprise.uscc,
                                  "category": "policy_question", "subject": "x",
                                  "description": text}, format="json")  # fmt: skip
    assert response.status_code == 201, response.content


# Item 3: NUL bytes -------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "multipart", "form"])
def test_a_nul_in_a_request_category_is_a_400(requester, fmt):
    user, enterprise = requester
    data = {"enterprise": enterprise.uscc, "category": NUL, "subject": "标题",
            "description": "正文"}  # fmt: skip
    client = api_as(user)
    if fmt == "json":
        response = client.post("/api/v1/requests/", data, format="json")
    elif fmt == "multipart":
        response = client.post("/api/v1/requests/", data, format="multipart")
    else:
        from urllib.parse import urlencode

        response = client.post("/api/v1/requests/", urlencode(data),
                               content_type="application/x-www-form-urlencoded")  # fmt: skip
    if fmt == "json":
        body = assert_json_error(response)
        assert "category" in body.get("fields", {}), body
    else:  # the API takes JSON: refused as NUL (400) or as a body it does not take (415)
        assert response.status_code in (400, 415), response.content
        assert_json_error(response, response.status_code)
    assert not Request.objects.exists()


def test_a_nul_in_a_transfer_department_is_a_400(open_request):
    official = OfficialFactory(department=department("taxation"), district=None)
    response = api_as(official).post(f"/api/v1/requests/{open_request.pk}/transfer/",
                                     {"department": NUL, "reason": "不归我们"},
                                     format="json")  # fmt: skip
    body = assert_json_error(response)
    assert "department" in body["fields"]
    open_request.refresh_from_db()
    assert open_request.department.code == "taxation"


def test_a_nul_in_the_transfer_page_is_answered_not_a_500(open_request):
    official = OfficialFactory(department=department("taxation"), district=None)
    response = page_as(official).post(f"/requests/{open_request.pk}/transfer/",
                                      {"department": NUL, "reason": "不归我们"})  # fmt: skip
    assert response.status_code < 500
    open_request.refresh_from_db()
    assert open_request.department.code == "taxation"


def test_a_nul_in_the_claim_page_enterprise_is_answered_not_a_500(requester):
    user, _enterprise = requester
    response = page_as(user).post("/claims/claim/jobs/", {"uscc": NUL, "enterprise": NUL})
    assert response.status_code < 500


def test_a_nul_in_the_project_start_page_is_answered_not_a_500(project_package):  # noqa: F811
    user = member_of(EnterpriseFactory())
    response = page_as(user).post("/approvals/start/industrial-project/", {"uscc": NUL})
    assert response.status_code < 500
    assert not Application.objects.exists()


def test_a_nul_in_the_address_is_json_under_the_api(requester):
    user, _enterprise = requester
    response = api_as(user).get("/api/v1/requests/?status=a%00b")
    assert_json_error(response)


# Item 4: lone surrogates -----------------------------------------------------------------


@pytest.fixture
def started_application(project_package):  # noqa: F811
    enterprise = EnterpriseFactory()
    user = member_of(enterprise)
    api = api_as(user)
    started = api.post("/api/v1/approvals/applications/",
                       {"package": "industrial-project", "uscc": enterprise.uscc},
                       format="json")  # fmt: skip
    assert started.status_code == 201, started.content
    return api, f"/api/v1/approvals/applications/{started.json()['id']}/"


@pytest.mark.parametrize(
    "answers", [{"project_name": SURROGATE}, {SURROGATE: "x"}, {"a": [{"b": [SURROGATE]}]}]
)
def test_lone_surrogates_anywhere_are_a_400(started_application, answers):
    api, url = started_application
    # The JSON escape, as a client would send it: json.dumps writes "\ud800" for it.
    body = json.dumps({"answers": answers})
    response = api.patch(url, body, content_type="application/json")
    body = assert_json_error(response)
    assert body.get("fields"), body


def test_a_surrogate_in_a_criterion_label_is_a_400(officials_pair):
    author, _ = officials_pair
    criteria = json.loads(json.dumps(SIMPLE_CRITERIA))
    criteria["all"][0]["label"] = {"zh": "\ud800", "en": "x"}
    response = api_as(author).post("/api/v1/policies/jobs/versions/",
                                   json.dumps(draft_body(criteria)),
                                   content_type="application/json")  # fmt: skip
    assert_json_error(response)
    assert PolicyVersion.objects.count() == 0


# Item 5: rule size limits and atomic writes -------------------------------------------


@pytest.fixture
def officials_pair(db):
    author = OfficialFactory(department=department("hrss"), district=None)
    Policy.objects.create(
        code="jobs", department=department("hrss"), title_zh="稳岗补贴", title_en="Jobs",
        summary_zh="补贴", summary_en="Subsidy", legal_basis_zh="第三条",
        benefit_type="employment_subsidy", delivery_mode="automatic",
    )  # fmt: skip
    return author, None


def draft_body(criteria) -> dict:
    body = {**version_fields(), "valid_from": str(TODAY),
            "valid_until": str(TODAY + timedelta(days=30)), "budget": "1000.00"}  # fmt: skip
    body["criteria"] = criteria
    return body


def nested(depth: int) -> dict:
    node = SIMPLE_CRITERIA["all"][0]
    for level in range(depth):
        node = {"not": node} if level % 2 else {"all": [node]}
    return node


@pytest.mark.parametrize("depth", [20, 500])
def test_deep_criteria_are_a_400_naming_the_path_and_nothing_is_saved(officials_pair, depth):
    author, _ = officials_pair
    response = api_as(author).post("/api/v1/policies/jobs/versions/", draft_body(nested(depth)),
                                   format="json")  # fmt: skip
    body = assert_json_error(response)
    if depth == 20:
        assert "criteria" in body["fields"], body
        assert ".not.all[0]" in str(body["fields"]), body
    assert PolicyVersion.objects.count() == 0


def test_a_criteria_tree_with_too_many_leaves_is_a_400(officials_pair):
    author, _ = officials_pair
    leaf = SIMPLE_CRITERIA["all"][1]
    criteria = {"all": [{**leaf, "id": f"c{n}"} for n in range(1200)]}
    response = api_as(author).post("/api/v1/policies/jobs/versions/", draft_body(criteria),
                                   format="json")  # fmt: skip
    body = assert_json_error(response)
    assert "criteria" in body["fields"], body
    assert PolicyVersion.objects.count() == 0


def test_a_body_over_the_size_limit_is_a_413_in_json(officials_pair, settings):
    author, _ = officials_pair
    leaf = SIMPLE_CRITERIA["all"][1]
    criteria = {"all": [{**leaf, "id": f"c{n}"} for n in range(20_000)]}
    body = json.dumps(draft_body(criteria))
    assert len(body) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = api_as(author).post("/api/v1/policies/jobs/versions/", body,
                                   content_type="application/json")  # fmt: skip
    assert_json_error(response, 413)
    assert PolicyVersion.objects.count() == 0


def test_a_bad_draft_already_stored_does_not_break_the_versions_list(officials_pair):
    author, _ = officials_pair
    policy = Policy.objects.get(code="jobs")
    fields = {k: v for k, v in version_fields().items()}
    fields["criteria"] = nested(500)
    PolicyVersion.objects.bulk_create([PolicyVersion(policy=policy, number=1, drafted_by=author,
                                                     **fields)])  # fmt: skip
    response = api_as(author).get("/api/v1/policies/jobs/versions/")
    assert response.status_code == 200, response.content[:300]
    assert len(response.json()) == 1


# Item 11: filters, paging, money, tokens; API answers always JSON ------------------------


@pytest.mark.parametrize(
    "query", ["until=", "since=", "until=yesterday", "page_size=null", "page_size=", "page_size=-1"]
)
def test_bad_filter_and_paging_values_are_a_400(requester, query):
    user, _enterprise = requester
    response = api_as(user).get(f"/api/v1/requests/?{query}")
    body = assert_json_error(response)
    assert query.split("=")[0] in body.get("fields", {}), body


def test_good_filter_and_paging_values_still_work(requester):
    user, _enterprise = requester
    response = api_as(user).get(f"/api/v1/requests/?until={TODAY}&page_size=500")
    assert response.status_code == 200


@pytest.mark.parametrize("budget", ["1_000", "1_000.00", "1e3", "NaN", "Infinity"])
def test_a_budget_with_underscores_or_exponents_is_refused(officials_pair, budget):
    author, _ = officials_pair
    body = draft_body(SIMPLE_CRITERIA)
    body["budget"] = budget
    response = api_as(author).post("/api/v1/policies/jobs/versions/", body, format="json")
    body = assert_json_error(response)
    assert "budget" in body["fields"], body
    assert PolicyVersion.objects.count() == 0


def test_an_expired_token_says_it_expired(db):
    from tests.partners_support import bearer, issue_token, make_partner

    partner, _secret = make_partner(scopes=["claims:read"], department="hrss")
    token = issue_token(partner, expires_in=-60)
    response = APIClient().get("/api/v1/claims/", HTTP_ACCEPT_LANGUAGE="en", **bearer(token))
    body = assert_json_error(response, 401)
    assert "expired" in body["detail"], body
    # In Chinese too (the toolkit's own message is translated: the token itself is asked).
    chinese = APIClient().get("/api/v1/claims/", HTTP_ACCEPT_LANGUAGE="zh-hans", **bearer(token))
    assert assert_json_error(chinese, 401)["detail"] == "访问令牌已过期。"
    unknown = APIClient().get("/api/v1/claims/", **bearer("no-such-token"))
    assert "not provided" not in assert_json_error(unknown, 401)["detail"]


def test_a_csrf_failure_under_the_api_is_json(requester):
    user, enterprise = requester
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    response = client.post("/api/v1/requests/", {"enterprise": enterprise.uscc},
                           content_type="application/json")  # fmt: skip
    assert assert_json_error(response, 403)["code"] == "csrf_failed"


def test_a_form_body_over_the_limit_is_json_under_the_api(requester, settings):
    user, _enterprise = requester
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_as(user).post("/api/v1/requests/", {"description": "x" * 5000},
                                 format="multipart")  # fmt: skip
    assert response.status_code in (400, 413, 415)
    assert_json_error(response, response.status_code)


def test_the_api_takes_json_only_except_uploads(requester):
    user, enterprise = requester
    data = {"enterprise": enterprise.uscc, "category": "policy_question", "subject": "标题",
            "description": "正文"}  # fmt: skip
    response = api_as(user).post("/api/v1/requests/", data, format="multipart")
    assert_json_error(response, 415)
    assert not Request.objects.exists()


# Pages: the refusal is the form's own error, on the field ---------------------------------


@pytest.mark.parametrize("field", ["enterprise", "category", "subject"])
def test_a_nul_in_a_page_form_is_shown_on_its_field(requester, field):
    user, enterprise = requester
    data = {"enterprise": enterprise.pk, "category": "policy_question", "subject": "标题",
            "description": "正文", "send": "1"}  # fmt: skip
    data[field] = NUL
    response = page_as(user).post("/requests/new/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    form = response.context["form"]
    assert "NUL" in " ".join(form.errors[field])
    assert "NUL" in response.content.decode()
    assert not Request.objects.exists()


def test_a_nul_in_a_page_query_string_is_the_400_page(requester):
    user, _enterprise = requester
    response = page_as(user).get("/requests/?q=a%00b")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
