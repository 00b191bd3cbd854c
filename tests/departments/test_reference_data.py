import pytest

from departments.models import Department, District

pytestmark = pytest.mark.django_db

USED_BY_LATER_ISSUES = [
    "finance",
    "taxation",
    "hrss",
    "housing",
    "planning",
    "market",
    "ndrc",
    "economy",
    "commerce",
    "ecology",
    "emergency",
    "science",
    "construction",
]


def test_hangzhous_fourteen_districts_are_loaded_with_their_codes():
    districts = {d.code: d for d in District.objects.all()}
    assert len(districts) == 14
    assert districts["xihu"].admin_code == "330106"
    assert districts["xihu"].name_zh == "西湖区"
    assert districts["qiantang"].admin_code == "330114"
    assert districts["xihu_scenic"].admin_code is None  # not an administrative division
    assert all(d.admin_code.startswith("3301") for d in districts.values() if d.admin_code)


def test_departments_later_capabilities_rely_on_are_present_and_bilingual():
    departments = {d.code: d for d in Department.objects.all()}
    assert set(USED_BY_LATER_ISSUES) <= set(departments)
    for department in departments.values():
        assert department.name_zh and department.name_en


def test_names_follow_the_active_language():
    from django.utils import translation

    xihu = District.objects.get(code="xihu")
    with translation.override("en"):
        assert str(xihu) == "Xihu District"
    with translation.override("zh-hans"):
        assert str(xihu) == "西湖区"


def test_reference_api_lists_districts_and_departments(api_client, member):
    api_client.force_authenticate(member)
    # Paginated like every list of the API (one page holds them all).
    page = api_client.get("/api/v1/districts/", HTTP_ACCEPT_LANGUAGE="en").json()
    districts = page["results"]
    assert page["count"] == len(districts) == 14
    assert {"code": "xihu", "name": "Xihu District"}.items() <= districts[2].items()
    assert api_client.get("/api/v1/departments/taxation/").status_code == 200
    assert api_client.get("/api/v1/departments/nope/").status_code == 404
