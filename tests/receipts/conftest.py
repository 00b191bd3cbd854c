"""The fixtures the receipts borrow: a paid claim's policy, an approval application."""

from tests.approvals.conftest import applicant, project_package  # noqa: F401
from tests.subsidies.test_claims import officials_pair, policy  # noqa: F401
