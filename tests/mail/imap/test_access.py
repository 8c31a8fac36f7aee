"""Who may log in over IMAP, and to which mailbox: application passwords only, a deactivated
account refused at once (an open session cut at its next command), shared (ORG) mailboxes
through `mailbox*login` for their connection accounts only, every action traced to the
person."""

from __future__ import annotations

import imaplib

import pytest

from caducee.accounts.connections import add_connection_accounts, remove_connection_account
from caducee.accounts.models import Account
from caducee.accounts.operations import deactivate_account
from caducee.audit.models import AuditEvent
from caducee.core.context import cli_context
from caducee.mail import operations
from caducee.mail.imap.server import ImapService
from caducee.mail.models import Message
from tests.mail.conftest import user_of
from tests.mail.imap.conftest import client_tls, connect, deliver, joined, logged_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_plain_login_needs_tls_off_loopback(imap: ImapService, martine: Account) -> None:
    client = connect(imap)
    caps = client.capability()[1]
    assert b"STARTTLS" in caps[0] and b"AUTH=PLAIN" in caps[0]  # loopback, as Dovecot
    client.starttls(ssl_context=client_tls())
    caps = client.capability()[1]
    assert b"STARTTLS" not in caps[0] and b"AUTH=PLAIN" in caps[0]
    client.logout()


def test_authenticate_plain(imap: ImapService, martine: Account, app_password: str) -> None:
    client = connect(imap)
    client.starttls(ssl_context=client_tls())
    login = user_of(martine).email
    typ, _ = client.authenticate("PLAIN", lambda _: f"\0{login}\0{app_password}".encode())
    assert typ == "OK"
    client.select("INBOX")
    client.logout()


def test_a_deactivated_account_is_refused_and_its_session_cut(
    imap: ImapService, martine: Account, app_password: str
) -> None:
    deliver(martine, "Avant")
    open_session = logged_in(imap, user_of(martine).email, app_password)
    open_session.select("INBOX")
    deactivate_account(cli_context(), martine)
    with pytest.raises(imaplib.IMAP4.abort, match="desactive"):
        open_session.noop()
    client = connect(imap)
    client.starttls(ssl_context=client_tls())
    # Deactivation revokes the person's access: the password is refused like any wrong one.
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        client.login(user_of(martine).email, app_password)


def test_a_connection_account_opens_the_org_mailbox_as_themself(
    imap: ImapService, martine: Account, secretariat: Account, app_password: str
) -> None:
    row = deliver(secretariat, "Demande de rendez-vous")
    deliver(martine, "Personnel")
    mail = logged_in(imap, f"{secretariat.email}*{user_of(martine).email}", app_password)
    assert mail.select("INBOX")[1] == [b"1"]  # the ORG inbox, not Martine's own
    assert b"Demande de rendez-vous" in joined(mail.fetch("1", "(BODY[])")[1])
    mail.uid("STORE", "1", "+FLAGS", "(\\Flagged)")
    mail.logout()
    assert Message.objects.get(pk=row.pk).seen and Message.objects.get(pk=row.pk).flagged
    events = AuditEvent.objects.filter(acting_as=secretariat.email, channel="imap")
    assert {e.action for e in events} >= {"mail.imap_login", "mail.read", "mail.mark"}
    assert {e.actor_label for e in events} == {user_of(martine).email}


def test_others_cannot_open_the_org_mailbox(
    imap: ImapService,
    martine: Account,
    paul: Account,
    outsider: Account,
    secretariat: Account,
    app_password: str,
) -> None:
    for person in (paul, outsider):
        password = operations.create_app_password(cli_context(), user_of(person), "Outlook")
        client = connect(imap)
        client.starttls(ssl_context=client_tls())
        with pytest.raises(imaplib.IMAP4.error, match="AUTHORIZATIONFAILED"):
            client.login(f"{secretariat.email}*{user_of(person).email}", password)
        client.logout()
    # Martine's password does not open it under Paul's login either.
    client = connect(imap)
    client.starttls(ssl_context=client_tls())
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        client.login(f"{secretariat.email}*{user_of(paul).email}", app_password)
    client.logout()


def test_removing_the_link_cuts_the_org_session(
    imap: ImapService, martine: Account, paul: Account, secretariat: Account, app_password: str
) -> None:
    mail = logged_in(imap, f"{secretariat.email}*{user_of(martine).email}", app_password)
    mail.select("INBOX")
    add_connection_accounts(cli_context(), secretariat, paul.email)  # an ORG keeps one
    remove_connection_account(cli_context(), secretariat, martine)
    with pytest.raises(imaplib.IMAP4.abort):
        mail.noop()
