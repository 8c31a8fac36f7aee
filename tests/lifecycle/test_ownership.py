"""Every lifecycle URL: a structure (or account) of someone else is a 404, like a missing one.

The URL list is read from `caducee.lifecycle.urls`, so a new page is covered the day it is
added.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, reverse

from caducee.lifecycle import urls as lifecycle_urls
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.helpers import client_for

pytestmark = pytest.mark.django_db
EXTRA_ARGUMENTS = {"fmt": "csv"}


def _patterns() -> list[URLPattern]:
    return [p for p in lifecycle_urls.urlpatterns if isinstance(p, URLPattern)]


def _url(name: str, structure: Structure, account_id: int, converters: set[str]) -> str:
    kwargs: dict[str, object] = {"structure_id": structure.pk}
    if "account_id" in converters:
        kwargs["account_id"] = account_id
    kwargs |= {k: v for k, v in EXTRA_ARGUMENTS.items() if k in converters}
    return reverse(f"lifecycle:{name}", kwargs=kwargs)


def test_it_validates_ownership(
    structure_a: Structure, structure_b: Structure, alice: User, bob: User
) -> None:
    own = factories.make_account(structure_a, "PER")
    other = factories.make_account(structure_b, "PER")
    client = client_for(alice)
    checked = 0
    for pattern in _patterns():
        converters = set(pattern.pattern.converters)
        assert converters <= {"structure_id", "account_id", *EXTRA_ARGUMENTS}, pattern.name
        assert pattern.name is not None
        cases = [_url(pattern.name, structure_b, other.pk, converters)]
        if "account_id" in converters:
            cases.append(_url(pattern.name, structure_a, other.pk, converters))
            cases.append(_url(pattern.name, structure_b, own.pk, converters))
        for url in cases:
            assert client.get(url).status_code in (404, 405), url
            assert client.post(url, {"reason": "motif"}).status_code in (404, 405), url
            checked += 1
        mine = _url(pattern.name, structure_a, own.pk, converters)
        answer = client.post(mine, {"reason": "motif"}) if "account_id" in converters else None
        assert (answer or client.get(mine)).status_code in (200, 302), mine
    assert checked >= 7
    other.refresh_from_db()
    assert other.inactivity_exempt_reason == ""
