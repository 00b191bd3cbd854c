"""Hostile strings into every form field and every serializer field: a validation error,
never an exception (on PostgreSQL a NUL byte or a lone surrogate that reaches a query is a
500: issue 19, items 2-4).

Every Django form and every DRF serializer of the project's packages is found by walking
the packages (a new one is covered without being listed here), bound with hostile input
and validated inside a savepoint:
- the sweep: each field on its own, with each of HOSTILE (deterministic, exhaustive);
- hypothesis: every field at once, drawn from HOSTILE and arbitrary text (derandomized,
  EXAMPLES per class).
A form or serializer that cannot be built here without a page's own objects is built by
BUILDERS; one that cannot be built at all fails the test, with its name.
"""

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from tests.factories import EnterpriseFactory, OfficialFactory, department, district, member_of

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
set_hypothesis_home_dir(str(ROOT / "var" / "hypothesis"))
PACKAGES = (
    "qinqing", "accounts", "departments", "enterprises", "partners", "datahub", "policies",
    "subsidies", "approvals", "credit", "directline", "dashboards", "integrations", "sandbox",
)  # fmt: skip
EXAMPLES = 15


def _nested(depth: int) -> Any:
    value: Any = 1
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


HOSTILE: tuple[Any, ...] = (
    "a\x00b",
    "\x00",
    "a\ud800b",  # a lone surrogate: not encodable as UTF-8
    "\udfff",
    "1" + "0" * 400,  # 10^400
    "-1" + "0" * 400,
    "1e400",
    "1_000",
    "NaN",
    "Infinity",
    "１２３",  # full-width digits
    "٣",
    "2026-02-30",
    "9" * 40,
    "x" * 200_000,
    "[" * 1000 + "]" * 1000,  # deep JSON, as text
    '{"a":' * 500 + "1" + "}" * 500,
    '{"\ud800": 1}',
    "\u202e",
)
# What a parsed JSON body can hold besides strings (serializers read parsed data; the
# parser refuses bodies nested deeper than JSON_MAX_DEPTH).
HOSTILE_PARSED: tuple[Any, ...] = (
    _nested(60),
    {"\ud800": "x", "a\x00": "y"},
    ["a\x00b"],
    [0] * 10_000,
    10**400,
    -(10**30),
    1e308,
    True,
    None,
)
# ValidationError and what forms/serializers are meant to raise for bad input.
EXPECTED = (DjangoValidationError, DRFValidationError)


@dataclass
class World:
    member: Any
    official: Any
    request: Any
    api_request: Request
    sheet_fields: list


def modules() -> Iterator[str]:
    for package in PACKAGES:
        root = importlib.import_module(package)
        yield package
        for info in pkgutil.walk_packages(root.__path__, f"{package}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            yield info.name


def project_classes(base: type) -> list[type]:
    for name in modules():
        importlib.import_module(name)
    found, todo = set(), [base]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if sub.__module__.split(".")[0] in PACKAGES and not _abstract_base(sub):
                found.add(sub)
    return sorted(found, key=lambda cls: (cls.__module__, cls.__qualname__))


def _abstract_base(cls: type) -> bool:
    """The guarded ModelForm base itself (qinqing.forms): a base with no model, subclassed."""
    return (
        issubclass(cls, forms.ModelForm)
        and getattr(getattr(cls, "Meta", None), "model", None) is None
    )


# Forms and serializers whose construction needs more than data (what their views pass).
BUILDERS: dict[str, Callable[[type, Any, World], Any]] = {
    "SheetForm": lambda cls, data, w: cls(w.sheet_fields, data=data),
}
KEYWORDS: dict[str, Callable[[World], Any]] = {
    "user": lambda w: w.member,
    "scope": lambda w: _scope_of(w.official),
    "today": lambda w: date.today(),
    "current": lambda w: {},
    "choices": lambda w: [("a", "A")],
    "request": lambda w: w.request,
    "decision": lambda w: "reject",
}


def _scope_of(user: Any) -> Any:
    from dashboards.scope import scope_of

    return scope_of(user)


def build_form(cls: type, data: dict, world: World) -> forms.BaseForm:
    if cls.__name__ in BUILDERS:
        return BUILDERS[cls.__name__](cls, data, world)
    kwargs = {
        name: KEYWORDS[name](world)
        for name, parameter in inspect.signature(cls.__init__).parameters.items()
        if name in KEYWORDS and (parameter.kind is parameter.KEYWORD_ONLY or name == "request")
    }
    return cls(data=data, **kwargs)


def concrete(cls: type) -> bool:
    """Not a list wrapper, nor a base ModelSerializer without a model (subclassed)."""
    if issubclass(cls, serializers.ListSerializer):
        return False
    return not issubclass(cls, serializers.ModelSerializer) or hasattr(
        getattr(cls, "Meta", None), "model"
    )


def build_serializer(cls: type, data: Any, world: World) -> serializers.BaseSerializer:
    if cls.__name__ in BUILDERS:
        return BUILDERS[cls.__name__](cls, data, world)
    return cls(data=data, context={"request": world.api_request, "view": None})


def form_keys(form: forms.BaseForm) -> dict[str, list[str]]:
    """Each field's names in the submitted data (a MultiWidget reads name_0, name_1...)."""
    keys = {}
    for name, field in form.fields.items():
        if isinstance(field, forms.FileField):
            continue
        widget = field.widget
        prefixed = form.add_prefix(name)
        if isinstance(widget, forms.MultiWidget):
            keys[name] = [f"{prefixed}_{i}" for i in range(len(widget.widgets))]
        else:
            keys[name] = [prefixed]
    return keys


def serializer_keys(serializer: serializers.BaseSerializer) -> dict[str, list[str]]:
    if isinstance(serializer, serializers.ListSerializer):
        return {}
    return {
        name: [name]
        for name, field in serializer.fields.items()
        if not field.read_only and not isinstance(field, serializers.FileField)
    }


def attempt(build: Callable[[], Any], failures: list[str], label: str) -> None:
    """Bind and validate inside a savepoint; anything but a validation error is a failure."""
    try:
        with transaction.atomic():
            build().is_valid()
    except EXPECTED:
        pass
    except Exception as error:
        failures.append(f"{label}: {type(error).__name__}: {str(error)[:160]!r}")


@pytest.fixture
def world(rf) -> World:
    from approvals.models import ServicePackage
    from approvals.sheet import fields_of
    from tests.approvals.conftest import _packages_installed
    from tests.directline.conftest import categories_installed

    _packages_installed()
    categories_installed()
    member = member_of(EnterpriseFactory(district=district("xihu")))
    official = OfficialFactory(department=department("market"), district=district("xihu"))
    request = rf.post("/")
    request.user = member
    api_request = Request(APIRequestFactory().post("/"))
    api_request.user = member
    package = ServicePackage.objects.get(code="industrial-project")
    return World(member, official, request, api_request, list(fields_of(package)))


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else f"{text[:30]}...({len(text)} chars)"


def sweep(kind: str, classes: list[type], build: Callable, keys_of: Callable, world: World):
    failures: list[str] = []
    unbuildable: list[str] = []
    cases = 0
    for cls in classes:
        try:
            keys = keys_of(build(cls, {}, world))
        except Exception as error:
            unbuildable.append(f"{cls.__module__}.{cls.__qualname__}: {error!r}"[:200])
            continue
        values = HOSTILE if kind == "form" else HOSTILE + HOSTILE_PARSED
        for name, names in keys.items():
            for value in values:
                data = dict.fromkeys(names, value)
                cases += 1
                attempt(
                    lambda cls=cls, data=data: build(cls, data, world),
                    failures,
                    f"{cls.__module__}.{cls.__qualname__}.{name} = {_short(value)}",
                )
    return failures, unbuildable, cases


def report(kind: str, failures, unbuildable, cases, classes, capsys) -> None:
    with capsys.disabled():
        print(f"\nhostile {kind}s: {len(classes)} classes, {cases} cases")  # noqa: T201
    unique = sorted(set(failures))
    assert not unique, f"{len(unique)} {kind} fields raised:\n" + "\n".join(unique[:80])
    assert not unbuildable, f"{kind}s this test cannot build (add a BUILDER):\n" + "\n".join(
        unbuildable
    )


def test_every_form_field_refuses_hostile_strings(world, capsys):
    classes = [cls for cls in project_classes(forms.BaseForm) if not cls.__name__.startswith("_")]
    assert len(classes) > 15  # the walk found the project's forms
    failures, unbuildable, cases = sweep("form", classes, build_form, form_keys, world)
    report("form", failures, unbuildable, cases, classes, capsys)


@pytest.mark.long
def test_every_serializer_field_refuses_hostile_values(world, capsys):
    classes = [cls for cls in project_classes(serializers.BaseSerializer) if concrete(cls)]
    assert len(classes) > 30  # the walk found the project's serializers
    failures, unbuildable, cases = sweep(
        "serializer", classes, build_serializer, serializer_keys, world
    )
    report("serializer", failures, unbuildable, cases, classes, capsys)


hostile_text = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=50))


def combinations(kind: str, classes, build, keys_of, world) -> tuple[list[str], int]:
    """Every field at once, drawn by hypothesis: EXAMPLES per class."""
    failures: list[str] = []
    cases = 0
    for cls in classes:
        try:
            keys = keys_of(build(cls, {}, world))
        except Exception:  # noqa: S112 - reported by the sweep
            continue
        if not keys:
            continue
        cases += _combine(cls, keys, kind, build, world, failures)
    return failures, cases


def _combine(cls: type, keys: dict, kind: str, build: Callable, world: World, failures) -> int:
    values = hostile_text if kind == "form" else st.one_of(
        hostile_text, st.sampled_from(HOSTILE_PARSED)
    )  # fmt: skip
    names = [key for group in keys.values() for key in group]
    cases = 0

    @settings(
        max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
        suppress_health_check=list(HealthCheck), phases=["explicit", "generate"],
    )  # fmt: skip
    @given(data=st.fixed_dictionaries({}, optional=dict.fromkeys(names, values)))
    def run(data):
        nonlocal cases
        cases += 1
        attempt(lambda: build(cls, data, world), failures, f"{cls.__qualname__}({data!r:.120})")

    run()
    return cases


def test_hostile_combinations_in_forms_and_serializers(world, capsys):
    forms_ = [cls for cls in project_classes(forms.BaseForm) if not cls.__name__.startswith("_")]
    serializers_ = [cls for cls in project_classes(serializers.BaseSerializer) if concrete(cls)]
    form_failures, form_cases = combinations("form", forms_, build_form, form_keys, world)
    serializer_failures, serializer_cases = combinations(
        "serializer", serializers_, build_serializer, serializer_keys, world
    )
    with capsys.disabled():
        print(  # noqa: T201
            f"\nhypothesis hostile combinations: {form_cases} form cases, "
            f"{serializer_cases} serializer cases"
        )
    unique = sorted(set(form_failures + serializer_failures))
    assert not unique, f"{len(unique)} raised:\n" + "\n".join(unique[:60])
