"""Directory tests reuse the real-browser fixtures of tests/browser."""

from tests.browser.conftest import browser, page  # noqa: F401
