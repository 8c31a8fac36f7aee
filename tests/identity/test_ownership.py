"""Structure A never sees structure B: every identity URL that takes an object id answers
404 to the admin of another structure, and changes nothing.

The table below must name every URL of the module, so that a new page cannot be added
without deciding whose objects it opens.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.identity import browsers
from caducee.identity.models import Reminder, TrustedBrowser
from caducee.identity.urls import urlpatterns
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.helpers import client_for


@dataclass
class World:
    structure_a: Structure
    paula: Account  # pre-registered in A
    pierre: Account  # valid in A, with a remembered browser
    browser: TrustedBrowser


@pytest.fixture
def world(structure_a: Structure, paula: Account, pierre: Account) -> World:
    assert pierre.user is not None
    browser, _ = browsers.create(pierre.user, "Firefox sous Linux", "127.0.0.1")
    return World(structure_a, paula, pierre, browser)


Args = Callable[[World], list[object]]
# url name → (method, arguments naming an object of structure A, who owns it).
OWNED: dict[str, tuple[str, Args, str]] = {
    "remind": ("post", lambda w: [w.structure_a.pk], "alice"),
    "last_reminder": ("get", lambda w: [w.structure_a.pk], "alice"),
    "resend": ("post", lambda w: [w.paula.pk], "alice"),
    "second_factor_reset": ("post", lambda w: [w.pierre.pk], "alice"),
    "browser_revoke": ("post", lambda w: [w.browser.pk], "pierre"),
}
# No object id: the person's own pages, and pages opened by a single-use token.
OWN_OR_TOKEN = {
    "login",
    "code",
    "code_resend",
    "psc_start",
    "psc_callback",
    "psc_choose",  # the posted account must be in the session's PSC list: psc/test_views.py
    "logout",
    "home",
    "switch",  # the mailbox id is checked by may_open: tests/identity/test_mailboxes.py
    "security",
    "logout_everywhere",
    "totp",
    "totp_disable",
    "sms",  # the person's own mobile (issue #17 point 4)
    "sms_disable",
    "password_change",
    "forgot",
    "reset",
    "finalise",
    "cgu",
    "setup",
    "set_password",
}


def test_the_table_names_every_url_of_the_module() -> None:
    names = {p.name for p in urlpatterns}
    assert names == set(OWNED) | OWN_OR_TOKEN


def _owner(world: World, alice: User, who: str) -> User:
    if who == "alice":
        return alice
    assert world.pierre.user is not None
    return world.pierre.user


@pytest.mark.parametrize("name", sorted(OWNED))
def test_another_structures_admin_gets_404_and_changes_nothing(
    world: World, alice: User, bob: User, name: str
) -> None:
    method, args, _ = OWNED[name]
    url = reverse(f"identity:{name}", args=args(world))
    before = AuditEvent.objects.count()
    response = getattr(client_for(bob), method)(url)
    assert response.status_code == 404, url
    assert AuditEvent.objects.count() == before
    assert not Reminder.objects.exists()
    world.browser.refresh_from_db()
    assert world.browser.revoked_at is None


@pytest.mark.parametrize("name", sorted(OWNED))
def test_the_owner_reaches_the_same_url(world: World, alice: User, name: str) -> None:
    method, args, who = OWNED[name]
    url = reverse(f"identity:{name}", args=args(world))
    response = getattr(client_for(_owner(world, alice, who)), method)(url)
    assert response.status_code in {200, 302}, url
