from tests.approvals.conftest import establishment_package  # noqa: F401 - fixtures
from tests.subsidies.conftest import apply_policy  # noqa: F401
