"""« Journal d'audit » of a structure."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from caducee.accounts.models import Account
from caducee.audit.actions import AuditAction
from caducee.audit.models import AuditEvent
from caducee.console.audit_labels import ACTION_LABELS, detail_lines
from caducee.people.models import User
from caducee.structures.models import Structure

pytestmark = pytest.mark.django_db


def _audit(client: Client, structure: Structure, **params: str) -> str:
    response = client.get(reverse("console:audit", args=[structure.pk]), params)
    assert response.status_code == 200
    return response.content.decode()


def test_it_shows_who_did_what_when_and_from_where(
    client: Client, alice: User, structure_a: Structure, per_a: Account
) -> None:
    client.force_login(alice)
    client.post(
        reverse("console:account_deactivate", args=[structure_a.pk, per_a.pk]),
        REMOTE_ADDR="192.0.2.7",
    )
    page = _audit(client, structure_a)
    event = AuditEvent.objects.filter(action="account.deactivate").get()
    row = page.split("<tbody>")[1].split("</tr>")[0]  # newest first
    assert "Désactivation du compte" in row
    assert "alice@ch-a.fr" in row
    assert per_a.email in row
    assert "192.0.2.7" in row
    assert "état précédent : preinscrit" in row
    local = event.created_at.astimezone()  # the page shows Europe/Paris time
    assert "/" in row and str(local.year) in row
    for header in ("Date", "Auteur", "Boîte utilisée", "Action", "Cible", "Adresse IP"):
        assert f"<th>{header}</th>" in page


def test_it_only_shows_the_structure_events(
    client: Client, alice: User, structure_a: Structure, per_b: Account
) -> None:
    client.force_login(alice)
    assert per_b.email not in _audit(client, structure_a)


def test_it_pages_newest_first(client: Client, alice: User, structure_a: Structure) -> None:
    from caducee.audit.log import record_event
    from caducee.core.context import cli_context

    for n in range(60):
        record_event(
            cli_context(),
            AuditAction.ACCOUNT_UPDATE,
            structure=structure_a,
            target_label=f"c{n:02d}",
        )
    client.force_login(alice)

    def cell(label: str) -> str:  # the target cell, not a random token that contains "c58"
        return f"<td>{label}</td>"

    first = _audit(client, structure_a)
    assert first.index(cell("c59")) < first.index(cell("c58"))
    assert cell("c09") not in first
    seq = AuditEvent.objects.get(target_label="c10").seq
    assert f"apres={seq}" in first
    second = _audit(client, structure_a, apres=str(seq))
    assert cell("c09") in second and cell("c10") not in second


def test_every_action_code_recorded_has_a_french_label() -> None:
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2] / "caducee"
    codes = set()
    for path in (root / "accounts" / "operations.py", root / "structures" / "operations.py"):
        codes |= set(re.findall(r'"((?:account|structure|platform)\.[a-z_]+)"', path.read_text()))
    assert codes <= set(ACTION_LABELS), codes - set(ACTION_LABELS)


def test_details_are_french_lines() -> None:
    lines = detail_lines({"changes": {"city": ["PARIS", "LYON"]}, "visible": True})
    assert lines == ["VILLE : PARIS → LYON", "visible dans l'annuaire : oui"]


def test_detail_lines_of_email_changes_and_structure_settings() -> None:
    lines = detail_lines({"new_email": "n@x.fr", "by": "self"})
    assert lines == ["nouvelle adresse : n@x.fr", "à l'initiative de : le titulaire du compte"]
    lines = detail_lines({"fields": ["contact_name", "phone"], "changes": {"phone": ["", "01"]}})
    assert lines == ["champs modifiés : Contact, Téléphone", "Téléphone : (vide) → 01"]
