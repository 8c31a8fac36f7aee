"""`caducee domain add NAME --shared` and `caducee domain list [--json]` (issue #16)."""

from __future__ import annotations

import json

import pytest

from caducee.audit.models import AuditEvent
from caducee.structures.models import PlatformDomain, Structure
from tests.factories import finess, make_structure
from tests.helpers import run_cli as run

pytestmark = pytest.mark.django_db
SHARED = "pharmacien.oc.mssante.fr"


def test_domain_add_shared_then_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "domain", "add", "Pharmacien.OC.mssante.fr", "--shared")
    assert code == 0 and f"Domaine partagé déclaré : {SHARED}" in out
    assert PlatformDomain.objects.get().shared
    assert AuditEvent.objects.get(action="domain.declare").actor_label.startswith("cli:")
    code, out, _ = run(capsys, "domain", "add", "reserve.mssante.fr", "--json")
    assert code == 0 and json.loads(out)["shared"] is False
    make_structure("Pharmacie du Centre", domain=SHARED)
    code, out, _ = run(capsys, "domain", "list")
    assert out.splitlines() == [
        f"{SHARED}\tpartagé\t1 structure(s)",
        "reserve.mssante.fr\tnon partagé\t0 structure(s)",
    ]
    code, out, _ = run(capsys, "domain", "list", "--json")
    rows = json.loads(out)
    assert [(r["name"], r["shared"], r["structures"]) for r in rows] == [
        (SHARED, True, 1),
        ("reserve.mssante.fr", False, 0),
    ]


def test_domain_add_refuses_a_bad_name_in_french(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "domain", "add", "pharmacien.example.org", "--shared")
    assert code != 0 and "se termine par .mssante.fr" in err and "Traceback" not in err
    assert not PlatformDomain.objects.exists()
    code, out, _ = run(capsys, "domain", "list")
    assert out.strip() == "Aucun domaine déclaré."


def test_structure_edit_puts_a_structure_on_a_shared_domain(
    capsys: pytest.CaptureFixture[str],
) -> None:
    run(capsys, "domain", "add", SHARED, "--shared")
    for name in ("Pharmacie du Centre", "Pharmacie de la Gare"):
        code, _, err = run(
            capsys, "structure", "create", "--name", name, "--finess", finess(), "--domain", SHARED
        )
        assert code == 0, err
    other = make_structure("Cabinet Dupont", domain="")
    code, _, err = run(capsys, "structure", "edit", "Cabinet Dupont", "--set", f"domain={SHARED}")
    assert code == 0, err
    other.refresh_from_db()
    assert other.domain == SHARED
    assert Structure.objects.filter(domain=SHARED).count() == 3
