"""Structure A never sees structure B: every identity URL that takes an object id answers
404 to the admin of another structure, and changes nothing.

The table below must name every URL of the module, so that a new page cannot be added
without deciding whose objects it opens.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.identity import browsers
from caducee.identity.models import ClientCertificate, Reminder, TrustedBrowser
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
    certificate: ClientCertificate  # a client certificate of Pierre, not yet downloaded


@pytest.fixture
def world(structure_a: Structure, paula: Account, pierre: Account) -> World:
    assert pierre.user is not None
    browser, _ = browsers.create(pierre.user, "Firefox sous Linux", "127.0.0.1")
    now = timezone.now()
    certificate = ClientCertificate.objects.create(
        user=pierre.user,
        serial="0A1B2C",
        subject="CN=Pierre Martin",
        not_before=now,
        not_after=now + datetime.timedelta(days=1095),
        created_at=now,
        bundle=b"PKCS#12",
    )
    return World(structure_a, paula, pierre, browser, certificate)


Args = Callable[[World], list[object]]
# url name → (method, arguments naming an object of structure A, who owns it).
OWNED: dict[str, tuple[str, Args, str]] = {
    "remind": ("post", lambda w: [w.structure_a.pk], "alice"),
    "last_reminder": ("get", lambda w: [w.structure_a.pk], "alice"),
    "resend": ("post", lambda w: [w.paula.pk], "alice"),
    "second_factor_reset": ("post", lambda w: [w.pierre.pk], "alice"),
    "browser_revoke": ("post", lambda w: [w.browser.pk], "pierre"),
    # Issue #17: a person's own certificate (an admin of the partner's structure too).
    "certificate_download": ("post", lambda w: [w.certificate.pk], "pierre"),
    "certificate_revoke": ("post", lambda w: [w.certificate.pk], "pierre"),
}
# No object id: the person's own pages, and pages opened by a single-use token.
OWN_OR_TOKEN = {
    "login",
    "code",
    "code_resend",
    "psc_start",
    "psc_callback",
    "psc_choose",  # the posted account must be in the session's PSC list: psc/test_views.py
    "cps_login",  # issue #17: the card's identifier decides (certificates/test_cps.py)
    "cps_choose",  # the posted account must be in the session's list, same card
    "certificate_request",  # the person's own new certificate
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
    world.certificate.refresh_from_db()
    assert world.certificate.revoked_at is None and world.certificate.bundle is not None


@pytest.mark.parametrize("name", sorted(OWNED))
def test_the_owner_reaches_the_same_url(world: World, alice: User, name: str) -> None:
    method, args, who = OWNED[name]
    url = reverse(f"identity:{name}", args=args(world))
    response = getattr(client_for(_owner(world, alice, who)), method)(url)
    assert response.status_code in {200, 302}, url
