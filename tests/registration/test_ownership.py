"""Every URL of the registration app: the service centre's pages are a 404 for anyone else
(a structure admin included, even for a request attached to their own structure), and the
public pages hold no id of anything.

The URL list is read from `caducee.registration.urls`, so a new page is covered the day it
is added.
"""

from __future__ import annotations

import pytest
from django.urls import URLPattern, reverse

from caducee.accounts.models import Account, AccountState
from caducee.people.models import User
from caducee.registration import urls as registration_urls
from caducee.registration.models import RequestState
from caducee.registration.operations import add_centre_member, submit_registration
from caducee.structures.models import Structure
from tests.helpers import client_for
from tests.registration.conftest import OCCITANIE, org_form
from tests.registration.test_operations import VISITOR

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("regions")]
PUBLIC = {
    "start",
    "choice",
    "org_question",
    "org_prove",
    "per_email",
    "org_email",
    "code",
    "code_resend",
    "form",
    "done",
    "correct",
}


def _patterns() -> list[URLPattern]:
    return [p for p in registration_urls.urlpatterns if isinstance(p, URLPattern)]


def test_the_centre_pages_are_404_for_anyone_else(
    pharmacist: Account, structure_a: Structure, alice: User, operator: User
) -> None:
    number = structure_a.id_number
    request = submit_registration(
        VISITOR,
        "ORG",
        OCCITANIE,
        org_form(id_type="FINESS_EG", id_number=number),
        requester=pharmacist.user,
    )
    assert request.account.structure == structure_a  # alice's own structure
    client = client_for(alice)
    checked = 0
    for pattern in _patterns():
        assert pattern.name is not None
        converters = set(pattern.pattern.converters)
        if pattern.name in PUBLIC:
            assert converters <= {"token"}, pattern.name
            continue
        assert converters <= {"request_id"}, pattern.name
        kwargs = {"request_id": request.pk} if converters else {}
        url = reverse(f"registration:{pattern.name}", kwargs=kwargs)
        payload = {"reason": "motif", "message": "à corriger", "particle": "x"}
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url, payload).status_code in (404, 405), url
        assert client_for(operator).get(url).status_code in (200, 405), url
        checked += 1
    assert checked == 5
    request.refresh_from_db()
    assert request.state == RequestState.TO_VALIDATE
    assert Account.objects.get(pk=request.account.pk).state == AccountState.TO_VALIDATE
    add_centre_member(VISITOR.__class__(user=operator), alice.email)
    assert client.get(reverse("registration:queue")).status_code == 200


def test_the_api_is_404_for_anyone_else(pharmacist: Account, alice: User) -> None:
    from tests.helpers import bearer_client

    request = submit_registration(VISITOR, "ORG", OCCITANIE, org_form(), requester=pharmacist.user)
    client = bearer_client(alice)
    json = "application/json"
    assert client.get("/api/v1/registrations").status_code == 404
    assert client.get(f"/api/v1/registrations/{request.pk}").status_code == 404
    for action, body in (
        ("validate", {}),
        ("reject", {"reason": "x"}),
        ("correction", {"message": "x"}),
    ):
        url = f"/api/v1/registrations/{request.pk}/{action}"
        assert client.post(url, body, content_type=json).status_code == 404, url
    assert client.get("/api/v1/registration-centre").status_code == 404
    response = client.post("/api/v1/registration-centre", {"email": alice.email}, content_type=json)
    assert response.status_code == 403
    request.refresh_from_db()
    assert request.state == RequestState.TO_VALIDATE
