import pytest
from django.core.cache import cache

from departments.hub import departments_sim
from departments.hub.models import SimulationSetting
from departments.models import Department


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Facts, breakers and behaviour live in the cache: every test starts from nothing."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def simulate(db):
    """simulate("taxation", error_rate=1.0): change how a department behaves, as the admin
    would."""

    def change(department: str, **behaviour) -> SimulationSetting:
        setting, _ = SimulationSetting.objects.update_or_create(
            department=Department.objects.get(code=department),
            defaults={"latency_ms": 0, "jitter_ms": 0, **behaviour},
        )
        departments_sim.forget_behaviour(department)
        return setting

    return change
