"""The webmail and IMAP never disagree: each side changes the mailbox, the other reads it
back (the webmail through its pages, IMAP through imaplib)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from caducee.accounts.models import Account
from caducee.core.context import cli_context
from caducee.mail import operations
from caducee.mail.imap.server import ImapService
from caducee.mail.models import Message
from tests.mail.conftest import user_of
from tests.mail.imap.conftest import deliver, logged_in

pytestmark = pytest.mark.django_db(transaction=True)

TRASH = '"Messages supprim&AOk-s"'


def flags_of(client: object, uid: int) -> bytes:
    typ, data = client.uid("FETCH", str(uid), "(FLAGS)")  # type: ignore[attr-defined]
    assert typ == "OK"
    return data[0] if data and isinstance(data[0], bytes) else b""


def test_imap_changes_are_seen_in_the_webmail(
    imap: ImapService, martine: Account, app_password: str, client: Client
) -> None:
    folder = operations.create_folder(cli_context(), martine, "pro", "Dossiers patients")
    one = deliver(martine, "Premier")
    two = deliver(martine, "Second")
    three = deliver(martine, "Troisième")
    mail = logged_in(imap, user_of(martine).email, app_password)
    mail.select("INBOX")
    mail.uid("STORE", "1", "+FLAGS", "(\\Seen \\Flagged)")
    mail.uid("MOVE", "2", '"Dossiers patients"')
    mail.uid("STORE", "3", "+FLAGS", "(\\Deleted)")
    mail.expunge()
    mail.logout()

    client.force_login(user_of(martine))
    inbox = client.get("/messagerie/pro/inbox/").content.decode()
    assert "Premier" in inbox and "Second" not in inbox and "Troisième" not in inbox
    row = re.search(r"<tr class=\"([^\"]*)\">(?:(?!</tr>).)*Premier", inbox, re.S)
    assert row is not None and "unread" not in row.group(1)  # read in the client
    assert "★" in inbox  # flagged in the client
    filed = client.get(f"/messagerie/pro/{folder.key}/").content.decode()
    assert "Second" in filed
    assert Message.objects.get(pk=one.pk).seen and Message.objects.get(pk=one.pk).flagged
    assert Message.objects.get(pk=two.pk).folder == folder.key
    assert not Message.objects.filter(pk=three.pk).exists()


def test_webmail_changes_are_seen_over_imap(
    imap: ImapService, martine: Account, app_password: str, client: Client
) -> None:
    one = deliver(martine, "Premier")
    two = deliver(martine, "Second")
    mail = logged_in(imap, user_of(martine).email, app_password)
    mail.select("INBOX")
    assert b"\\Seen" not in flags_of(mail, 1)

    client.force_login(user_of(martine))
    client.post("/messagerie/pro/inbox/action/", {"action": "read", "ids": [one.pk]})
    client.post("/messagerie/pro/inbox/action/", {"action": "flag", "ids": [one.pk]})
    client.post("/messagerie/pro/inbox/action/", {"action": "trash", "ids": [two.pk]})

    typ, data = mail.noop()
    assert typ == "OK"
    assert mail.untagged_responses.get("EXPUNGE") == [b"2"]  # moved away in the webmail
    flags = flags_of(mail, 1)
    assert b"\\Seen" in flags and b"\\Flagged" in flags
    mail.select(TRASH)
    typ, data = mail.uid("FETCH", "1:*", "(UID BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert typ == "OK" and isinstance(data[0], tuple) and b"Second" in data[0][1]
    # Moved out of the bin and back in, it gets a new, higher UID (RFC 3501 §2.3.1.1).
    operations.move_messages(cli_context(), martine, [two.pk], "inbox")
    operations.trash_messages(cli_context(), martine, [two.pk])
    mail.noop()
    typ, data = mail.uid("SEARCH", "ALL")
    assert data == [b"2"]
    mail.logout()
