"""Reading recovery orders, scoped (qinqing.scoping), and their figures."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from qinqing.scoping import visible_to

from .models import OPEN_STATES, OrderStatus, RecoveryOrder


def orders_visible_to(user: Any) -> QuerySet[RecoveryOrder]:
    return visible_to(user, RecoveryOrder).select_related("enterprise", "claim__policy", "appeal")


def totals(orders: QuerySet[RecoveryOrder]) -> dict[str, Any]:
    """Recovered and outstanding, in yuan (a waived order owes nothing more)."""
    zero = Decimal("0.00")
    every = orders.aggregate(recovered=Sum("recovered"))
    still = orders.filter(status__in=OPEN_STATES).aggregate(
        amount=Sum("amount"), recovered=Sum("recovered")
    )
    return {
        "recovered": every["recovered"] or zero,
        "outstanding": (still["amount"] or zero) - (still["recovered"] or zero),
        "open": orders.filter(status__in=OPEN_STATES).count(),
        "waived": orders.filter(status=OrderStatus.WAIVED).count(),
    }
