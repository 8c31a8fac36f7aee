"""Structure A never shows itself to structure B: every page of the module, requested by
B's administrator, by a coordinator of B (every right in B) and by the platform operator
(no coordination role: a structure opens its records itself) on A's objects, answers 404
and writes nothing.

The pages are those of test_sealing's tables (which must name every URL of the module).
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, reverse

from caducee.coordination.models import (
    Contact,
    ExternalAccount,
    ExternalGrant,
    LiaisonEntry,
    Membership,
    Partner,
    Record,
    RecordDocument,
    RightsProfile,
)
from caducee.coordination.urls import urlpatterns
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.coordination.conftest import World, member
from tests.coordination.test_sealing import OPEN_ON_A, OTHERS, SEALED
from tests.factories import make_operator
from tests.helpers import client_for

# Pages without an object in their URL that take the structure as ?structure=<id>.
BY_STRUCTURE = {
    "record_create",
    "contacts",
    "contact_create",
    "contact_import",
    "profiles",
    "profile_create",
    "members",
}
# Pages about the person's own lists: checked for not naming A's objects.
LISTS = {"home", "externals", "external_create"}
OUTSIDERS = ("admin_b", "coordinator_b", "operator")
POSTED = {
    "text": "x",
    "enabled": "1",
    "suspended": "1",
    "account": "1",
    "last_name": "Intrus",
    "first_name": "Ian",
    "birth_date": "01/01/1950",
    "name": "Profil intrus",
    "email": "intrus@clinique-b.fr",
    "identifier": "intrus",
    "contact_type": "autre",
}


def rows() -> tuple[int, ...]:
    models = (
        Record,
        Partner,
        Contact,
        Membership,
        RightsProfile,
        ExternalAccount,
        ExternalGrant,
        RecordDocument,
        LiaisonEntry,
    )
    return tuple(model.objects.count() for model in models)


def outsider(kind: str, bob: User, structure_b: Structure) -> User:
    if kind == "admin_b":
        return bob
    if kind == "coordinator_b":
        return member(structure_b, "coord.b@clinique-b.fr", "Coordinateur interne")
    return make_operator("op@plateforme.test")


def test_every_page_is_checked() -> None:
    names = {p.name for p in urlpatterns if isinstance(p, URLPattern)}
    assert names == set(SEALED) | set(OPEN_ON_A) | OTHERS
    assert names >= BY_STRUCTURE | LISTS


@pytest.mark.parametrize("kind", OUTSIDERS)
def test_no_page_opens_a_to_b(
    world: World, kind: str, bob: User, structure_a: Structure, structure_b: Structure
) -> None:
    client = client_for(outsider(kind, bob, structure_b))
    before = rows()
    tables = {**SEALED, **OPEN_ON_A}
    for name, (on_a, _) in sorted(tables.items()):
        if name in LISTS:
            continue
        url = reverse(f"coordination:{name}", args=on_a(world))
        if name in BY_STRUCTURE:
            url += f"?structure={structure_a.pk}"
        assert client.get(url).status_code in {404, 405}, (kind, url)
        posted = {**POSTED, "structure": str(structure_a.pk)}
        assert client.post(url, posted).status_code in {404, 405}, (kind, url)
    assert rows() == before
    world.partner_a.refresh_from_db()
    assert world.partner_a.access_enabled


@pytest.mark.parametrize("kind", OUTSIDERS)
def test_own_lists_name_nothing_of_a(
    world: World, kind: str, bob: User, structure_b: Structure
) -> None:
    client = client_for(outsider(kind, bob, structure_b))
    contact = world.partner_a.contact
    for name in sorted(LISTS):
        url = reverse(f"coordination:{name}") + f"?contact={contact.pk}&q=cor"
        page = client.get(url)
        text = page.content.decode()
        assert page.status_code in {200, 404}, (kind, name)
        for secret in ("MARTIN", "DURAND", "CORRE", world.external.identifier):
            assert secret not in text, (kind, name, secret)
