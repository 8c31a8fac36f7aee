"""« Sécurité »: the login methods (authenticator app, SMS codes; see also views/sms.py),
remembered browsers, sessions, the password."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from caducee.core.errors import Invalid
from caducee.core.headers import no_store
from caducee.core.web import guarded, person, web_context
from caducee.identity import methods, sms, totp
from caducee.identity import operations as ops

TOTP_SETUP = "caducee_totp_setup"  # the secret shown while the app is being enrolled


@guarded()
def security_view(request: HttpRequest) -> HttpResponse:
    user = person(request)
    security = ops.security_of(user)
    return render(
        request,
        "identity/security.html",
        {
            "browsers": ops.remembered_browsers(user),
            "security": security,
            "second_factor": methods.label(methods.second_factor_of(security)),
            "sms_available": sms.enabled(),
            "sms_to": sms.masked(security.sms_number) if security.sms_number else "",
            "trusted_days": settings.TRUSTED_BROWSER_DAYS,
            "idle_minutes": settings.SESSION_IDLE_MINUTES,
            "max_hours": settings.SESSION_COOKIE_AGE // 3600,
        },
    )


@guarded()
@require_POST
def browser_revoke_view(request: HttpRequest, browser_id: int) -> HttpResponse:
    browser = ops.revoke_browser(web_context(request), person(request), browser_id)
    messages.success(request, f"Le navigateur « {browser.label} » est retiré.")
    return redirect("identity:security")


@guarded()
@require_POST
def logout_everywhere_view(request: HttpRequest) -> HttpResponse:
    ops.logout_everywhere(web_context(request), person(request))
    logout(request)
    messages.info(request, "Toutes vos sessions sont fermées, y compris celle-ci.")
    return redirect("identity:login")


@guarded()
@no_store
@require_http_methods(["GET", "POST"])
def totp_view(request: HttpRequest) -> HttpResponse:
    user = person(request)
    secret = str(request.session.get(TOTP_SETUP) or totp.new_secret())
    request.session[TOTP_SETUP] = secret
    problems: list[object] = []
    if request.method == "POST":
        try:
            ops.enable_totp(web_context(request), user, secret, request.POST.get("code", ""))
        except Invalid as exc:
            problems = list(exc.problems)
        else:
            request.session.pop(TOTP_SETUP, None)
            messages.success(request, "L'application d'authentification est activée.")
            return redirect("identity:security")
    return render(
        request,
        "identity/totp.html",
        {"secret": secret, "uri": totp.uri(secret, user.email), "problems": problems},
    )


@guarded()
@require_POST
def totp_disable_view(request: HttpRequest) -> HttpResponse:
    try:
        ops.disable_totp(web_context(request), person(request), request.POST.get("code", ""))
    except Invalid as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            "L'application d'authentification est retirée : les codes "
            "vous seront de nouveau envoyés par mail.",
        )
    return redirect("identity:security")


@guarded()
@require_http_methods(["GET", "POST"])
def password_change_view(request: HttpRequest) -> HttpResponse:
    problems: list[object] = []
    if request.method == "POST":
        try:
            ops.change_password(
                web_context(request),
                person(request),
                request.POST.get("current", ""),
                request.POST.get("password", ""),
                request.POST.get("confirm", ""),
            )
        except Invalid as exc:
            problems = list(exc.problems)
        else:
            update_session_auth_hash(request, person(request))
            messages.success(request, "Votre mot de passe est changé.")
            return redirect("identity:security")
    return render(request, "identity/password_change.html", {"problems": problems})
