"""The person's own « Paramètres » over the API: default mailbox and receipt notifications."""

from __future__ import annotations

import pytest

from caducee.accounts.models import Account, ConnectionLink
from caducee.people.models import User
from tests.helpers import bearer_client
from tests.mail.conftest import user_of

pytestmark = pytest.mark.django_db
JSON = "application/json"
URL = "/api/v1/mail/settings"


def test_she_reads_and_changes_her_settings(martine: Account, secretariat: Account) -> None:
    client = bearer_client(user_of(martine))
    body = client.get(URL).json()
    assert body["email"] == martine.email
    rows = {m["email"]: m for m in body["mailboxes"]}
    assert rows[martine.email]["is_own"] and rows[martine.email]["is_default"]
    assert rows[secretariat.email]["notify_on_receipt"]
    assert rows[secretariat.email]["may_propose_colleague"]
    response = client.put(
        URL, {"default_mailbox_id": secretariat.pk, "notify": []}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    rows = {m["email"]: m for m in response.json()["mailboxes"]}
    shared = rows[secretariat.email]
    assert shared["is_default"] and not shared["notify_on_receipt"]
    assert not ConnectionLink.objects.get(mailbox=secretariat, account=martine).notify_on_receipt


def test_another_persons_mailbox_is_404(martine: Account, paul: Account) -> None:
    client = bearer_client(user_of(martine))
    response = client.put(URL, {"default_mailbox_id": paul.pk, "notify": []}, content_type=JSON)
    assert response.status_code == 404
    martine.refresh_from_db()
    assert martine.default_mailbox is None


def test_a_person_without_mailbox_gets_404(alice: User) -> None:
    assert bearer_client(alice).get(URL).status_code == 404
