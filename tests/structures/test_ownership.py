"""The one table of who edits which structure field, and its copy in docs/CONSOLE.md."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from caducee.console.forms import StructureForm
from caducee.structures import ownership
from caducee.structures.operations import StructureInput

DOCS = Path(__file__).resolve().parents[2] / "docs" / "CONSOLE.md"


def test_every_structure_input_field_has_one_owner_and_a_label() -> None:
    inputs = {f.name for f in dataclasses.fields(StructureInput)}
    assert set(ownership.FIELDS) == inputs
    assert not set(ownership.OPERATOR_FIELDS) & set(ownership.ADMIN_FIELDS)
    assert set(ownership.LABELS) == inputs
    assert set(StructureForm.base_fields) == inputs


def test_the_operator_keeps_the_domain_and_the_identifiers() -> None:
    for field in ("domain", "id_type", "id_number", "name"):
        assert ownership.owner_of(field) == ownership.OPERATOR
    for field in ("address1", "postal_code", "city", "phone", "contact_name", "contact_email"):
        assert ownership.owner_of(field) == ownership.ADMIN
    with pytest.raises(KeyError):
        ownership.owner_of("is_external")


def test_the_refusal_names_the_fields_in_french() -> None:
    one = ownership.operator_fields_refusal(["domain"])
    assert one.startswith("Ce champ est géré par l'opérateur de la plateforme : Domaine MSSanté.")
    several = ownership.operator_fields_refusal(["id_number", "name"])
    assert "Ces champs sont gérés" in several
    assert "Raison sociale, Numéro d'identifiant" in several  # the form's order


def test_the_docs_table_lists_each_field_with_its_owner() -> None:
    text = DOCS.read_text(encoding="utf-8")
    table = text.split("<!-- structure-ownership:start -->")[1].split(
        "<!-- structure-ownership:end -->"
    )[0]
    rows = dict(re.findall(r"^\| « (.+?) » \| (.+?) \|$", table, flags=re.M))
    expected = {
        ownership.LABELS[f]: (
            "operator"
            if ownership.owner_of(f) == ownership.OPERATOR
            else "structure admins (and operator)"
        )
        for f in ownership.FIELDS
    }
    assert rows == expected
