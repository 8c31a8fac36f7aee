"""The IMAP service with Python's imaplib as the client, over loopback."""

from __future__ import annotations

import imaplib
import re

import pytest

from caducee.accounts.models import Account
from caducee.mail.imap.server import ImapService
from caducee.mail.models import Message
from tests.mail.conftest import user_of
from tests.mail.imap.conftest import connect, deliver, joined, logged_in, raw

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_lists_selects_and_fetches_the_inbox(
    imap: ImapService, martine: Account, app_password: str
) -> None:
    first = deliver(martine, "Compte rendu")
    deliver(martine, "Résultats")
    client = logged_in(imap, user_of(martine).email, app_password)
    typ, folders = client.list()
    assert typ == "OK"
    listed = b"\n".join(f for f in folders if isinstance(f, bytes))
    assert b'"INBOX"' in listed and b"\\Sent" in listed and b"\\Trash" in listed
    assert b'"Messages envoy&AOk-s"' in listed and b'"Espace patient"' in listed
    typ, data = client.select("INBOX")
    assert typ == "OK" and data == [b"2"]
    typ, data = client.uid("FETCH", "1:*", "(UID FLAGS RFC822.SIZE ENVELOPE)")
    assert typ == "OK"
    text = joined(data)
    assert b"UID 1 " in text and b"UID 2 " in text
    assert b"Compte rendu" in text and f"RFC822.SIZE {first.size}".encode() in text
    typ, body = client.fetch("1", "(BODY.PEEK[])")
    assert typ == "OK" and isinstance(body[0], tuple)
    assert body[0][1] == raw("Compte rendu")
    assert not Message.objects.get(pk=first.pk).seen  # PEEK leaves it unread
    client.fetch("1", "(BODY[TEXT])")
    assert Message.objects.get(pk=first.pk).seen  # read in the client: read in the webmail
    client.logout()


def test_a_wrong_password_is_refused(
    imap: ImapService, martine: Account, app_password: str
) -> None:
    client = connect(imap)
    client.starttls()
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        client.login(user_of(martine).email, "not-the-password")
    # The login password is never an IMAP password either.
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        client.login(user_of(martine).email, "Motdepasse-solide-1")
    client.logout()


def test_search_store_and_uids(imap: ImapService, martine: Account, app_password: str) -> None:
    for n in range(3):
        deliver(martine, f"Message {n}")
    client = logged_in(imap, user_of(martine).email, app_password)
    client.select("INBOX")
    typ, data = client.uid("SEARCH", "UNSEEN")
    assert data == [b"1 2 3"]
    typ, data = client.uid("STORE", "2", "+FLAGS", "(\\Seen \\Flagged)")
    assert typ == "OK" and re.search(rb"FLAGS \((\\Seen \\Flagged|\\Flagged \\Seen)\)", data[0])
    assert client.uid("SEARCH", "FLAGGED")[1] == [b"2"]
    assert client.search(None, "SUBJECT", '"Message 2"')[1] == [b"3"]
    client.logout()
