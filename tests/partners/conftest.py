from tests.subsidies.conftest import apply_policy, claim_in_review  # noqa: F401 - fixtures
