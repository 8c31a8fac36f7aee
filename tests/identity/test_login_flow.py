"""The login state machine without a client: a dict stands for the session."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.identity import login_flow
from caducee.identity.mailboxes import SESSION_KEY
from caducee.identity.models import Security
from caducee.people.models import User
from tests.helpers import ctx_for

Session = dict[str, Any]


def _person(account: Account) -> User:
    assert account.user is not None
    return account.user


def _never_called() -> object:
    raise AssertionError("authenticate must not run while the throttle refuses")


def test_the_second_factor_is_the_browser_then_the_app_then_the_mail() -> None:
    choose = login_flow.second_factor
    assert choose(trusted_browser=True, totp_enabled=True) == login_flow.TRUSTED_BROWSER
    assert choose(trusted_browser=False, totp_enabled=True) == login_flow.TOTP
    assert choose(trusted_browser=False, totp_enabled=False) == login_flow.EMAIL


def test_a_pending_login_lives_twice_the_code_lifetime(pierre: Account, settings: Any) -> None:
    settings.LOGIN_CODE_MINUTES = 10
    assert login_flow.pending_seconds() == 1200
    session: Session = {}
    login_flow.begin(session, _person(pierre), "/suite/", login_flow.EMAIL, now=1000.0)
    assert session[login_flow.PENDING]["next"] == "/suite/"
    found = login_flow.pending(session, now=1000.0 + 1200)
    assert found is not None and found[0] == pierre.user
    assert login_flow.pending(session, now=1000.0 + 1201) is None
    assert login_flow.PENDING not in session  # an expired pending login is forgotten


def test_a_trusted_browser_login_records_no_method_and_no_clock(pierre: Account) -> None:
    session: Session = {}
    login_flow.begin(session, _person(pierre), "", login_flow.TRUSTED_BROWSER)
    assert set(session[login_flow.PENDING]) == {"user", "backend", "next"}
    assert login_flow.finish(session)["user"] == pierre.user_id
    assert login_flow.PENDING not in session


def test_asking_for_a_new_code_restarts_the_clock_and_forgets_reuse(pierre: Account) -> None:
    session: Session = {}
    login_flow.begin(session, _person(pierre), "", login_flow.TOTP, now=10.0)
    login_flow.mark_reused(session)
    login_flow.restart_with_email(session, now=500.0)
    data = session[login_flow.PENDING]
    assert data["method"] == login_flow.EMAIL and data["at"] == 500.0 and "reused" not in data


def test_the_right_password_passes(pierre: Account) -> None:
    step = login_flow.password_step(ctx_for(None), pierre.email, lambda: pierre.user)
    assert step.user == pierre.user and step.error == "" and step.status == 200


def test_a_wrong_password_is_counted_and_answered_generically(pierre: Account) -> None:
    step = login_flow.password_step(ctx_for(None), pierre.email, lambda: None)
    assert step.user is None and step.error == login_flow.GENERIC_LOGIN_ERROR
    assert AuditEvent.objects.filter(action="identity.login_failed").count() == 1


def test_the_failure_that_locks_answers_429_and_the_next_try_never_authenticates(
    pierre: Account, settings: Any
) -> None:
    settings.LOCKOUT_THRESHOLD = 1
    step = login_flow.password_step(ctx_for(None), pierre.email, lambda: None)
    assert step.status == 429 and step.user is None
    again = login_flow.password_step(ctx_for(None), pierre.email, _never_called)
    assert again.status == 429


def test_a_shared_mailbox_is_refused_with_its_own_text(secretariat: Account) -> None:
    step = login_flow.password_step(ctx_for(None), secretariat.email, lambda: None)
    assert step.error == login_flow.shared_mailbox_refusal(secretariat.email)
    assert "boîte partagée" in step.error


def test_a_wrong_code_says_how_many_tries_are_left(pierre: Account) -> None:
    step = login_flow.code_step(ctx_for(None), _person(pierre), "000000", login_flow.EMAIL)
    assert step.user is None
    assert step.error.startswith("Ce code n'est plus valable")  # no code was ever sent


def test_landing_opens_the_default_mailbox_and_goes_home(pierre: Account) -> None:
    session: Session = {}
    assert login_flow.landing(session, _person(pierre), "") == reverse("identity:home")
    assert session[SESSION_KEY] == pierre.pk
    assert login_flow.landing(session, _person(pierre), "/annuaire/") == "/annuaire/"


def test_landing_goes_through_the_cgu_when_a_newer_version_awaits(pierre: Account) -> None:
    Security.objects.update_or_create(user=pierre.user, defaults={"cgu_version": "0.1"})
    session: Session = {}
    target = login_flow.landing(session, _person(pierre), "/annuaire/")
    assert target == f"{reverse('identity:cgu')}?next=%2Fannuaire%2F"
    assert session[login_flow.CGU_PENDING] is True


def test_an_admin_without_a_mailbox_lands_on_the_console(alice: User) -> None:
    session: Session = {}
    assert login_flow.landing(session, alice, "") == reverse("console:home")
    assert session[SESSION_KEY] is None
