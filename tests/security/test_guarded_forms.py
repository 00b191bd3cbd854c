"""Every form of the project runs the input guard before cleaning (qinqing.forms), and its
messages name the field in the user's language."""

import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest
from django import forms
from django.apps import apps
from django.utils import translation

from qinqing.forms import GuardedForm, is_guarded

ROOT = Path(__file__).resolve().parents[2]


def _ours(path: Path) -> bool:
    """A file of the project, not of a library (a virtualenv may live inside the checkout:
    `make install` puts .venv there)."""
    return path.is_relative_to(ROOT) and "site-packages" not in path.parts


def project_form_classes() -> list[type]:
    """Every Form subclass declared in the project's own apps (their modules imported)."""
    for config in apps.get_app_configs():
        if not _ours(Path(config.path).resolve()):
            continue
        for info in pkgutil.walk_packages([config.path], prefix=f"{config.name}."):
            if ".migrations" in info.name or ".tests" in info.name:
                continue
            importlib.import_module(info.name)
    found = set()
    pending = [forms.BaseForm]
    while pending:
        for sub in pending.pop().__subclasses__():
            pending.append(sub)
            module = inspect.getmodule(sub)
            path = Path(getattr(module, "__file__", "") or "/").resolve()
            if _ours(path) and "tests" not in path.parts:
                found.add(sub)
    return sorted(found, key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


def test_every_project_form_uses_the_guard():
    classes = project_form_classes()
    assert len(classes) > 15  # the walk found the forms (not a test that cannot fail)
    unguarded = [f"{c.__module__}.{c.__qualname__}" for c in classes if not is_guarded(c)]
    assert not unguarded, f"forms without qinqing.forms.GuardedForm: {unguarded}"


class Sample(GuardedForm):
    subject = forms.CharField(label="Subject", max_length=5)
    count = forms.IntegerField(label="Count", required=False)
    share = forms.DecimalField(label="Share", max_digits=5, decimal_places=2, required=False)
    months = forms.IntegerField(label="Months", max_value=120, required=False)


@pytest.mark.django_db
def test_a_model_choice_with_a_nul_is_a_field_error_before_any_query(
    django_assert_num_queries,
):
    from departments.models import Department

    class Pick(GuardedForm):
        department = forms.ModelChoiceField(queryset=Department.objects.all(), label="Dept")

    form = Pick(data={"department": "a\x00b"})
    with django_assert_num_queries(0):
        assert not form.is_valid()
    assert "NUL" in form.errors["department"][0] and "Dept" in form.errors["department"][0]


@pytest.mark.parametrize("value", ["a\x00b", "a\ud800b"])
def test_hostile_text_is_an_error_on_its_field(value):
    form = Sample(data={"subject": value})
    assert not form.is_valid()
    assert "Subject" in form.errors["subject"][0]


def test_messages_name_the_field_in_chinese():
    with translation.override("zh-hans"):
        form = Sample(data={"subject": "x" * 9, "count": "9" * 5000, "share": "1_000",
                            "months": "9" * 40})  # fmt: skip
        assert not form.is_valid()
        errors = {name: " ".join(messages) for name, messages in form.errors.items()}
    assert "该变量" not in errors["subject"] and "Subject" in errors["subject"]
    assert "请输入" not in errors["count"] and "Count" in errors["count"]
    assert "Share" in errors["share"]
    assert "Months" in errors["months"] and "120" in errors["months"]


def test_plain_values_still_clean():
    form = Sample(data={"subject": "abc", "count": "12", "share": "12.50", "months": "3"})
    assert form.is_valid(), form.errors
