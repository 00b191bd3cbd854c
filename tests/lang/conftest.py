"""The policy fixtures, shared with the policy tests."""

from tests.policies.conftest import officials, published  # noqa: F401
