"""Self-registration fixtures: Occitanie open, a shared domain, a pharmacist with a live
nominative account (the person who creates the pharmacy's ORG mailbox)."""

from __future__ import annotations

from typing import Any
from typing import Any as SettingsWrapper

import pytest
from django.utils import timezone

from caducee.accounts.models import Account, AccountState
from caducee.core.context import cli_context
from caducee.people.models import User
from caducee.structures.domains import declare_domain
from tests import factories
from tests.conftest import PASSWORD

OCCITANIE = "76"
SHARED = "pharmacien.oc.mssante.fr"
PHARMACIST = "nadege.vives@esante-occitanie.fr"


@pytest.fixture
def regions(settings: SettingsWrapper) -> list[str]:
    settings.REGISTRATION_REGIONS = [OCCITANIE]
    return [OCCITANIE]


@pytest.fixture
def shared_domain(db: None) -> str:
    declare_domain(cli_context(), SHARED, shared=True)
    return SHARED


@pytest.fixture
def pharmacist(db: None) -> Account:
    """A pharmacist's live PER account (finalised, with a password), in her own practice."""
    practice = factories.make_structure("Cabinet Vives", domain="cabinet-vives.mssante.fr")
    account = factories.make_account(
        practice,
        "PER",
        PHARMACIST,
        last_name="VIVES",
        first_name="Nadège",
        profession="21",
        department="81",
        region=OCCITANIE,
        postal_code="81000",
        city="ALBI",
    )
    account.state = AccountState.VALID
    account.finalised_at = timezone.now()
    account.save()
    user = account.user
    assert isinstance(user, User)
    user.password = factories.password_hash(PASSWORD)
    user.save()
    return account


def org_form(**overrides: Any) -> dict[str, Any]:
    """The pharmacy's ORG form, as seed 003 fills it."""
    data: dict[str, Any] = {
        "email": "pharmacie-du-centre-albi@gmail.com",
        "description": "Pharmacie du Centre 81000 Albi",
        "structure_name": "Pharmacie du Centre",
        "id_type": "FINESS_EG",
        "id_number": factories.finess(),
        "address1": "1 place du Vigan",
        "postal_code": "81000",
        "city": "Albi",
        "department": "81",
        "service": "",
        "phone1": "0563000000",
        "phone2": "",
        "resp_last_name": "Vives",
        "resp_first_name": "Nadège",
        "resp_profession": "21",
        "resp_identifier": factories.rpps(),
        "dematerialisation": True,
        "visible": True,
    }
    data.update(overrides)
    return data


def per_form(email: str, **overrides: Any) -> dict[str, Any]:
    """A liberal physician's PER form."""
    data: dict[str, Any] = {
        "email": email,
        "last_name": "Martin",
        "first_name": "Paul",
        "profession": "10",
        "rpps": factories.rpps(),
        "structure_name": "Cabinet du Dr Martin",
        "id_type": "SIRET",
        "id_number": factories.siret(),
        "address1": "3 rue Mariès",
        "postal_code": "81000",
        "city": "Albi",
        "department": "81",
        "phone1": "0563000001",
        "dematerialisation": True,
        "visible": False,
    }
    data.update(overrides)
    return data


@pytest.fixture
def sent(django_capture_on_commit_callbacks: Any) -> Any:
    """`with sent(): …` runs the block's on-commit callbacks (its emails really go out to
    the SMTP sink) in a test wrapped in a transaction."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
