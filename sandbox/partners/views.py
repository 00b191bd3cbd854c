"""A partner's webhook receiver, simulated, at /mock/partner/webhooks/ when the sandbox is
installed: it verifies each delivery's signature with the secret of the subscription it
was made for (looked up by its X-Qinqing-Delivery header, as a partner with several
subscriptions would look up the secret it keeps for each), and remembers what it got,
for the demo and the tests.

POST: 200 when the signature holds, 400 when not (unknown delivery, wrong secret, stale
timestamp). `?fail=N` answers 500 to the first N attempts of each delivery (to watch the
retries). GET: what it received, newest first. WEBHOOK_MOCK_ENABLED=false turns it off
even with the sandbox installed.
"""

import json

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from integrations.signing import signing_secret_of_delivery, verify_signature

RECEIVED_KEY = "sandbox:partner:received"
KEEP = 50


def received() -> list[dict]:
    return cache.get(RECEIVED_KEY, [])


def signature_holds(request: HttpRequest, delivery: str) -> bool:
    """The partner's check: the subscription's own secret, over "<timestamp>.<body>"."""
    secret = signing_secret_of_delivery(delivery)
    if secret is None:
        return False
    return verify_signature(
        secret,
        request.headers.get("X-Qinqing-Timestamp", ""),
        request.body,
        request.headers.get("X-Qinqing-Signature", ""),
    )


@csrf_exempt
def webhooks(request: HttpRequest) -> HttpResponse:
    if not settings.WEBHOOK_MOCK_ENABLED:
        raise Http404
    if request.method in ("GET", "HEAD"):
        return JsonResponse({"received": received()})
    if request.method != "POST":
        return JsonResponse({"error": "POST a signed event"}, status=405)
    delivery = request.headers.get("X-Qinqing-Delivery", "")[:20]
    valid = signature_holds(request, delivery)
    try:
        fail = max(0, int(request.GET.get("fail", "0")))
    except ValueError:
        fail = 0
    seen_key = f"sandbox:partner:seen:{delivery}"
    cache.add(seen_key, 0, 3600)
    try:
        seen = cache.incr(seen_key)
    except ValueError:
        seen = 1
    try:
        event = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        event = None
    event_id = event.get("id") if isinstance(event, dict) else None
    answer = 400 if not valid else 500 if seen <= fail else 200
    log = [{"delivery": delivery, "event": event_id,
            "type": request.headers.get("X-Qinqing-Event", "")[:50], "valid": valid,
            "answered": answer}, *received()][:KEEP]  # fmt: skip
    cache.set(RECEIVED_KEY, log, 3600)
    if not valid:
        return JsonResponse({"error": "bad signature"}, status=400)
    if answer == 500:
        return JsonResponse({"error": "simulated failure"}, status=500)
    return JsonResponse({"ok": True})
