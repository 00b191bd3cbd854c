"""The browser fixtures of tests/e2e, for the workspace's browser tests."""

from tests.e2e.conftest import browser, page  # noqa: F401 - fixtures
