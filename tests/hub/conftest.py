import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Facts, breakers and behaviour live in the cache: every test starts from nothing."""
    cache.clear()
    yield
    cache.clear()
