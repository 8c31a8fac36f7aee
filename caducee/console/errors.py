"""Error pages in French, never a stack trace (`core.web.error_page`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from caducee.core.web import error_page, not_found_page


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: the same page as an object one may not see (`core.web.not_found_page`)."""
    return not_found_page(request)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(
        request,
        "Accès refusé",
        "Vous n'avez pas accès à cette page. Si la page venait d'un formulaire, "
        "rechargez-la puis recommencez.",
        403,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return error_page(request, "Requête invalide", "La requête n'a pas pu être lue.", 400)


def server_error(request: HttpRequest) -> HttpResponse:
    return error_page(
        request,
        "Erreur du serveur",
        "Une erreur inattendue est survenue ; rien n'a été enregistré pour cette "
        "action. Réessayez, puis prévenez l'équipe d'exploitation si elle se répète.",
        500,
    )
