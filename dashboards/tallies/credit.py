"""Credit: commitments, grades as they stand, and inspections against their 20-day limit."""

from collections import Counter

from django.db.models import Count, DateField, F
from django.db.models.functions import TruncMonth
from django.utils import timezone

from credit.commitments.models import Commitment
from credit.grades.models import CreditGrade
from credit.inspections.models import InspectionSelection, ResultStatus
from qinqing.bulk import bulk_insert

from .writing import by_sql, counted_rows, industry_of, industry_or_unknown, month_of


def refresh_commitments() -> int:
    dims = {
        "month": TruncMonth("accepted_at", output_field=DateField()),
        "department_id": F("department_id"),
        "district_id": F("enterprise__district_id"),
        "industry": industry_of("enterprise__industry_section"),
        "key": F("status"),
    }
    return by_sql("commitments", Commitment.objects.all(), dims, {"n": Count("id")})


def refresh_grades() -> int:
    dims = {
        "district_id": F("enterprise__district_id"),
        "industry": industry_of("enterprise__industry_section"),
        "key": F("grade"),
    }
    return by_sql("grades", CreditGrade.objects.all(), dims, {"n": Count("id")})


def refresh_inspections() -> int:
    """Each drawn enterprise once, keyed by where its result stands against the 20-day
    publication limit: published on time, published late, outstanding, or overdue."""
    now = timezone.now()
    counts: Counter = Counter()
    selections = InspectionSelection.objects.order_by().values_list(
        "draw__drawn_at",
        "draw__campaign__department_id",
        "enterprise__district_id",
        "enterprise__industry_section",
        "result",
        "published_at",
        "draw__results_due",
    )
    for drawn_at, department, district, industry, result, published_at, due in selections.iterator(
        chunk_size=10_000
    ):
        if result != ResultStatus.PENDING and published_at is not None:
            standing = "on_time" if published_at <= due else "late"
        else:
            standing = "overdue" if now > due else "outstanding"
        counts[
            (
                ("month", month_of(drawn_at)),
                ("department_id", department),
                ("district_id", district),
                ("industry", industry_or_unknown(industry)),
                ("key", standing),
            )
        ] += 1
    return len(bulk_insert(counted_rows("inspections", counts)))
