"""The public form (anonymous, French errors beside each field, rate limit, neutral
acknowledgement) and the service centre's console pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from caducee.audit.actions import AuditAction
from caducee.audit.models import AuditEvent
from caducee.emails.models import OutgoingEmail
from caducee.onboarding.models import ConnectionRequest, RequestState
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.helpers import client_for
from tests.onboarding.conftest import pharmacy_form

pytestmark = pytest.mark.django_db

FORM = "/inscription/raccordement/"


def test_the_form_is_public_and_french() -> None:
    assert reverse("onboarding:request") == FORM
    response = Client().get(FORM)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Demande de raccordement" in text
    assert "FINESS géographique" in text and "Nombre d&#x27;utilisateurs prévus" in text


def test_a_valid_request_redirects_to_the_neutral_acknowledgement() -> None:
    response = Client().post(FORM, pharmacy_form())
    assert response.status_code == 302
    assert response["Location"] == reverse("onboarding:request_sent")
    page = Client().get(response["Location"]).content.decode()
    assert "Demande de raccordement envoyée" in page
    assert "Pharmacie" not in page  # the page shows nothing of the request
    row = ConnectionRequest.objects.get()
    assert row.state == RequestState.NEW
    assert OutgoingEmail.objects.filter(recipient=row.email, template="onboarding_received")


def test_a_logged_in_person_may_send_one_too(charlie: User) -> None:
    response = client_for(charlie).post(FORM, pharmacy_form())
    assert response.status_code == 302
    assert AuditEvent.objects.get(action=AuditAction.ONBOARDING_REQUEST).actor == charlie


def test_errors_are_shown_beside_each_field() -> None:
    data = pharmacy_form(
        id_number="123", email="pas-une-adresse", postal_code="81", expected_users="dix", city=""
    )
    response = Client().post(FORM, data)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) == {"id_number", "email", "postal_code", "expected_users", "city"}
    text = response.content.decode()
    assert "La demande n&#x27;a pas été envoyée" in text
    assert "« pas-une-adresse » n&#x27;est pas une adresse mail valide" in text
    assert 'id="champ-email"' in text
    assert 'value="pas-une-adresse"' in text  # what was typed is kept
    assert not ConnectionRequest.objects.exists()


def test_a_null_character_is_refused_not_a_crash() -> None:
    response = Client().post(FORM, pharmacy_form(structure_name="Pharma\x00cie"))
    assert response.status_code == 200
    assert "structure_name" in response.context["form"].errors
    assert not ConnectionRequest.objects.exists()


def test_get_only_for_the_acknowledgement() -> None:
    assert Client().post(reverse("onboarding:request_sent")).status_code == 405


@override_settings(ONBOARDING_REQUESTS_PER_EMAIL=1)
def test_the_rate_limit_is_explained_on_the_form() -> None:
    client = Client()
    assert client.post(FORM, pharmacy_form()).status_code == 302
    response = client.post(FORM, pharmacy_form())
    assert response.status_code == 200
    assert "Trop de demandes de raccordement" in response.content.decode()
    assert ConnectionRequest.objects.count() == 1


# --- console -------------------------------------------------------------------------------


def test_the_queue_lists_open_requests_and_highlights_the_overdue(
    operator: User, pharmacy_request: ConnectionRequest
) -> None:
    late = ConnectionRequest.objects.create(
        **{
            f.name: getattr(pharmacy_request, f.name)
            for f in ConnectionRequest._meta.concrete_fields
            if f.name not in {"id", "created_at", "updated_at"}
        }
        | {"structure_name": "Cabinet en retard"}
    )
    ConnectionRequest.objects.filter(pk=late.pk).update(
        created_at=timezone.now() - timedelta(hours=80)
    )
    client = client_for(operator)
    page = client.get(reverse("onboarding:queue")).content.decode()
    assert "Cabinet en retard" in page and "Pharmacie du Centre" in page
    assert page.count('class="overdue"') == 1
    assert page.index("Pharmacie du Centre") < page.index("Cabinet en retard")  # arrival order
    filtered = client.get(reverse("onboarding:queue"), {"anciennete": "72"}).content.decode()
    assert "Cabinet en retard" in filtered and "Pharmacie du Centre" not in filtered
    ConnectionRequest.objects.filter(pk=late.pk).update(state=RequestState.REFUSED)
    page = client.get(reverse("onboarding:queue")).content.decode()
    assert "Cabinet en retard" not in page  # « à traiter » by default
    refused = client.get(reverse("onboarding:queue"), {"etat": "refusee"}).content.decode()
    assert "Cabinet en retard" in refused and "Pharmacie du Centre" not in refused
    everything = client.get(reverse("onboarding:queue"), {"etat": ""}).content.decode()
    assert "Cabinet en retard" in everything and "Pharmacie du Centre" in everything
    # An unknown filter value falls back to the default list, not an error page.
    assert client.get(reverse("onboarding:queue"), {"etat": "x"}).status_code == 200


def test_the_structure_list_links_to_the_queue(operator: User) -> None:
    page = client_for(operator).get(reverse("console:structures")).content.decode()
    assert reverse("onboarding:queue") in page


def test_the_detail_shows_everything_typed(
    operator: User, structure_a: Structure, pharmacy_request: ConnectionRequest
) -> None:
    ConnectionRequest.objects.filter(pk=pharmacy_request.pk).update(id_number=structure_a.id_number)
    page = client_for(operator).get(reverse("onboarding:detail", args=[pharmacy_request.pk]))
    text = page.content.decode()
    for value in (
        "Pharmacie du Centre",
        "FINESS géographique (EG)",
        "12 place du Vigan",
        "81000",
        "ALBI",
        "Tarn",
        "Occitanie",
        "MARTIN",
        "Claire",
        "Pharmacienne titulaire",
        "contact@pharmacie-centre-albi.fr",
        "0563000000",
        "Nous souhaitons une boîte pour l&#x27;officine.",
    ):
        assert value in text, value
    assert 'id="existing"' in text and structure_a.name in text


def test_the_operator_takes_answers_and_creates_the_structure(
    operator: User, pharmacy_request: ConnectionRequest
) -> None:
    client = client_for(operator)
    pk = pharmacy_request.pk
    assert client.post(reverse("onboarding:take", args=[pk])).status_code == 302
    pharmacy_request.refresh_from_db()
    assert pharmacy_request.state == RequestState.IN_PROGRESS

    bad = client.post(reverse("onboarding:create_structure", args=[pk]), {"domain": "x y"})
    assert bad.status_code == 400
    assert "n&#x27;est pas un nom de domaine valide" in bad.content.decode()
    done = client.post(
        reverse("onboarding:create_structure", args=[pk]), {"domain": "pharma-albi.mssante.fr"}
    )
    assert done.status_code == 302
    structure = Structure.objects.get(name="Pharmacie du Centre")
    assert structure.domain == "pharma-albi.mssante.fr"

    empty = client.post(reverse("onboarding:answer", args=[pk]), {"decision": "refuser"})
    assert empty.status_code == 400
    assert "Écrivez le motif du refus" in empty.content.decode()
    missing = client.post(reverse("onboarding:answer", args=[pk]), {"message": "Oui"})
    assert "Choisissez d&#x27;accepter ou de refuser" in missing.content.decode()
    response = client.post(
        reverse("onboarding:answer", args=[pk]),
        {"decision": "accepter", "message": "Votre structure est créée."},
        follow=True,
    )
    text = response.content.decode()
    assert "Demande acceptée : la réponse est envoyée à contact@pharmacie-centre-albi.fr" in text
    assert "Votre structure est créée." in text
    assert "Envoyer la réponse" not in text  # answered: no more actions
    again = client.post(
        reverse("onboarding:answer", args=[pk]), {"decision": "refuser", "message": "Non."}
    )
    assert again.status_code == 400 and "déjà reçu une réponse" in again.content.decode()


def test_anonymous_people_are_sent_to_the_login(pharmacy_request: ConnectionRequest) -> None:
    response = Client().get(reverse("onboarding:queue"))
    assert response.status_code == 302 and "/connexion/" in response["Location"]
