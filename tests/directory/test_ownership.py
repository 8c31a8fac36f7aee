"""Every directory URL: a structure (or account) of someone else is a 404, like a missing one.

The URL list is read from `caducee.directory.urls`, so a new page is covered (or must be
named in `NOT_STRUCTURE_SCOPED` with its reason) the day it is added.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, reverse

from caducee.directory import urls as directory_urls
from caducee.directory.models import Quota
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.helpers import client_for

pytestmark = pytest.mark.django_db

# Pages with no structure in their path, and why they need no ownership case.
NOT_STRUCTURE_SCOPED = {
    "search": "the regional directory: every logged-in person reads it (listed accounts only)",
    "autocomplete": "the same directory, as suggestions",
    "my_listing": "the person's own account, found from the login (no id in the URL)",
}
EXTRA_ARGUMENTS = {"fmt": "fhir"}


def _patterns() -> list[URLPattern]:
    return [p for p in directory_urls.urlpatterns if isinstance(p, URLPattern)]


def test_every_directory_url_is_covered() -> None:
    for pattern in _patterns():
        converters = set(pattern.pattern.converters)
        assert pattern.name in NOT_STRUCTURE_SCOPED or "structure_id" in converters, (
            f"{pattern.name}: add it to the ownership cases or to NOT_STRUCTURE_SCOPED"
        )
        assert converters <= {"structure_id", "account_id", *EXTRA_ARGUMENTS}, pattern.name


def _url(name: str, structure: Structure, account_id: int, converters: set[str]) -> str:
    kwargs: dict[str, object] = {"structure_id": structure.pk}
    if "account_id" in converters:
        kwargs["account_id"] = account_id
    kwargs |= {k: v for k, v in EXTRA_ARGUMENTS.items() if k in converters}
    return reverse(f"directory:{name}", kwargs=kwargs)


def test_it_validates_ownership(
    structure_a: Structure, structure_b: Structure, alice: User, bob: User
) -> None:
    """alice administers A only: B's pages, and B's accounts under A's path, are 404s."""
    own = factories.make_account(structure_a, "PER")
    other = factories.make_account(structure_b, "PER")
    client = client_for(alice)
    checked = 0
    for pattern in _patterns():
        if pattern.name in NOT_STRUCTURE_SCOPED:
            continue
        converters = set(pattern.pattern.converters)
        assert pattern.name is not None
        cases = [_url(pattern.name, structure_b, other.pk, converters)]
        if "account_id" in converters:
            cases.append(_url(pattern.name, structure_a, other.pk, converters))
            cases.append(_url(pattern.name, structure_b, own.pk, converters))
        for url in cases:
            assert client.get(url).status_code == 404, url
            post = client.post(url, {"action": "remove", "limit_ORG": "1"})
            assert post.status_code in (404, 405), url
            checked += 1
        # alice's own structure answers (the 404s above are not a broken page)
        mine = _url(pattern.name, structure_a, own.pk, converters)
        assert client.get(mine).status_code in (200, 302), mine
    assert checked >= 8
    other.refresh_from_db()
    assert not Quota.objects.exists()


def test_an_unknown_publication_format_is_a_404(structure_a: Structure, alice: User) -> None:
    """Once a 500: the view let the operation's Invalid through the error decorator."""
    url = reverse("directory:export", args=[structure_a.pk, "xyz"])
    response = client_for(alice).get(url)
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()
