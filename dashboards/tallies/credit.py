"""Credit: commitments, grades as they stand, and inspections against their 20-day limit."""

from collections import Counter

from django.db.models import CharField, Count, DateField, F, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from credit.commitments.models import Commitment
from credit.grades.scoring import grade_for
from credit.grades.selectors import scoring_model_in_force
from credit.inspections.models import InspectionSelection, ResultStatus
from enterprises.models import Enterprise
from qinqing.bulk import bulk_insert

from .writing import Grouped, by_sql, counted_rows, industry_of, industry_or_unknown, month_of

COMMITMENTS = Grouped(
    "commitments",
    lambda: Commitment.objects.all(),
    {
        "month": TruncMonth("accepted_at", output_field=DateField()),
        "department_id": F("department_id"),
        "district_id": F("enterprise__district_id"),
        "industry": industry_of("enterprise__industry_section"),
        "key": F("status"),
    },
    {"n": Count("id")},
)


def refresh_commitments() -> int:
    return COMMITMENTS.build()


def refresh_grades() -> int:
    """Every enterprise in the register under its grade now. An enterprise without a grade
    row has never had a record and holds the base grade of the model in force (as the hub
    answers for it, credit.hub), so it is counted there, not left out."""
    model = scoring_model_in_force()
    base = grade_for(model.base_score, model.thresholds)
    dims = {
        "district_id": F("district_id"),
        "industry": industry_of("industry_section"),
        "key": Coalesce(F("credit_grade__grade"), Value(base), output_field=CharField()),
    }
    return by_sql("grades", Enterprise.objects.all(), dims, {"n": Count("id")})


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
