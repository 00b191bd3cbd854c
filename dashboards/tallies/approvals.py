"""Project approvals: items by state, the overdue ones, and the working hours to approval."""

from collections import Counter

from django.db.models import Count, DateField, F
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from approvals.models import APPROVED_STATES, Item, ItemPause
from qinqing.bulk import bulk_insert
from qinqing.workhours.clock import working_seconds

from .. import histogram
from .writing import by_sql, counted_rows, industry_of, industry_or_unknown, month_of, pauses_by


def refresh_items() -> int:
    """Items by the month their clock started, their state and their item type. An item of
    an enterprise being established has no enterprise yet: its industry is unknown."""
    items = Item.objects.all()
    base = {
        "month": TruncMonth("started_at", output_field=DateField()),
        "department_id": F("department_id"),
        "district_id": Coalesce("district_id", "application__district_id"),
        "industry": industry_of("application__enterprise__industry_section"),
        "category_id": F("item_type_id"),
    }
    rows = by_sql("items", items, {**base, "key": F("status")}, {"n": Count("id")})
    overdue = items.filter(status__in=("pending", "supplement"), deadline__lt=timezone.now())
    return rows + by_sql("items_overdue", overdue, base, {"n": Count("id")})


def refresh_item_hours() -> int:
    """Working seconds from an item's clock start to its approval, pauses left out."""
    decided = list(
        Item.objects.filter(status__in=APPROVED_STATES, decided_at__isnull=False)
        .order_by()
        .values_list(
            "id",
            "started_at",
            "decided_at",
            "department_id",
            Coalesce("district_id", "application__district_id"),
            "application__enterprise__industry_section",
            "item_type_id",
        )
    )
    has_pauses = set(ItemPause.objects.values_list("item_id", flat=True).distinct())
    pauses = pauses_by(ItemPause, "item", (row[0] for row in decided if row[0] in has_pauses))
    counts: Counter = Counter()
    for item_id, started, decided_at, department, district, industry, item_type in decided:
        seconds = working_seconds(started, decided_at, pauses.get(item_id, ()))
        counts[
            (
                ("month", month_of(decided_at)),
                ("department_id", department),
                ("district_id", district),
                ("industry", industry_or_unknown(industry)),
                ("category_id", item_type),
                ("bucket", histogram.bucket_of(seconds)),
            )
        ] += 1
    return len(bulk_insert(counted_rows("item_hours", counts)))
