"""Demo data: one structure with accounts of every type, for a newcomer's first look."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from stdnum import luhn

from caducee.accounts.operations import add_connection_accounts, create_account
from caducee.core.context import Context
from caducee.core.errors import Invalid
from caducee.structures.models import Structure
from caducee.structures.operations import StructureInput, appoint_admin, create_structure


def with_luhn_key(prefix: str) -> str:
    return prefix + luhn.calc_check_digit(prefix)


@dataclass
class DemoResult:
    structure: Structure
    admin_email: str
    admin_password: str
    accounts: int


COMMON = {
    "company_name": "Centre hospitalier de démonstration",
    "address1": "1 avenue de la Santé",
    "postal_code": "81000",
    "city": "ALBI",
    "department": "81",
    "liberal": "NON",
}


def fill_demo(ctx: Context) -> DemoResult:
    if Structure.objects.exists():
        raise Invalid(
            "La base contient déjà des structures : la démonstration ne se charge que "
            "dans une base vide (CADUCEE_HOME neuf)."
        )
    structure = create_structure(
        ctx,
        StructureInput(
            name="Centre hospitalier de démonstration",
            id_type="FINESS_EJ",
            id_number=with_luhn_key("81000001"),
            domain="ch-demo.mssante.fr",
            address1="1 avenue de la Santé",
            postal_code="81000",
            city="Albi",
            department="81",
        ),
    )
    admin_email = "admin@ch-demo.fr"
    user, _ = appoint_admin(ctx, structure, admin_email)
    password = secrets.token_urlsafe(12)
    user.first_name, user.last_name = "Alice", "ADMIN"
    user.set_password(password)
    user.save()
    people = [
        (
            "martine.dubois@ch-demo.fr",
            "DUBOIS",
            "Martine",
            "PER",
            {"rpps": with_luhn_key("1000000001"), "profession": "10", "specialty": "SM54"},
        ),
        (
            "paul.martin@ch-demo.fr",
            "MARTIN",
            "Paul",
            "PER",
            {"adeli": with_luhn_key("81930001"), "profession": "93"},
        ),
        (
            "ines.garcia@ch-demo.fr",
            "GARCIA",
            "Inès",
            "INT",
            {
                "profession": "10",
                "civility": "DR",
                "resp_structure_id_type": "FINESS",
                "resp_structure_id": structure.id_number,
            },
        ),
        ("sophie.bernard@ch-demo.fr", "BERNARD", "Sophie", "MED", {"profession": "L10"}),
        ("luc.petit@ch-demo.fr", "PETIT", "Luc", "MED", {"profession": "L11"}),
    ]
    count = 0
    for email, last, first, kind, extra in people:
        create_account(
            ctx,
            structure,
            {
                **COMMON,
                "email": email,
                "last_name": last,
                "first_name": first,
                "type": kind,
                **extra,
            },
            visible=True,
        )
        count += 1
    shared = {
        **COMMON,
        "resp_last_name": "DUBOIS",
        "resp_first_name": "Martine",
        "resp_profession": "10",
        "resp_identifier": with_luhn_key("1000000001"),
        "resp_structure_id_type": "FINESS",
        "resp_structure_id": structure.id_number,
        "profession": "10",
    }
    org = create_account(
        ctx,
        structure,
        {
            **shared,
            "email": "secretariat.cardio@ch-demo.fr",
            "last_name": "SECRETARIAT",
            "first_name": "Cardiologie",
            "type": "ORG",
            "description": "Secrétariat de cardiologie du CH de démonstration",
            "connection_accounts": "sophie.bernard@ch-demo.fr;martine.dubois@ch-demo.fr",
        },
        visible=True,
    ).account
    create_account(
        ctx,
        structure,
        {
            **shared,
            "email": "noreply.labo@ch-demo.fr",
            "last_name": "LABORATOIRE",
            "first_name": "Résultats",
            "type": "APP",
            "description": "Envoi automatique des résultats de biologie",
        },
    )
    add_connection_accounts(ctx, org, "luc.petit@ch-demo.fr")
    return DemoResult(structure, admin_email, password, count + 2)
