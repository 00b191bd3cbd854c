"""Every list of /api/v1/ pages, filters and orders the same way (docs/api.md, "Lists").

The lists are found in the URL resolver (every `<name>-list` route of a viewset's `list`),
so a new list endpoint is walked without being named here. Each must declare
`ordering_fields` and a default `ordering` ending in a unique field; answer the paginated
envelope; respect `page_size`; order by each declared field, both ways, as the database
does (ties broken by the primary key); refuse an unknown ordering field and a bad filter
value with a 400.
"""

from datetime import timedelta

import pytest
from django.urls import get_resolver
from django.utils import timezone
from django_filters import ChoiceFilter, DateFilter, ModelChoiceFilter, NumberFilter
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.test import APIClient

from credit.inspections.models import InspectionCampaign
from integrations import dispatching
from qinqing.api.filters import ordering_names
from qinqing.notifications.models import Notification
from tests.dashboards.conftest import make_policy
from tests.factories import department
from tests.integrations.conftest import record_event_for, subscribe
from tests.security.world import build_world

pytestmark = pytest.mark.django_db

# Who reads each list (default: the auditor, who sees everything in scope of the list).
READER = {
    "notification-list": "member_a",
    "webhook-subscription-list": "member_a",
    "webhook-delivery-list": "member_a",
    "credit-campaign-list": "official_market_xihu",
}
# Lists the world gives fewer than two rows to read (ordering is then only accepted).
FEW_ROWS = {"credit-inspection-list"}


def list_endpoints() -> dict[str, tuple[str, type]]:
    """URL name -> (path, view class) for every list route under /api/v1/."""
    found = {}
    v1 = get_resolver().namespace_dict["v1"][1]

    def walk(resolver, prefix: str) -> None:
        for pattern in resolver.url_patterns:
            route = prefix + str(pattern.pattern)
            if hasattr(pattern, "url_patterns"):
                walk(pattern, route)
                continue
            actions = getattr(pattern.callback, "actions", None) or {}
            if actions.get("get") == "list" and "(?P" not in route and "<" not in route:
                found[pattern.name] = ("/api/v1/" + route.replace("^", "").replace("$", ""),
                                       pattern.callback.cls)  # fmt: skip

    walk(v1, "")
    return found


LISTS = list_endpoints()


def test_the_walk_finds_the_lists():
    assert {"claim-list", "enterprise-list", "request-list", "webhook-delivery-list",
            "district-list", "credit-grade-list"} <= set(LISTS)  # fmt: skip


@pytest.mark.parametrize("name", sorted(LISTS))
def test_each_list_declares_its_ordering(name):
    _path, view = LISTS[name]
    assert ordering_names(view), f"{name}: no ordering_fields"
    default = list(getattr(view, "ordering", None) or [])
    assert default, f"{name}: no default ordering"
    last = default[-1]
    field = last if isinstance(last, str) else last.expression.name
    model = _model(view)
    field = field.removeprefix("-")
    unique = field in ("pk", "id") or model._meta.get_field(field).unique
    assert unique, f"{name}: the default ordering must end in a unique field, not {field}"


def _model(view):
    instance = view()
    instance.action = "list"
    return instance.get_serializer_class().Meta.model


@pytest.fixture
def world(settings, monkeypatch):
    settings.WEBHOOK_ALLOW_PRIVATE_TARGETS = True
    monkeypatch.setattr(dispatching, "enqueue_deliveries", lambda delivery_ids: None)
    world = build_world()
    member = world.users["member_a"]
    subscribe(member, url="http://127.0.0.1:9/a")
    subscribe(member, url="http://127.0.0.1:9/b")
    record_event_for(world.a.enterprise)
    dispatching.dispatch_pending()
    Notification.objects.create(
        recipient=member, kind="claim.paid", title="再一次", link="/claims/",
        created_at=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    make_policy("sec-second-award", "hrss")
    official = world.users["official_market_xihu"]
    for title in ("甲", "乙"):
        InspectionCampaign.objects.create(title=title, department=department("market"),
                                          created_by=official)  # fmt: skip
    return world


def _client(world, name: str) -> APIClient:
    client = APIClient()
    client.force_authenticate(world.users[READER.get(name, "auditor")])
    return client


def _key(view) -> str:
    return "id" if view.lookup_field == "pk" else view.lookup_field


@pytest.mark.parametrize("name", sorted(LISTS))
def test_each_list_pages_and_orders_the_same_way(name, world):
    path, view = LISTS[name]
    client = _client(world, name)
    page = client.get(path)
    assert page.status_code == 200, page.content
    body = page.json()
    assert set(body) == {"count", "next", "previous", "results"}, f"{name} is not paginated"
    if name not in FEW_ROWS:
        assert body["count"] >= 2, f"{name}: the world gives fewer than 2 rows to order"
    one = client.get(path, {"page_size": 1}).json()
    assert len(one["results"]) == min(1, body["count"]) and one["count"] == body["count"]
    assert (one["next"] is not None) == (body["count"] > 1)
    if body["count"] > 1:
        second = client.get(path, {"page_size": 1, "page": 2}).json()
        assert second["previous"] is not None
        assert second["results"][0][_key(view)] != one["results"][0][_key(view)]
    model, key = _model(view), _key(view)
    for field in ordering_names(view):
        for term in (field, f"-{field}"):
            answer = client.get(path, {"ordering": term, "page_size": 200})
            assert answer.status_code == 200, (name, term, answer.content)
            got = [row[key] for row in answer.json()["results"]]
            tie = "-pk" if term.startswith("-") else "pk"
            expected = list(
                model.objects.filter(**{f"{key}__in": got})
                .order_by(term, tie)
                .values_list(key, flat=True)
            )
            assert got == expected, f"{name}: ?ordering={term} does not order"
    unknown = client.get(path, {"ordering": "no_such_field"})
    assert unknown.status_code == 400, f"{name}: unknown ordering was accepted"
    assert "no_such_field" in unknown.json()["fields"]["ordering"][0]


def test_an_unknown_ordering_names_the_allowed_fields(world):
    client = _client(world, "claim-list")
    answer = client.get(
        "/api/v1/claims/", {"ordering": "amount,-secret"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert answer.status_code == 400
    message = answer.json()["fields"]["ordering"][0]
    assert message.startswith("Cannot order by -secret. Order by: created_at,")


def strict_filters(name: str) -> list[str]:
    """The filters of a list that take only some values (choices, dates, numbers, rows):
    free-text filters accept anything, so they have no bad value to refuse."""
    _path, view = LISTS[name]
    filterset_class = DjangoFilterBackend().get_filterset_class(view(), _model(view).objects)
    if filterset_class is None:
        return []
    return [
        filter_name
        for filter_name, flt in filterset_class.base_filters.items()
        if isinstance(flt, ChoiceFilter | ModelChoiceFilter | DateFilter | NumberFilter)
    ]


@pytest.mark.parametrize("name", sorted(name for name in LISTS if strict_filters(name)))
def test_a_bad_filter_value_is_a_400(name, world):
    path, _view = LISTS[name]
    strict = strict_filters(name)
    client = _client(world, name)
    for filter_name in strict:
        answer = client.get(path, {filter_name: "not-a-valid-value"})
        assert answer.status_code == 400, f"{name}: ?{filter_name}=bad was accepted"
        assert filter_name in answer.json()["fields"]
