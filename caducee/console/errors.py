"""Error pages in French, never a stack trace."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from caducee.core.web import not_found_page


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: the same page as an object one may not see (`core.web.not_found_page`)."""
    return not_found_page(request)


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "errors/error.html",
        {
            "title": "Accès refusé",
            "text": "Vous n'avez pas accès à cette page. Si la page venait d'un formulaire, "
            "rechargez-la puis recommencez.",
        },
        status=403,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request,
        "errors/error.html",
        {
            "title": "Requête invalide",
            "text": "La requête n'a pas pu être lue.",
        },
        status=400,
    )


def server_error(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "errors/error.html",
        {
            "title": "Erreur du serveur",
            "text": "Une erreur inattendue est survenue ; rien n'a été enregistré pour cette "
            "action. Réessayez, puis prévenez l'équipe d'exploitation si elle se répète.",
        },
        status=500,
    )
