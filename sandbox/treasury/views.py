"""The simulated treasury's HTTP interface, served by the portal under /mock/treasury/
when the sandbox is installed (settings.SANDBOX; TREASURY_MOCK_ENABLED=false turns it off
even then).

It stands in for the treasury's own server so that the domain's HTTP gateway
(subsidies.gateway.HttpTreasury) is exercised for real: sockets, timeouts, status codes,
and a lost answer (504 after the payment was made). Only the portal may call it: the
X-Treasury-Key header must match TREASURY_MOCK_KEY.
"""

import json
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from subsidies.gateway import GatewayError, OutcomeUnknown, PaymentOrder, PaymentRefused

from .simulation import SimulatedTreasury

MAX_ORDERS = 10_000


def _refused(request: HttpRequest) -> HttpResponse | None:
    if not settings.TREASURY_MOCK_ENABLED:
        raise Http404
    if not constant_time_compare(request.headers.get("X-Treasury-Key", ""),
                                 settings.TREASURY_MOCK_KEY):  # fmt: skip
        return JsonResponse({"error": "this interface answers the portal only"}, status=403)
    return None


def _orders(rows: object) -> list[PaymentOrder]:
    if not isinstance(rows, list) or not 0 < len(rows) <= MAX_ORDERS:
        raise ValueError(f"between 1 and {MAX_ORDERS} orders")
    orders = []
    for row in rows:
        if not isinstance(row, dict):
            raise ValueError("each order is an object")
        amount = Decimal(str(row.get("amount", "")))
        key, account, payee = row.get("key"), row.get("account"), row.get("payee", "")
        if not isinstance(payee, str) or len(payee) > 60:
            raise ValueError("a payee is a name of at most 60 characters")
        if not (
            isinstance(key, str)
            and 0 < len(key) <= 80
            and isinstance(account, str)
            and account
            and amount > 0
            and amount == amount.quantize(Decimal("0.01"))
        ):
            raise ValueError("each order needs a key, an account and a positive amount in fen")
        orders.append(PaymentOrder(key, amount, account, payee))
    return orders


def _pay(request: HttpRequest, *, batch: bool) -> HttpResponse:
    if refused := _refused(request):
        return refused
    try:
        body = json.loads(request.body)
        orders = _orders(body.get("orders") if batch else [body])
    except (ValueError, TypeError, AttributeError, InvalidOperation) as error:
        return JsonResponse({"error": f"bad payment order: {error}"}, status=400)
    treasury = SimulatedTreasury()
    try:
        if batch:
            results = treasury.pay_many(orders)
        else:
            results = [treasury.pay(key=orders[0].key, amount=orders[0].amount,
                                    account=orders[0].account)]  # fmt: skip
    except OutcomeUnknown:
        return JsonResponse({"error": "timeout"}, status=504)  # paid; the answer is lost
    except GatewayError as error:
        status = 409 if isinstance(error, PaymentRefused) else 503
        return JsonResponse({"error": str(error)}, status=status)
    rows = [{"key": r.key, "status": r.status, "reference": r.reference} for r in results]
    return JsonResponse({"results": rows} if batch else rows[0])


@csrf_exempt  # called by machines with a key, never by a browser
@require_POST
def payments(request: HttpRequest) -> HttpResponse:
    return _pay(request, batch=False)


@csrf_exempt
@require_POST
def batches(request: HttpRequest) -> HttpResponse:
    return _pay(request, batch=True)


@require_GET
def payment_status(request: HttpRequest, key: str) -> HttpResponse:
    if refused := _refused(request):
        return refused
    result = SimulatedTreasury().status(key=key)
    if result.status == "not_found":
        return JsonResponse({"error": "no payment with this key"}, status=404)
    return JsonResponse({"key": key, "status": result.status, "reference": result.reference})


@csrf_exempt
@require_POST
def collections(request: HttpRequest) -> HttpResponse:
    """Collect money back from an enterprise's account (a recovery order repaid)."""
    if refused := _refused(request):
        return refused
    try:
        order = _orders([json.loads(request.body)])[0]
    except (ValueError, TypeError, AttributeError, InvalidOperation) as error:
        return JsonResponse({"error": f"bad collection order: {error}"}, status=400)
    try:
        result = SimulatedTreasury().collect(key=order.key, amount=order.amount,
                                             account=order.account)  # fmt: skip
    except OutcomeUnknown:
        return JsonResponse({"error": "timeout"}, status=504)
    except GatewayError as error:
        status = 409 if isinstance(error, PaymentRefused) else 503
        return JsonResponse({"error": str(error)}, status=status)
    return JsonResponse({"key": result.key, "status": result.status,
                         "reference": result.reference})  # fmt: skip


@require_GET
def collection_status(request: HttpRequest, key: str) -> HttpResponse:
    if refused := _refused(request):
        return refused
    result = SimulatedTreasury().collection_status(key=key)
    if result.status == "not_found":
        return JsonResponse({"error": "no such collection"}, status=404)
    return JsonResponse({"key": key, "status": result.status, "reference": result.reference})
