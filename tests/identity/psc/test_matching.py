"""The national identifier of a Pro Santé Connect login and the accounts carrying it."""

from __future__ import annotations

from caducee.accounts.models import Account, AccountState
from caducee.identity.psc.matching import matching_accounts, national_ids
from caducee.structures.models import Structure
from tests import factories

RPPS = "99700427885"


def test_rpps_from_subject_name_id_and_preferred_username() -> None:
    ids = national_ids({"SubjectNameID": f"8{RPPS}", "preferred_username": f"8{RPPS}"})
    assert ids.rpps == {RPPS} and not ids.adeli and ids.label == f"RPPS {RPPS}"


def test_adeli_and_other_ids() -> None:
    ids = national_ids(
        {
            "preferred_username": "0759300015",
            "otherIds": [
                {"identifiant": RPPS, "origine": "RPPS"},
                {"identifiant": "781059366", "origine": "ADELI"},
                {"identifiant": "abc", "origine": "EDIT"},
                "not a dict",
            ],
        }
    )
    assert ids.rpps == {RPPS} and ids.adeli == {"759300015", "781059366"}


def test_an_email_or_a_malformed_id_is_no_identifier() -> None:
    ids = national_ids({"email": "pierre@ch-a.fr", "SubjectNameID": "8123", "otherIds": None})
    assert not ids and ids.label == "8123"


def test_accounts_by_state(structure_a: Structure, structure_b: Structure) -> None:
    valid = factories.make_account(structure_a, "PER", email="valid@ch-a.fr")
    closed = factories.make_account(structure_b, "PER", email="closed@clinique-b.fr")
    pending = factories.make_account(structure_b, "PER", email="pending@clinique-b.fr")
    Account.objects.filter(pk=valid.pk).update(rpps=RPPS, state=AccountState.VALID)
    Account.objects.filter(pk=closed.pk).update(rpps=RPPS, state=AccountState.DEACTIVATED)
    Account.objects.filter(pk=pending.pk).update(rpps=RPPS, state=AccountState.PREREGISTERED)
    matches = matching_accounts(national_ids({"SubjectNameID": f"8{RPPS}"}))
    assert [a.email for a in matches.usable] == ["valid@ch-a.fr"]
    assert [a.email for a in matches.closed] == ["closed@clinique-b.fr"]
    assert [a.email for a in matches.unfinished] == ["pending@clinique-b.fr"]
    assert matching_accounts(national_ids({})).usable == []


def test_a_person_made_inactive_is_closed(structure_a: Structure) -> None:
    account = factories.make_account(structure_a, "PER", email="gone@ch-a.fr")
    Account.objects.filter(pk=account.pk).update(rpps=RPPS, state=AccountState.VALID)
    assert account.user is not None
    account.user.is_active = False
    account.user.save()
    matches = matching_accounts(national_ids({"SubjectNameID": f"8{RPPS}"}))
    assert not matches.usable and len(matches.closed) == 1
