"""« Sécurité » › « Codes par SMS »: confirm a mobile with a code sent to it, or remove it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from caducee.core.errors import Invalid
from caducee.core.headers import no_store
from caducee.core.web import guarded, person, web_context
from caducee.identity import methods, sms
from caducee.identity import operations as ops

SMS_SETUP = "caducee_sms_setup"  # the number a confirmation code was sent to


@guarded()
@no_store
@require_http_methods(["GET", "POST"])
def sms_view(request: HttpRequest) -> HttpResponse:
    user = person(request)
    problems: list[object] = []
    pending = str(request.session.get(SMS_SETUP) or "")
    number = request.POST.get("number", "") or pending or methods.known_mobile(user)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "confirm":
                ops.enable_sms(web_context(request), user, pending, request.POST.get("code", ""))
            else:
                pending = ops.start_sms_setup(web_context(request), user, number)
                request.session[SMS_SETUP] = pending
                messages.success(request, f"Un code vient d'être envoyé au {sms.masked(pending)}.")
                return redirect("identity:sms")
        except Invalid as exc:
            problems = list(exc.problems)
        else:
            request.session.pop(SMS_SETUP, None)
            messages.success(
                request,
                f"Vos codes de connexion vous seront envoyés par SMS au {sms.masked(pending)}.",
            )
            return redirect("identity:security")
    return render(
        request,
        "identity/sms.html",
        {
            "available": sms.enabled(),
            "number": number,
            "pending": sms.masked(pending) if pending else "",
            "problems": problems,
            "totp_enabled": ops.security_of(user).totp_enabled,
        },
    )


@guarded()
@require_POST
def sms_disable_view(request: HttpRequest) -> HttpResponse:
    try:
        ops.disable_sms(web_context(request), person(request))
    except Invalid as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, "Les codes par SMS sont retirés : vos codes de connexion arrivent par mail."
        )
    return redirect("identity:security")
