"""The directory functions the loaduser import calls, tested on their own."""

from __future__ import annotations

from collections import Counter

import pytest

from caducee.accounts.models import Account
from caducee.core.context import cli_context
from caducee.core.errors import Invalid
from caducee.directory.loading import apply_particles, check_file_quotas, refresh_loaded
from caducee.directory.models import DirectoryEntry
from caducee.directory.operations import assign_mssante_address, set_quota
from caducee.structures.models import Structure
from tests import factories

pytestmark = pytest.mark.django_db


def test_check_file_quotas(structure_a: Structure, structure_b: Structure) -> None:
    set_quota(cli_context(), structure_b, "ORG", 1)
    scope = {structure_a.pk: structure_a}
    check_file_quotas(scope, {structure_a.pk: Counter({"PER": 50})})
    check_file_quotas(scope, {structure_b.pk: Counter({"ORG": 1, "MED": 9})})
    with pytest.raises(Invalid, match="Quota « Organisationnel » atteint pour Clinique B"):
        check_file_quotas(scope, {structure_b.pk: Counter({"ORG": 2})})


def test_apply_particles_names_the_line(structure_a: Structure) -> None:
    one = factories.make_account(structure_a, "PER")
    two = factories.make_account(structure_a, "PER")
    assign_mssante_address(cli_context(), two, "pris")
    apply_particles(cli_context(), [(2, one, "Libre.Particule")])
    one.refresh_from_db()
    assert one.mssante_particle == "libre.particule"
    with pytest.raises(Invalid, match=r"^Ligne 7 : .*déjà utilisée"):
        apply_particles(cli_context(), [(7, one, "pris")])
    apply_particles(cli_context(), [(3, one, "")])  # emptied column: no correspondence
    one.refresh_from_db()
    assert one.mssante_particle == ""


def test_refresh_loaded_after_bulk_insert(structure_a: Structure) -> None:
    account = factories.make_account(structure_a, "PER", last_name="EN BLOC")
    Account.objects.filter(pk=account.pk).update(visible=True)
    assert not DirectoryEntry.objects.filter(account_id=account.pk).exists()
    refresh_loaded([account.pk])
    assert DirectoryEntry.objects.filter(account_id=account.pk).exists()


def test_check_mssante_addresses_writes_nothing_and_takes_unsaved_accounts(
    structure_a: Structure,
) -> None:
    from caducee.directory.operations import check_mssante_addresses

    new = Account(email="new@ch-a.fr", type="ORG", structure=structure_a, is_test=False)
    checked = check_mssante_addresses(cli_context(), [(4, new, "Accueil"), (5, new, "")])
    assert checked == [
        (4, new, "accueil", "accueil@ch-a.mssante.fr"),
        (5, new, "", ""),
    ]
    assert not Account.objects.filter(email="new@ch-a.fr").exists()
    med = Account(email="m@ch-a.fr", type="MED", structure=structure_a, is_test=False)
    with pytest.raises(Invalid, match=r"^Ligne 6 : .*BAL MED"):
        check_mssante_addresses(cli_context(), [(6, med, "medecin")])
