from __future__ import annotations

from email.utils import parseaddr
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from caducee.accounts.models import Account
from caducee.config import ConfigError
from caducee.core.context import cli_context
from caducee.core.errors import Invalid
from caducee.mail import addresses, whitelist
from caducee.mail.models import WhitelistDomain

XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<ListeBlanche xmlns="https://listeblanche.mssante.fr/schema">
  <DateDeGeneration>2025-03-13</DateDeGeneration>
  <Domaine><Nom>medimail.mssante.fr</Nom><Description>Medimail</Description>
    <DNCertificatOperateur>CN=medimail-asip.mipih.fr,O=GIP MIPIH</DNCertificatOperateur>
  </Domaine>
  <Domaine><Nom>CH-Albi.MSSante.fr</Nom></Domaine>
</ListeBlanche>
"""


def test_it_computes_the_mssante_address(martine: Account) -> None:
    assert addresses.mssante_address(martine) == "martine.dubois@ch-a.mssante.fr"
    assert addresses.sender_address(martine) == "martine.dubois@ch-a.mssante.fr"


def test_it_resolves_inside_by_mssante_address_or_account_email(martine: Account) -> None:
    assert addresses.local_account("Martine.Dubois@CH-A.mssante.fr") == martine
    assert addresses.local_account(martine.email) == martine
    assert addresses.local_by_mssante(martine.email) is None


def test_the_smtp_lookup_ignores_the_case_of_the_address(martine: Account) -> None:
    """Particles are stored lower-case; the address written by a sender may not be."""
    assert martine.mssante_particle == "martine.dubois"
    found = (martine.pk, "PER")
    assert addresses.inbound_mailbox("Martine.DUBOIS@CH-A.MSSante.fr") == found
    assert addresses.local_by_mssante("MARTINE.DUBOIS@ch-a.mssante.fr") == martine
    assert addresses.inbound_mailbox("martine.dupont@ch-a.mssante.fr") is None


def test_it_loads_the_whitelist(tmp_path: Path, martine: Account) -> None:
    path = tmp_path / "listeblanchemssante.xml"
    path.write_bytes(XML)
    assert whitelist.refresh(cli_context(), str(path)) == 2
    assert set(WhitelistDomain.objects.values_list("name", flat=True)) == {
        "medimail.mssante.fr",
        "ch-albi.mssante.fr",
    }
    found = addresses.check_recipients(martine, ["Dr X <x@medimail.mssante.fr>"])
    assert found[0].address == "x@medimail.mssante.fr" and not found[0].is_local


def test_it_refuses_hostile_or_empty_whitelists(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_bytes(b'<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>')
    with pytest.raises(Invalid, match="DOCTYPE"):
        whitelist.refresh(cli_context(), str(bomb))
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"<x/>")
    with pytest.raises(Invalid, match="vide"):
        whitelist.refresh(cli_context(), str(empty))
    with pytest.raises(Invalid, match="illisible"):
        whitelist.refresh(cli_context(), str(tmp_path / "absent.xml"))


def test_it_refuses_non_mssante_recipients_in_french(martine: Account) -> None:
    with pytest.raises(Invalid) as info:
        addresses.check_recipients(martine, ["jean@gmail.com"])
    assert "n'appartient pas à l'espace de confiance MSSanté" in info.value.message


def test_a_mailbox_without_mssante_address_stays_inside(
    structure_a: Any, martine: Account, settings: Any
) -> None:
    from tests import factories

    med = factories.make_account(structure_a, "MED", email="med@perso.example.org")
    assert addresses.check_recipients(med, [martine.email])[0].account == martine
    settings.SMTP_ROUTES = "autre.mssante.fr=127.0.0.1:2526"
    with pytest.raises(Invalid, match="pas d'adresse MSSanté"):
        addresses.check_recipients(med, ["x@autre.mssante.fr"])


def test_routes_parse_and_fail_loudly(settings: Any) -> None:
    settings.SMTP_ROUTES = "a.mssante.fr=127.0.0.1:2526, b.mssante.fr=mx.b.fr"
    assert addresses.routes() == {
        "a.mssante.fr": ("127.0.0.1", 2526),
        "b.mssante.fr": ("mx.b.fr", 25),
    }
    settings.SMTP_ROUTES = "a.mssante.fr"
    with pytest.raises(ConfigError):
        addresses.routes()


def _by_parseaddr(address: str) -> str:
    """`normalise` as it was, parseaddr for every address (the reference)."""
    _, parsed = parseaddr(address.strip())
    parsed = parsed.strip().lower()
    return parsed if addresses._ADDRESS.match(parsed) else ""


_ATOM_TEXT = st.text(alphabet="aZ09!#$%&'*+/=?^_`{|}~-", min_size=1, max_size=4)
_DOT_ATOM = st.lists(_ATOM_TEXT, min_size=1, max_size=3).map(".".join)


@hypothesis_settings(max_examples=500, deadline=None)
@given(local=_DOT_ATOM, domain=_DOT_ATOM, space=st.sampled_from(["", " ", "\t"]))
def test_normalise_reads_a_dot_atom_address_as_parseaddr_does(
    local: str, domain: str, space: str
) -> None:
    address = f"{space}{local}@{domain}{space}"
    assert addresses.normalise(address) == _by_parseaddr(address)


@pytest.mark.parametrize(
    "address",
    [
        "Dr.Dupont@CH-A.mssante.fr",
        "Dr Dupont <dupont@ch-a.mssante.fr>",
        "a..b@c.fr",
        ".a@c.fr",
        "a.@c.fr",
        "a@-c.fr",
        "a@c.fr (commentaire)",
        '"a b"@c.fr',
        "sans arobase",
        "",
    ],
)
def test_normalise_other_forms_as_parseaddr_does(address: str) -> None:
    assert addresses.normalise(address) == _by_parseaddr(address)
