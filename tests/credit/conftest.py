"""Credit fixtures: two enterprises with members, officials of two departments (one
district-scoped), an auditor."""

import pytest
from django.core.cache import cache

from tests.factories import AuditorFactory, OfficialFactory, department, district


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Hub facts live in the cache: every test starts from nothing."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def market_official(db):
    """Market Supervision, city-wide."""
    return OfficialFactory(department=department("market"), district=None)


@pytest.fixture
def market_binjiang(db):
    """Market Supervision, Binjiang only."""
    return OfficialFactory(department=department("market"), district=district("binjiang"))


@pytest.fixture
def tax_official(db):
    return OfficialFactory(department=department("taxation"), district=None)


@pytest.fixture
def auditor(db):
    return AuditorFactory()
