"""The platform's jobs: whitelist refresh and directory push, when configured."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import override_settings

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.directory.models import MailboxListing
from caducee.mail.models import WhitelistDomain
from caducee.scheduler import builtin, registry, runner
from caducee.scheduler.models import JobState
from caducee.structures.models import Structure
from tests.directory.test_publication import Sink, sink, with_address  # noqa: F401
from tests.mail.certificates import whitelist_xml

pytestmark = pytest.mark.django_db


def _job(name: str) -> registry.Job:
    job = registry.get(name)
    assert job is not None
    return job


def test_whitelist_job_is_off_without_the_setting() -> None:
    with override_settings(MSSANTE_WHITELIST=""):
        assert "CADUCEE_MSSANTE_WHITELIST" in _job("whitelist").disabled()


def test_whitelist_job_reloads_the_configured_file(tmp_path: Path) -> None:
    xml = tmp_path / "listeblanchemssante.xml"
    xml.write_bytes(whitelist_xml({"a.mssante.fr": "CN=a", "b.mssante.fr": "CN=b"}))
    with override_settings(MSSANTE_WHITELIST=str(xml)):
        assert _job("whitelist").disabled() == ""
        assert runner.run_job(_job("whitelist"), "h")
    assert set(WhitelistDomain.objects.values_list("name", flat=True)) == {
        "a.mssante.fr",
        "b.mssante.fr",
    }
    assert JobState.objects.get(name="whitelist").last_result.endswith("2 domaine(s).")


def test_whitelist_job_records_a_broken_file(tmp_path: Path) -> None:
    xml = tmp_path / "listeblanchemssante.xml"
    xml.write_bytes(b"<pas du xml")
    with override_settings(MSSANTE_WHITELIST=str(xml)):
        assert not runner.run_job(_job("whitelist"), "h")
    assert "Liste blanche illisible" in JobState.objects.get(name="whitelist").last_error


def test_directory_job_is_off_without_a_push_url() -> None:
    with override_settings(DIRECTORY_PUSH_URL=""):
        assert "CADUCEE_DIRECTORY_PUSH_URL" in _job("directory_push").disabled()


def test_directory_job_pushes_changed_structures_only(
    structure_a: Structure,
    structure_b: Structure,
    sink: str,  # noqa: F811
) -> None:
    account: Account = with_address(structure_a, "PER")
    with override_settings(DIRECTORY_PUSH_URL=sink):
        assert builtin.push_directory().startswith("1 structure(s) publiée(s)")
        assert len(Sink.received) == 1
        assert MailboxListing.objects.get(account=account).published_address
        # Nothing changed since: nothing sent, nothing audited.
        events = AuditEvent.objects.filter(action="directory.push").count()
        assert builtin.push_directory().startswith("0 structure(s)")
        assert len(Sink.received) == 1
        assert AuditEvent.objects.filter(action="directory.push").count() == events


def test_directory_job_reports_a_refused_push(structure_a: Structure, sink: str) -> None:  # noqa: F811
    with_address(structure_a, "PER")
    Sink.status = 500
    with override_settings(DIRECTORY_PUSH_URL=sink):
        assert not runner.run_job(_job("directory_push"), "h")
    error = JobState.objects.get(name="directory_push").last_error
    assert "Centre hospitalier A" in error and "HTTP 500" in error
    assert not MailboxListing.objects.filter(published_address__gt="").exists()
