"""Directory tests use the real-browser fixtures of tests/conftest.py."""
