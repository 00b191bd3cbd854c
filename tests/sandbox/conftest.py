"""The demo city is built on committed data, as `make run` has it. Tests on committed data
empty every table afterwards, the rows the migrations load included, so they are put back
first, by the migrations' own functions."""

from importlib import import_module

import pytest
from django.apps import apps

from approvals.models import ServicePackage
from departments.models import Department, District
from departments.services import sync_reference_data
from directline.models import Category


@pytest.fixture
def migrated_rows(transactional_db) -> None:
    if not District.objects.exists():
        sync_reference_data(District, Department)
    if not ServicePackage.objects.exists():
        import_module("approvals.migrations.0002_starting_packages").install(apps, None)
    if not Category.objects.exists():
        import_module("directline.migrations.0002_categories_and_rules").load(apps, None)
