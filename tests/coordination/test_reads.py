"""Reads stay reads (issue #14): the coordination pages shown with GET write no row.

The default rights profiles are created with the structure, the structure « Utilisateur
externe » by a data migration or by the first external account saved; neither on display.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from caducee.audit.models import AuditEvent
from caducee.coordination import operations
from caducee.coordination.models import Contact, ExternalAccount, Partner, RightsProfile
from caducee.coordination.permissions import DEFAULT_PROFILES
from caducee.core.errors import Invalid
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.helpers import client_for

WRITES = ("INSERT", "UPDATE", "DELETE")


def written(client: Client, url: str) -> list[str]:
    """The statements writing business rows while `url` is displayed (200 expected); the
    login session's own bookkeeping (`django_session`) is not the page's doing."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].lstrip().startswith(WRITES) and "django_session" not in q["sql"]
    ]


def test_admin_pages_of_a_new_structure_write_nothing(alice: User, structure_a: Structure) -> None:
    client = client_for(alice)
    before = (Structure.objects.count(), RightsProfile.objects.count(), AuditEvent.objects.count())
    for name in ("profiles", "members", "externals", "external_create", "profile_create"):
        assert written(client, reverse(f"coordination:{name}")) == [], name
    after = (Structure.objects.count(), RightsProfile.objects.count(), AuditEvent.objects.count())
    assert after == before
    page = client.get(reverse("coordination:profiles")).content.decode()
    assert all(default.name in page for default in DEFAULT_PROFILES)


def test_external_account_pages_write_nothing(
    alice: User, camille: User, corre_partner: Partner, corre: Contact
) -> None:
    """Before: the contact's page created « Utilisateur externe » (a Structure) on display."""
    admin = client_for(alice)
    create = reverse("coordination:external_create") + f"?contact={corre.pk}"
    assert written(admin, create) == []
    assert not Structure.objects.filter(is_external=True).exists()
    page = admin.get(create).content.decode()
    assert 'value="externe"' in page and "Utilisateur externe" in page
    args = [corre_partner.record_id, corre_partner.pk]
    assert written(client_for(camille), reverse("coordination:partner_external", args=args)) == []


def test_edit_page_of_an_external_account_writes_nothing(
    alice: User, fcorre_account: ExternalAccount
) -> None:
    url = reverse("coordination:external_edit", args=[fcorre_account.pk])
    assert written(client_for(alice), url) == []


def test_a_new_structure_has_its_default_profiles(structure_a: Structure) -> None:
    names = set(RightsProfile.objects.filter(structure=structure_a).values_list("name", flat=True))
    assert names == {default.name for default in DEFAULT_PROFILES}
    assert AuditEvent.objects.filter(
        action="coordination.profiles_defaults", structure=structure_a
    ).exists()


@pytest.mark.django_db
def test_find_profile_only_reads() -> None:
    """Before: looking a profile up gave the structure its default profiles."""
    bare = Structure.objects.create(name="Sans profils", id_type="SIRET", id_number="1" * 14)
    with pytest.raises(Invalid):
        operations.find_profile(bare, "Lecteur interne")
    assert not RightsProfile.objects.filter(structure=bare).exists()
