"""Funds and claims: claims by state, money paid, claim-to-cash time, enterprises served
and budgets."""

from django.db import connection
from django.db.models import Count, DateField, F, QuerySet, Sum
from django.db.models.functions import TruncMonth

from subsidies.models import Budget, Claim, Disbursement, DisbursementStatus

from ..models import Tally
from .writing import (
    Grouped,
    MillisecondsBetween,
    bucket_expression,
    by_sql,
    industry_of,
    year_of,
)

# Claims by the month they were made and their state now.
CLAIMS = Grouped(
    "claims",
    lambda: Claim.objects.all(),
    {
        "month": TruncMonth("created_at", output_field=DateField()),
        "policy_id": F("policy_id"),
        "department_id": F("policy__department_id"),
        "district_id": F("enterprise__district_id"),
        "industry": industry_of("enterprise__industry_section"),
        "key": F("status"),
    },
    {"n": Count("id")},
)


def refresh_claims() -> int:
    return CLAIMS.build()


def _paid() -> QuerySet:
    return Disbursement.objects.filter(status=DisbursementStatus.CONFIRMED)


_PAID_DIMS = {
    "policy_id": F("claim__policy_id"),
    "department_id": F("claim__policy__department_id"),
    "district_id": F("claim__enterprise__district_id"),
    "industry": industry_of("claim__enterprise__industry_section"),
}


# Money paid (confirmed by the treasury), by the month it was confirmed.
PAYMENTS = Grouped(
    "payments",
    _paid,
    {"month": TruncMonth("confirmed_at", output_field=DateField()), **_PAID_DIMS},
    {"n": Count("id"), "amount": Sum("amount")},
)

# Milliseconds from the claim (or the batch's offer) to the treasury's confirmation.
CLAIM_TO_CASH = Grouped(
    "claim_to_cash",
    _paid,
    {
        "month": TruncMonth("confirmed_at", output_field=DateField()),
        **_PAID_DIMS,
        "bucket": bucket_expression(MillisecondsBetween("claim__created_at", "confirmed_at")),
    },
    {"n": Count("id")},
)


def refresh_payments() -> int:
    return PAYMENTS.build()


# Persons paid by a version paying persons (issue #26), by the employer's district,
# industry and size class (`key`): counts and amounts, never a name. A person is paid once
# per policy and period, so each row counts persons.
PERSONS_PAID = Grouped(
    "persons_paid",
    lambda: _paid().filter(claim__person__isnull=False),
    {"month": TruncMonth("confirmed_at", output_field=DateField()), **_PAID_DIMS,
     "key": F("claim__enterprise__size_class")},
    {"n": Count("id"), "amount": Sum("amount")},
)  # fmt: skip


def refresh_persons_paid() -> int:
    return PERSONS_PAID.build()


def refresh_claim_to_cash() -> int:
    return CLAIM_TO_CASH.build()


# An enterprise paid by two policies, or in two months, is one enterprise served: distinct
# counts do not add up across policies or months, so they are counted for each period kind
# (all time, a year, a month) and each reach (all policies, a department's, one policy).
# They do add up across districts and industries, which an enterprise has one of each.
SERVED_REACH = {"city": (), "department": ("dep",), "policy": ("dep", "pol")}
_PAID_TEMP = "dashboards_paid_enterprises"


def refresh_served() -> int:
    """Each paid enterprise once per month, policy, district and industry in a temporary
    table (one pass over the payments), then counted for each period kind and reach."""
    paid = (
        _paid()
        .filter(claim__person__isnull=True)  # persons' payments serve persons (persons_paid)
        .order_by()
        .annotate(
            ent=F("claim__enterprise_id"),
            pol=F("claim__policy_id"),
            dep=F("claim__policy__department_id"),
            dis=F("claim__enterprise__district_id"),
            ind=industry_of("claim__enterprise__industry_section"),
            mon=TruncMonth("confirmed_at", output_field=DateField()),
        )
        .values("ent", "pol", "dep", "dis", "ind", "mon")
        .distinct()
    )
    sql, params = paid.query.sql_with_params()
    table = Tally._meta.db_table
    rows = 0
    periods = {"all": None, "year": year_of("mon"), "month": "mon"}
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_PAID_TEMP}")
        cursor.execute(f"CREATE TEMPORARY TABLE {_PAID_TEMP} AS {sql}", params)
        for period, month in periods.items():
            for reach in SERVED_REACH.values():
                groups = [expression for expression in (month, *reach) if expression]
                department = "dep" if "dep" in reach else "NULL"
                policy = "pol" if "pol" in reach else "NULL"
                cursor.execute(
                    f"INSERT INTO {table} (subject, grain, key, month, department_id,"  # noqa: S608
                    f" policy_id, district_id, industry, n)"
                    f" SELECT 'served', 'di', %s, {month or 'NULL'}, {department}, {policy},"
                    f" dis, ind, COUNT(DISTINCT ent) FROM {_PAID_TEMP}"
                    f" GROUP BY {', '.join([*groups, 'dis', 'ind'])}",
                    [period],
                )
                rows += cursor.rowcount
        cursor.execute(f"DROP TABLE {_PAID_TEMP}")
    return rows


def refresh_budgets() -> int:
    """What each policy was given and has set aside (paid comes from the payments rows)."""
    dims = {
        "policy_id": F("version__policy_id"),
        "department_id": F("version__policy__department_id"),
    }
    rows = by_sql("budget_total", Budget.objects.all(), dims, {"amount": Sum("total")})
    return rows + by_sql("budget_reserved", Budget.objects.all(), dims, {"amount": Sum("reserved")})
