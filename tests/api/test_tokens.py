"""API tokens: expiry, read-only scope, throttled and audited failures (review L7, M5)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from caducee.api.models import ApiToken
from caducee.api.tokens import issue_token
from caducee.audit.models import AuditEvent
from caducee.cli.main import main
from caducee.core.context import cli_context
from caducee.core.errors import Invalid
from caducee.people.models import User
from caducee.structures.models import Structure


def _get(token: str, ip: str = "10.0.0.5") -> Any:
    return Client().get("/api/v1/structures", HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR=ip)


def test_an_expired_token_answers_401(alice: User) -> None:
    token = issue_token(cli_context(), alice, "court", days=1)
    assert _get(token).status_code == 200
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert _get(token).status_code == 401


def test_the_expiry_must_be_sensible(alice: User) -> None:
    with pytest.raises(Invalid, match="entre 1 et 3650"):
        issue_token(cli_context(), alice, "x", days=0)


def test_a_read_only_token_reads_but_never_writes(alice: User, structure_a: Structure) -> None:
    token = issue_token(cli_context(), alice, "lecture", read_only=True)
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert Client().get("/api/v1/structures", **headers).status_code == 200
    response = Client().post(f"/api/v1/structures/{structure_a.pk}/reminders", **headers)
    assert response.status_code == 403
    assert "lecture seule" in response.json()["detail"]
    assert not AuditEvent.objects.filter(action="identity.reminder").exists()
    writer = issue_token(cli_context(), alice, "écriture")
    response = Client().post(
        f"/api/v1/structures/{structure_a.pk}/reminders",
        HTTP_AUTHORIZATION=f"Bearer {writer}",
    )
    assert response.status_code == 201


def test_the_cli_creates_expiring_read_only_tokens(
    alice: User, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["token", "create", "--email", alice.email, "--label", "bi", "--days", "30", "--read-only"]
    )
    assert code == 0
    token = capsys.readouterr().out.strip()
    row = ApiToken.objects.get(prefix=token[:10])
    assert row.read_only
    assert row.expires_at is not None
    assert timedelta(days=29) < row.expires_at - timezone.now() <= timedelta(days=30)
    event = AuditEvent.objects.get(action="api.token_create")
    assert event.detail["read_only"] is True and event.detail["expires_at"]
    assert main(["token", "create", "--email", alice.email, "--days", "0"]) == 1
    assert "nombre de jours" in capsys.readouterr().err


def test_bad_tokens_are_throttled_per_ip_with_a_french_429(alice: User, settings: Any) -> None:
    settings.LOCKOUT_FREE_FAILURES = 3
    settings.LOCKOUT_IP_THRESHOLD = 4  # a lock of LOCKOUT_MINUTES: no timing in the test
    good = issue_token(cli_context(), alice, "bon")
    for _ in range(4):
        assert _get("cad_mauvais").status_code == 401
    response = _get("cad_mauvais")
    assert response.status_code == 429
    assert "Trop de tentatives" in response.json()["detail"]
    assert int(response["Retry-After"]) > 60
    assert _get(good).status_code == 429  # the address waits, whatever it sends
    assert _get(good, ip="10.0.0.6").status_code == 200  # other addresses are not affected


def test_bad_tokens_are_audited_with_bounds(alice: User, settings: Any) -> None:
    settings.LOCKOUT_FREE_FAILURES = 100  # no delay: only the lock stops the flood
    settings.LOCKOUT_IP_THRESHOLD = 30
    for _ in range(30):
        assert _get("cad_inconnu123").status_code == 401
    for _ in range(5):
        assert _get("cad_inconnu123").status_code == 429
    failed = AuditEvent.objects.filter(action="api.token_failed")
    assert failed.count() == 1
    assert failed.get().ip == "10.0.0.5" and failed.get().detail["token"] == "cad_inconn"
    lockout = AuditEvent.objects.get(action="api.token_lockout")
    assert lockout.detail["failures"] == 30
