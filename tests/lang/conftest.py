"""The policy fixtures, shared with the policy tests."""

from tests.policies.conftest import officials, published  # noqa: F401
from tests.subsidies.test_claims import officials_pair, policy  # noqa: F401
