"""Client-certificate fixtures: the platform's partner CA in a folder of the test, a
trusted proxy on loopback (the Django test client's peer), Gaspard the external partner
of structure A with a password, and a CPS-shaped certificate of Pierre's RPPS."""

from __future__ import annotations

from pathlib import Path
from typing import Any as SettingsWrapper

import pytest

from caducee.accounts.models import Account
from caducee.core.client_address import parse_networks
from caducee.identity.certificates import authority
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.conftest import PASSWORD
from tests.identity.certificates import pki

GASPARD = "gaspard.partenaire@exemple.fr"


@pytest.fixture
def partner_ca(settings: SettingsWrapper, tmp_path: Path) -> authority.Authority:
    settings.CERTIFICATE_CA_CERT = str(tmp_path / "ca" / "ca.pem")
    settings.CERTIFICATE_CA_KEY = str(tmp_path / "ca" / "ca.key")
    authority.init_ca()
    return authority.load()


@pytest.fixture
def proxied(settings: SettingsWrapper) -> SettingsWrapper:
    """nginx on loopback is a trusted proxy (CADUCEE_TRUSTED_PROXIES=127.0.0.1)."""
    settings.TRUSTED_PROXIES = parse_networks("127.0.0.1")
    return settings


@pytest.fixture
def gaspard(structure_a: Structure) -> User:
    user = factories.make_external(structure_a, GASPARD, identifier="gaspard")
    user.password = factories.password_hash(PASSWORD)
    user.save()
    return user


@pytest.fixture
def igc() -> pki.IgcSante:
    return pki.igc_sante()


@pytest.fixture
def pierre_rpps(pierre: Account) -> Account:
    pierre.rpps = pki.RPPS
    pierre.save(update_fields=["rpps"])
    return pierre
