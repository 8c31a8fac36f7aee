"""Every rule of the rapport d'alimentation, with its criticality."""

from __future__ import annotations

from typing import Any

import pytest

from caducee.accounts.models import Account
from caducee.core.context import cli_context
from caducee.directory import feed
from caducee.directory.models import MailboxListing
from caducee.directory.operations import assign_mssante_address
from caducee.directory.publication_rows import build_record
from caducee.structures.models import Structure
from tests.directory.helpers import listed_account

pytestmark = pytest.mark.django_db

COMPLETE = {
    "specialty": "SM54",
    "address1": "1 rue de la Paix",
    "phone1": "0102030405",
}


def mailbox(structure: Structure, kind: str = "PER", **overrides: Any) -> Account:
    account = listed_account(structure, kind, **{**COMPLETE, **overrides})
    assign_mssante_address(cli_context(), account, None)
    return account


def findings(account: Account, **db_changes: Any) -> dict[str, str]:
    """Rule code -> criticality for the account after raw database changes (older data)."""
    if db_changes:
        Account.objects.filter(pk=account.pk).update(**db_changes)
    fresh = Account.objects.select_related("structure").get(pk=account.pk)
    return {f.code: f.criticality for f in feed.check(build_record(fresh))}


def test_a_complete_mailbox_has_no_finding(structure_a: Structure) -> None:
    for kind in ("PER", "INT", "ORG", "APP"):
        assert findings(mailbox(structure_a, kind)) == {}, kind


def test_per_without_valid_rpps_or_adeli_is_blocking(structure_a: Structure) -> None:
    account = mailbox(structure_a)
    assert findings(account, rpps="12345678901") == {"person_id": feed.BLOCKING}
    assert findings(account, rpps="", adeli="") == {"person_id": feed.BLOCKING}


def test_org_and_app_without_valid_structure_identifier_are_blocking(
    structure_a: Structure,
) -> None:
    for kind in ("ORG", "APP", "INT"):
        account = mailbox(structure_a, kind)
        assert findings(account, resp_structure_id="123456789") == {
            "structure_id": feed.BLOCKING
        }, kind


def test_org_without_description_or_responsible_is_blocking(structure_a: Structure) -> None:
    account = mailbox(structure_a, "ORG")
    assert findings(account, description="") == {"description": feed.BLOCKING}
    assert findings(account, resp_last_name="", resp_identifier="") == {
        "description": feed.BLOCKING,
        "responsible": feed.BLOCKING,
    }


def test_address_outside_the_trusted_domain_is_blocking(structure_a: Structure) -> None:
    account = mailbox(structure_a)
    Structure.objects.filter(pk=structure_a.pk).update(domain="ch-a.example.org")
    assert findings(account) == {"domain": feed.BLOCKING}
    Structure.objects.filter(pk=structure_a.pk).update(domain="ch-a.mssante.fr")
    assert findings(account, mssante_particle="Bad Particle") == {"domain": feed.BLOCKING}


def test_changed_address_or_type_of_a_published_mailbox_is_blocking(
    structure_a: Structure,
) -> None:
    account = mailbox(structure_a)
    MailboxListing.objects.create(
        account=account, published_address="old@ch-a.mssante.fr", published_type="ORG"
    )
    assert findings(account) == {
        "address_changed": feed.BLOCKING,
        "type_changed": feed.BLOCKING,
    }


def test_missing_specialty_postal_address_and_phone_are_not_blocking(
    structure_a: Structure,
) -> None:
    account = mailbox(structure_a)
    assert findings(account, specialty="", address1="", phone1="") == {
        "specialty": feed.NON_BLOCKING,
        "postal_address": feed.NON_BLOCKING,
        "phone": feed.NON_BLOCKING,
    }


def test_report_counts_filters_and_csv(structure_a: Structure) -> None:
    good = mailbox(structure_a)
    bad = mailbox(structure_a, "ORG")
    Account.objects.filter(pk=bad.pk).update(description='=HYPERLINK("x")', phone1="")
    Account.objects.filter(pk=good.pk).update(specialty="")
    Account.objects.filter(pk=bad.pk).update(description="")
    rows = feed.report(structure_a)
    totals = feed.counts(rows)
    assert totals["accounts"] == 2
    assert totals[feed.BLOCKING] == 1 and totals[feed.NON_BLOCKING] == 2
    assert totals["blocked"] == 1 and totals["published"] == 1
    blocking = feed.filtered(rows, feed.BLOCKING)
    assert [r.account.pk for r in blocking] == [bad.pk]
    text = feed.to_csv(rows)
    lines = text.strip().splitlines()
    assert lines[0].startswith("Adresse mail;Adresse MSSanté")
    assert len(lines) == 4


def test_csv_neutralises_formulas() -> None:
    assert feed._safe_cell("=1+1") == "'=1+1"
    assert feed._safe_cell("ok") == "ok"


def test_report_skips_med_test_red_list_and_addressless(structure_a: Structure) -> None:
    from caducee.directory.operations import set_red_list

    mailbox(structure_a)
    listed_account(structure_a, "MED")
    listed_account(structure_a, "PER")  # no correspondence
    red = mailbox(structure_a)
    set_red_list(cli_context(), red, True)
    assert feed.counts(feed.report(structure_a))["accounts"] == 1
