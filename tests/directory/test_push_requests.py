"""A push asked from the console or the API: queued, run by the task, retried, never twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import override_settings
from django_tasks_db.models import DBTaskResult

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.core.context import Context, cli_context, context_args
from caducee.core.errors import Invalid, NotFound
from caducee.directory import push_requests
from caducee.directory.models import MailboxListing, PushRequest, PushState
from caducee.directory.operations import assign_mssante_address
from caducee.directory.tasks import push_structure
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.directory.fhir_sink import running_sink
from tests.directory.helpers import listed_account
from tests.task_queue import run_ready_tasks

pytestmark = pytest.mark.django_db

Capture = Callable[..., Any]


def with_address(structure: Structure, kind: str = "PER", **overrides: Any) -> Account:
    account = listed_account(structure, kind, **overrides)
    assign_mssante_address(cli_context(), account, None)
    return account


def ask(capture: Capture, user: User, structure: Structure) -> PushRequest:
    with capture(execute=True):
        request, created = push_requests.request_push(Context(user=user), structure)
    assert created
    return request


def test_it_is_queued_then_pushed_as_the_person_who_asked(
    structure_a: Structure, alice: User, django_capture_on_commit_callbacks: Capture
) -> None:
    with_address(structure_a)
    with_address(structure_a, "ORG")
    with running_sink() as sink, override_settings(DIRECTORY_PUSH_URL=sink.url):
        request = ask(django_capture_on_commit_callbacks, alice, structure_a)
        assert request.state == PushState.QUEUED and not sink.received
        task = DBTaskResult.objects.get()
        assert task.queue_name == "default"
        assert run_ready_tasks() == 1
    request.refresh_from_db()
    assert request.state == PushState.DONE
    assert (request.inserted, request.replaced, request.deleted) == (2, 0, 0)
    assert request.http_status == 200 and request.attempts == 1
    assert len(sink.accepted) == 1
    asked = AuditEvent.objects.get(action="directory.push_request")
    pushed = AuditEvent.objects.get(action="directory.push")
    assert asked.actor == alice and pushed.actor == alice
    assert asked.detail == {"request": request.pk}
    assert pushed.structure == structure_a


@override_settings(TASK_RETRY_SECONDS=0, TASK_RETRY_ATTEMPTS=5)
def test_a_transient_failure_is_retried_and_nothing_is_pushed_twice(
    structure_a: Structure, alice: User, django_capture_on_commit_callbacks: Capture
) -> None:
    with_address(structure_a)
    with running_sink([503, 503]) as sink, override_settings(DIRECTORY_PUSH_URL=sink.url):
        request = ask(django_capture_on_commit_callbacks, alice, structure_a)
        assert run_ready_tasks() == 3
        request.refresh_from_db()
        assert request.state == PushState.DONE and request.attempts == 3
        assert [status for status, _body in sink.received] == [503, 503, 200]
        assert MailboxListing.objects.exclude(published_address="").count() == 1
        # The same task delivered again (duplicate, redelivery): it does nothing.
        push_structure.enqueue(request.pk, context_args(Context(user=alice)))
        assert run_ready_tasks() == 1
        assert len(sink.received) == 3
        # A new request finds nothing changed since the push: nothing sent.
        again = ask(django_capture_on_commit_callbacks, alice, structure_a)
        run_ready_tasks()
        again.refresh_from_db()
        assert again.state == PushState.DONE and again.http_status == 0
        assert len(sink.received) == 3
    assert AuditEvent.objects.filter(action="directory.push").count() == 2


@override_settings(TASK_RETRY_SECONDS=0, TASK_RETRY_ATTEMPTS=2)
def test_it_fails_after_the_last_attempt_and_says_why(
    structure_a: Structure, alice: User, django_capture_on_commit_callbacks: Capture
) -> None:
    with_address(structure_a)
    with running_sink([503, 503, 503]) as sink, override_settings(DIRECTORY_PUSH_URL=sink.url):
        request = ask(django_capture_on_commit_callbacks, alice, structure_a)
        run_ready_tasks()
    request.refresh_from_db()
    assert request.state == PushState.FAILED and request.attempts == 2
    assert "HTTP 503" in request.error
    assert not MailboxListing.objects.exclude(published_address="").exists()


def test_a_refusal_is_final(
    structure_a: Structure, alice: User, django_capture_on_commit_callbacks: Capture
) -> None:
    with_address(structure_a)
    with running_sink([400]) as sink, override_settings(DIRECTORY_PUSH_URL=sink.url):
        request = ask(django_capture_on_commit_callbacks, alice, structure_a)
        assert run_ready_tasks() == 1
    request.refresh_from_db()
    assert request.state == PushState.FAILED and "HTTP 400" in request.error


def test_a_second_request_while_one_waits_is_the_same(
    structure_a: Structure, alice: User, django_capture_on_commit_callbacks: Capture
) -> None:
    with override_settings(DIRECTORY_PUSH_URL="http://127.0.0.1:9/"):
        first = ask(django_capture_on_commit_callbacks, alice, structure_a)
        with django_capture_on_commit_callbacks(execute=True):
            second, created = push_requests.request_push(Context(user=alice), structure_a)
    assert second == first and not created
    assert DBTaskResult.objects.count() == 1


def test_it_validates_ownership(structure_a: Structure, bob: User, charlie: User) -> None:
    with override_settings(DIRECTORY_PUSH_URL="http://127.0.0.1:9/"):
        for outsider in (bob, charlie):
            with pytest.raises(NotFound):
                push_requests.request_push(Context(user=outsider), structure_a)
    assert not PushRequest.objects.exists()


def test_it_needs_a_configured_address(structure_a: Structure, alice: User) -> None:
    with (
        override_settings(DIRECTORY_PUSH_URL=""),
        pytest.raises(Invalid, match="CADUCEE_DIRECTORY_PUSH_URL"),
    ):
        push_requests.request_push(Context(user=alice), structure_a)


def test_someone_who_lost_the_right_pushes_nothing(
    structure_a: Structure, alice: User, django_capture_on_commit_callbacks: Capture
) -> None:
    from caducee.structures.models import StructureAdmin

    with_address(structure_a)
    with running_sink() as sink, override_settings(DIRECTORY_PUSH_URL=sink.url):
        request = ask(django_capture_on_commit_callbacks, alice, structure_a)
        StructureAdmin.objects.filter(user=alice).delete()
        run_ready_tasks()
    request.refresh_from_db()
    assert request.state == PushState.FAILED and not sink.received


def test_a_request_whose_task_was_lost_does_not_block_the_next(
    structure_a: Structure, alice: User
) -> None:
    from datetime import UTC, datetime, timedelta

    with override_settings(DIRECTORY_PUSH_URL="http://127.0.0.1:9/"):
        lost, _ = push_requests.request_push(Context(user=alice), structure_a)  # never run
        PushRequest.objects.filter(pk=lost.pk).update(
            created_at=datetime.now(UTC) - timedelta(hours=3)
        )
        fresh, created = push_requests.request_push(Context(user=alice), structure_a)
    assert created and fresh != lost
    lost.refresh_from_db()
    assert lost.state == PushState.FAILED and "Abandonnée" in lost.error


@override_settings(TASK_RETRY_SECONDS=60, TASK_RETRY_ATTEMPTS=5)
def test_an_unreachable_directory_is_retried_later_with_backoff(
    structure_a: Structure, alice: User, django_capture_on_commit_callbacks: Capture
) -> None:
    import socket
    from datetime import UTC, datetime, timedelta

    with_address(structure_a)
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with override_settings(DIRECTORY_PUSH_URL=f"http://127.0.0.1:{port}/fhir"):
        request = ask(django_capture_on_commit_callbacks, alice, structure_a)
        assert run_ready_tasks() == 1
    request.refresh_from_db()
    assert request.state == PushState.RETRYING and "ne répond pas" in request.error
    later = DBTaskResult.objects.get(status="READY")
    assert later.run_after is not None
    wait = later.run_after - datetime.now(UTC)
    assert timedelta(seconds=50) < wait <= timedelta(seconds=60)
    assert run_ready_tasks() == 0  # not due yet
    with running_sink() as sink, override_settings(DIRECTORY_PUSH_URL=sink.url):
        DBTaskResult.objects.filter(pk=later.pk).update(run_after=datetime.now(UTC))  # time passes
        assert run_ready_tasks() == 1
    request.refresh_from_db()
    assert request.state == PushState.DONE and request.attempts == 2 and not request.error
    assert len(sink.accepted) == 1
