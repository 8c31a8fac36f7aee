"""What the person sees of Pro Santé Connect outside the login: « Sécurité » and the
activation (finalisation) page, both silent while PSC is not configured."""

from __future__ import annotations

from typing import Any

from django.test import Client

from caducee.accounts.models import Account
from caducee.accounts.operations import create_account
from caducee.core.context import cli_context
from caducee.structures.models import Structure
from tests import factories
from tests.identity.conftest import Capture
from tests.smtp_sink import SmtpSink, url_in


def _security(client: Client, account: Account) -> str:
    assert account.user is not None
    client.force_login(account.user)
    return client.get("/securite/").content.decode()


def test_security_names_the_rpps_used_with_psc(
    client: Client, pierre: Account, settings: Any
) -> None:
    settings.PSC_CLIENT_ID = "caducee"
    page = _security(client, pierre)
    assert "<h2>Pro Santé Connect</h2>" in page and f"RPPS {pierre.rpps}" in page
    assert "ouverte avec Pro Santé Connect" not in page  # this session used a password


def test_security_without_rpps_says_whom_to_ask(
    client: Client, pierre: Account, settings: Any
) -> None:
    Account.objects.filter(pk=pierre.pk).update(rpps="", adeli="")
    settings.PSC_CLIENT_ID = "caducee"
    page = _security(client, pierre)
    assert "ne porte ni numéro RPPS ni numéro ADELI" in page
    assert "administrateur de votre structure" in page


def test_nothing_about_psc_while_it_is_off(client: Client, pierre: Account, settings: Any) -> None:
    settings.PSC_CLIENT_ID = ""
    assert "Pro Santé Connect" not in _security(client, pierre)


def test_the_activation_page_lists_psc_when_configured(
    client: Client,
    structure_a: Structure,
    settings: Any,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        account = create_account(
            cli_context(), structure_a, factories.account_data("PER", "j@ch-a.fr"), notify=True
        ).account
    url = url_in(smtp_sink.wait_for("j@ch-a.fr"))
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    settings.PSC_CLIENT_ID = ""
    assert "Pro Santé Connect" not in client.get(path).content.decode()
    settings.PSC_CLIENT_ID = "caducee"
    page = client.get(path).content.decode()
    assert 'id="psc-activation"' in page and f"RPPS {account.rpps}" in page
