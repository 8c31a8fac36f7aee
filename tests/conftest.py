"""Shared fixtures: personas as in healthchecks' tests.

Olivia operates the platform; Alice administers structure A; Bob administers structure B;
Charlie is a person with no admin role.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.smtp_sink import SmtpSink, install
from tests.task_queue import run_ready_tasks

PASSWORD = "correct horse battery staple 42"
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"  # see the `browser` fixture


@pytest.fixture
def structure_a(db: None) -> Structure:
    return factories.make_structure("Centre hospitalier A", domain="ch-a.mssante.fr")


@pytest.fixture
def structure_b(db: None) -> Structure:
    return factories.make_structure("Clinique B", domain="clinique-b.mssante.fr")


@pytest.fixture
def operator(db: None) -> User:
    return factories.make_operator(password=PASSWORD)


@pytest.fixture
def alice(structure_a: Structure) -> User:
    return factories.make_admin(structure_a, "alice@ch-a.fr", PASSWORD)


@pytest.fixture
def bob(structure_b: Structure) -> User:
    return factories.make_admin(structure_b, "bob@clinique-b.fr", PASSWORD)


@pytest.fixture
def charlie(db: None) -> User:
    user = User.objects.create_user("charlie@example.org")
    user.password = factories.password_hash(PASSWORD)
    user.save(update_fields=["password"])
    return user


@pytest.fixture(scope="session")
def smtp_sink_server() -> Iterator[SmtpSink]:
    """One real SMTP server on 127.0.0.1 (random port) for the whole test session."""
    sink = SmtpSink()
    sink.start()
    install(sink)
    yield sink
    sink.stop()


@pytest.fixture(scope="session", autouse=True)
def _email_to_smtp_sink(django_test_environment: None, smtp_sink_server: SmtpSink) -> None:
    """Every test sends its emails over SMTP to the loopback sink (not to files, not mocked).

    Runs after pytest-django's test environment (which would pick the locmem backend).
    """
    from django.conf import settings

    settings.EMAIL_BACKEND = "tests.smtp_backend.SinkBackend"
    settings.EMAIL_HOST = smtp_sink_server.host
    settings.EMAIL_PORT = smtp_sink_server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    smtp_sink_server.before_wait = run_ready_tasks


@pytest.fixture
def smtp_sink(smtp_sink_server: SmtpSink) -> SmtpSink:
    """The loopback SMTP sink, emptied for this test."""
    smtp_sink_server.clear()
    return smtp_sink_server


@pytest.fixture(autouse=True)
def _activity_memo() -> None:
    """Each test starts with an empty activity memo (accounts/activity.py): ids are reused
    between tests, a mailbox remembered by an earlier test would not be stamped."""
    from caducee.accounts import activity

    activity.forget()


def _is_transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    by_marker = bool(
        marker and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences"))
    )
    names = request.fixturenames
    return by_marker or "transactional_db" in names or "live_server" in names


@pytest.fixture
def _django_db_helper(
    _django_db_helper: None, request: pytest.FixtureRequest, django_db_blocker: Any
) -> Iterator[None]:
    """Let transactional tests (live server, browser) empty the append-only audit table.

    On SQLite, the triggers refusing DELETE on audit events would make pytest-django's
    flush fail after each transactional test: they are dropped just before the flush and
    put back before the next test (PostgreSQL's TRUNCATE does not fire them).
    """
    from django.db import connection

    transactional = _is_transactional(request)
    if transactional and connection.vendor == "sqlite":
        with django_db_blocker.unblock():
            _sqlite_audit_triggers(create=True)
    yield
    if transactional and connection.vendor == "sqlite":
        with django_db_blocker.unblock():
            _sqlite_audit_triggers(create=False)


def _sqlite_audit_triggers(*, create: bool) -> None:
    import importlib

    from django.db import connection

    migration = importlib.import_module("caducee.audit.migrations.0002_append_only_triggers")
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        present = {row[0] for row in cursor.fetchall()}
        if create:
            for statement in migration.SQLITE:
                name = statement.split()[2]
                if name not in present:
                    cursor.execute(statement)
        else:
            for statement in migration.SQLITE_DROP:
                cursor.execute(statement)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module that uses it.

    Playwright's sync API runs its event loop in a greenlet of the test thread: while it
    lives, asyncio reports a running loop in that thread, and Django would refuse every
    database call of the test itself (SynchronousOnlyOperation), although nothing runs
    concurrently. DJANGO_ALLOW_ASYNC_UNSAFE is therefore set for the lifetime of this
    fixture only, and removed with it: the other tests, the SMTP services and the `caducee`
    subprocesses run without it, as in production (tests/mail/test_smtp_auth.py checks).
    """
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS

    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ[ASYNC_UNSAFE] = "true"
    try:
        with sync_playwright() as playwright:
            instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield instance
            instance.close()
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="fr-FR")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()
