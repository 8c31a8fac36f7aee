"""The web-adapter kit: error mapping, the person, safe redirects, contexts."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from caducee.core.errors import Forbidden, NotFound
from caducee.core.web import anonymous_context, guarded, person, safe_next, web_context
from caducee.people.models import User

rf = RequestFactory()


def _request(user: object, path: str = "/page/") -> HttpRequest:
    request = rf.get(path, REMOTE_ADDR="192.0.2.7")
    SessionMiddleware(lambda r: HttpResponse()).process_request(request)
    request.user = user  # type: ignore[assignment]
    return request


@guarded()
def hidden(request: HttpRequest, what: str) -> HttpResponse:
    if what == "missing":
        raise NotFound("Introuvable.")
    if what == "refused":
        raise Forbidden("Réservé aux administrateurs de la structure.")
    return HttpResponse("ok")


@guarded(forbidden_as=403, no_store=True)
def explained(request: HttpRequest) -> HttpResponse:
    raise Forbidden("Réservé aux administrateurs de la structure.")


@guarded(forbidden_as=403, no_store=True)
def shown(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@pytest.mark.django_db
def test_a_visitor_is_sent_to_the_login_page(charlie: User) -> None:
    response = hidden(_request(AnonymousUser()), "x")
    assert response.status_code == 302
    assert "next=/page/" in response["Location"]


@pytest.mark.django_db
def test_not_found_and_forbidden_answer_the_same_404_by_default(charlie: User) -> None:
    missing = hidden(_request(charlie), "missing")
    refused = hidden(_request(charlie), "refused")
    assert missing.status_code == refused.status_code == 404
    for response in (missing, refused):
        assert isinstance(response, HttpResponse)
        text = response.content.decode()
        assert "Page introuvable" in text
        assert "Réservé" not in text
    assert hidden(_request(charlie), "fine").status_code == 200


@pytest.mark.django_db
def test_a_known_page_says_why_it_is_refused(charlie: User) -> None:
    response = explained(_request(charlie))
    assert isinstance(response, HttpResponse) and response.status_code == 403
    assert "Réservé aux administrateurs de la structure." in response.content.decode()
    assert shown(_request(charlie))["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_the_context_carries_the_person_and_the_ip(charlie: User) -> None:
    ctx = web_context(_request(charlie))
    assert ctx.user == charlie and ctx.ip == "192.0.2.7" and ctx.channel == "web"
    assert not ctx.is_server
    anonymous = anonymous_context(_request(AnonymousUser()), "x@example.org")
    assert anonymous.user is None and anonymous.label == "anonyme (x@example.org)"
    assert not anonymous.is_server
    assert person(_request(charlie)) == charlie
    with pytest.raises(NotFound):
        person(_request(AnonymousUser()))


def test_next_targets_stay_on_the_site() -> None:
    request = rf.get("/")
    assert safe_next(request, "/console/") == "/console/"
    assert safe_next(request, "https://evil.example.com/") == ""
    assert safe_next(request, "//evil.example.com/") == ""
    assert safe_next(request, "") == ""


def test_a_download_is_an_attachment_never_sniffed() -> None:
    import io

    from caducee.core.web import attachment

    response = attachment(io.BytesIO(b"x"), "compte rendu.pdf", "application/pdf")
    assert response["Content-Disposition"].startswith("attachment")
    assert "compte" in response["Content-Disposition"]
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
