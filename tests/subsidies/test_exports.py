"""CSV and Excel downloads share one contract; the workbook opens with openpyxl and holds
exactly the filtered rows, typed (money as numbers, times as dates); members get none."""

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from datahub.fetching.pipeline import fetch_facts
from qinqing.exports import csv_response, xlsx_response
from tests.factories import (
    AuditorFactory,
    EnterpriseFactory,
    OfficialFactory,
    department,
    district,
    member_of,
)

from .test_api_and_pages import claim_via_api
from .test_claims import officials_pair, policy  # noqa: F401 - fixtures

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def workbook_rows(response) -> list[tuple]:
    assert response["Content-Type"] == XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return list(sheet.iter_rows(values_only=True))


def test_one_contract_two_formats():
    header = ["text", "formula-like", "money", "day", "when", "empty", "count"]
    rows = [["杭州", "=HYPERLINK(\"http://x\")", Decimal("5000.00"), date(2026, 3, 1),
             datetime(2026, 3, 1, 9, 30), None, 7]]  # fmt: skip
    csv_lines = csv_response("x.csv", header, rows).content.decode("utf-8-sig").splitlines()
    assert (
        csv_lines[1] == '杭州,"=HYPERLINK(""http://x"")",5000.00,2026-03-01,2026-03-01T09:30:00,,7'
    )
    response = xlsx_response("x.xlsx", header, rows)
    assert 'filename="x.xlsx"' in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cells = next(sheet.iter_rows(min_row=2))
    assert [cell.value for cell in sheet[1]] == header
    assert cells[1].data_type == "s"  # text, never a formula
    assert cells[2].value == 5000 and cells[2].number_format == "0.00"
    assert cells[3].is_date and cells[3].value == datetime(2026, 3, 1)
    assert cells[4].value == datetime(2026, 3, 1, 9, 30)
    assert cells[5].value is None and cells[6].value == 7


@pytest.mark.django_db(transaction=True)
def test_the_claims_workbook_holds_exactly_the_filtered_rows(api_client, client, policy):  # noqa: F811
    in_xihu = [EnterpriseFactory(district=district("xihu")) for _ in range(2)]
    in_binjiang = EnterpriseFactory(district=district("binjiang"))
    for enterprise in [*in_xihu, in_binjiang]:
        claim_via_api(api_client, member_of(enterprise), enterprise)
    client.force_login(OfficialFactory(department=department("hrss"), district=None))
    rows = workbook_rows(client.get(reverse("subsidies:claims"),
                                    {"district": "xihu", "export": "xlsx"}))  # fmt: skip
    header, data = rows[0], rows[1:]
    assert header[:4] == ("id", "policy", "version", "uscc")
    assert sorted(row[3] for row in data) == sorted(e.uscc for e in in_xihu)
    amount, created = header.index("amount"), header.index("created_at")
    assert all(row[amount] == 5000 and isinstance(row[created], datetime) for row in data)
    everything = workbook_rows(client.get(reverse("subsidies:claims"), {"export": "xlsx"}))
    assert len(everything) == 4
    page = client.get(reverse("subsidies:claims"))
    assert b"export=xlsx" in page.content and b"export=csv" in page.content


@pytest.mark.django_db(transaction=True)
def test_members_cannot_export(api_client, client, policy):  # noqa: F811
    enterprise = EnterpriseFactory()
    member = member_of(enterprise)
    claim_via_api(api_client, member, enterprise)
    client.force_login(member)
    for export_format in ("csv", "xlsx"):
        response = client.get(reverse("subsidies:claims"), {"export": export_format})
        assert response["Content-Type"].startswith("text/html")
    assert b"export=xlsx" not in client.get(reverse("subsidies:claims")).content


@pytest.mark.django_db
def test_the_data_call_log_exports_to_excel(client, enterprise, other_enterprise, member):
    fetch_facts(enterprise, ["tax.arrears"], purpose="claim:1 eligibility check")
    fetch_facts(other_enterprise, ["tax.arrears"], purpose="claim:2 eligibility check")
    fetch_facts(enterprise, ["market.registration_status"], purpose="approval:9 prefill")
    client.force_login(AuditorFactory())
    rows = workbook_rows(client.get(reverse("data_calls"),
                                    {"department": "taxation", "export": "xlsx"}))  # fmt: skip
    assert rows[0][:2] == ("started_at", "department")
    assert len(rows) == 3 and {row[1] for row in rows[1:]} == {"taxation"}
    assert all(isinstance(row[0], datetime) for row in rows[1:])
    assert b"export=xlsx" in client.get(reverse("data_calls")).content
    client.force_login(member)
    assert client.get(reverse("data_calls"), {"export": "xlsx"}).status_code == 403
