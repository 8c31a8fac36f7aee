"""Each purge removes what is dead and keeps the rest."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from caducee.identity.models import ActionLink, LinkPurpose, LoginCode, Throttle
from caducee.mail.models import Outbound, QueueState
from caducee.people.models import User
from caducee.scheduler import purges

pytestmark = pytest.mark.django_db


def test_expired_sessions_are_purged_live_ones_kept() -> None:
    live = SessionStore()
    live["k"] = 1
    live.create()
    dead = SessionStore()
    dead["k"] = 2
    dead.create()
    Session.objects.filter(session_key=dead.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert purges.purge_sessions().startswith("1 session")
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]


def _code(user: User, expires: timedelta, used: timedelta | None = None) -> LoginCode:
    now = timezone.now()
    return LoginCode.objects.create(
        user=user,
        code_hash="s$h",
        created_at=now + expires - timedelta(minutes=10),
        expires_at=now + expires,
        used_at=now + used if used is not None else None,
    )


def _link(token: str, expires: timedelta, used: timedelta | None = None) -> ActionLink:
    now = timezone.now()
    return ActionLink.objects.create(
        purpose=LinkPurpose.RESET,
        token_hash=token,
        expires_at=now + expires,
        used_at=now + used if used is not None else None,
    )


def test_dead_codes_and_links_are_purged_after_the_grace_period(charlie: User) -> None:
    days8, days1 = timedelta(days=-8), timedelta(days=-1)
    old_expired = _code(charlie, days8)
    old_used = _code(charlie, timedelta(minutes=5), used=days8)
    recent_expired = _code(charlie, days1)  # still explains « expiré »
    valid = _code(charlie, timedelta(minutes=5))
    link_old = _link("a" * 64, days8)
    link_used = _link("b" * 64, timedelta(days=20), used=days8)
    link_recent = _link("c" * 64, days1)
    link_valid = _link("d" * 64, timedelta(days=20))
    summary = purges.purge_identity()
    assert summary.startswith("2 code(s) de connexion, 2 lien(s)")
    assert set(LoginCode.objects.values_list("pk", flat=True)) == {recent_expired.pk, valid.pk}
    assert set(ActionLink.objects.values_list("pk", flat=True)) == {link_recent.pk, link_valid.pk}
    assert not LoginCode.objects.filter(pk__in=[old_expired.pk, old_used.pk]).exists()
    assert not ActionLink.objects.filter(pk__in=[link_old.pk, link_used.pk]).exists()


def test_quiet_throttles_are_purged_active_ones_kept() -> None:
    now = timezone.now()
    hour = timedelta(hours=1)
    Throttle.objects.create(key="account:old@x.fr", failures=3, last_failure_at=now - hour)
    Throttle.objects.create(
        key="account:locked@x.fr",
        failures=10,
        last_failure_at=now - timedelta(minutes=1),
        next_allowed_at=now + timedelta(minutes=14),
    )
    Throttle.objects.create(key="ip:10.0.0.1", failures=2, last_failure_at=now)
    purges.purge_identity()
    assert set(Throttle.objects.values_list("key", flat=True)) == {
        "account:locked@x.fr",
        "ip:10.0.0.1",
    }


def _outbound(state: str, done: timedelta | None) -> Outbound:
    now = timezone.now()
    return Outbound.objects.create(
        sender="a@ch-a.mssante.fr",
        recipient="b@ailleurs.mssante.fr",
        domain="ailleurs.mssante.fr",
        path="x/y.eml",
        state=state,
        next_attempt_at=now,
        created_at=now - timedelta(days=60),
        done_at=now + done if done is not None else None,
    )


def test_finished_queue_entries_older_than_the_setting_are_purged(
    settings: pytest.FixtureRequest,
) -> None:
    settings.MAIL_QUEUE_KEEP_DAYS = 30  # type: ignore[attr-defined]
    old = timedelta(days=-31)
    purged = [_outbound(QueueState.SENT, old), _outbound(QueueState.BOUNCED, old)]
    kept = [
        _outbound(QueueState.SENT, timedelta(days=-2)),
        _outbound(QueueState.PENDING, None),
        _outbound(QueueState.SENDING, None),
    ]
    assert purges.purge_mail_queue().startswith("2 entrée")
    assert set(Outbound.objects.values_list("pk", flat=True)) == {o.pk for o in kept}
    assert not Outbound.objects.filter(pk__in=[o.pk for o in purged]).exists()


def test_finished_tasks_are_purged_after_the_keep_days(tmp_path: Path) -> None:
    from django_tasks_db.models import DBTaskResult

    from caducee.tasks.worker import run_ready
    from tests.tasks import probe

    for label in ("old", "recent", "waiting"):
        probe.record.enqueue(str(tmp_path / "trace"), label)
    assert run_ready(limit=2) == 2
    old, _recent = DBTaskResult.objects.filter(status="SUCCESSFUL").order_by("enqueued_at")
    DBTaskResult.objects.filter(pk=old.pk).update(finished_at=timezone.now() - timedelta(days=8))
    assert purges.purge_tasks() == "1 tâche(s) terminée(s) supprimée(s)."
    left = set(DBTaskResult.objects.values_list("status", flat=True))
    assert left == {"SUCCESSFUL", "READY"}
    assert not DBTaskResult.objects.filter(pk=old.pk).exists()
