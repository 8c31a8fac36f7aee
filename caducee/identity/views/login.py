"""Login with a second factor, logout, and the CGU a logged-in person must accept again.

The state machine is `caducee.identity.login_flow`; these views only read the form, call
`login()`/`logout()`, set cookies and render.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from caducee.core.client_address import client_certificate
from caducee.core.errors import Invalid
from caducee.core.web import anonymous_context, person, safe_next, web_context
from caducee.identity import browsers, cgu, codes, login_flow, sessions, sms
from caducee.identity import operations as ops
from caducee.identity.certificates import authority as cert_authority
from caducee.identity.certificates import operations as cert_ops
from caducee.identity.certificates import rules as cert_rules
from caducee.identity.models import ClientCertificate
from caducee.identity.psc import views as psc_views
from caducee.people.models import User

CERTIFICATE = "certificate"  # a partner's certificate as the second factor (#17)


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    error = ""
    info = login_flow.SESSION_END.get(request.GET.get("fin", ""), "")
    email = request.GET.get("email", "").strip().lower()[:254]
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    status = 200
    if request.method == "POST":
        email = request.POST.get("email", "").strip().lower()
        password = request.POST.get("password", "")
        step = login_flow.password_step(
            anonymous_context(request, email),
            email,
            lambda: authenticate(request, username=email, password=password),
        )
        if step.user is not None:
            return _second_factor(request, step.user, next_url)
        error, status = step.error, step.status
    return render(
        request,
        "identity/login.html",
        {"error": error, "info": info, "email": email, "next": next_url},
        status=status,
    )


def _second_factor(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    # A partner's certificate, verified by nginx and valid in the database (#17).
    partner_certificate = cert_rules.usable_row(user, client_certificate(request))
    if partner_certificate is not None:
        login_flow.begin(request.session, user, next_url, CERTIFICATE)
        return _finish(request, user, CERTIFICATE, remember=False, row=partner_certificate)
    security = ops.security_of(user)
    method = login_flow.second_factor(
        trusted_browser=browsers.recognise(request, user) is not None,
        totp_enabled=security.totp_enabled,
        sms_enabled=security.sms_enabled and sms.enabled(),
    )
    login_flow.begin(request.session, user, next_url, method)
    if method == login_flow.TRUSTED_BROWSER:
        return _finish(request, user, method, remember=False)
    if method in (login_flow.EMAIL, login_flow.SMS):
        _send_code(request, user, by_sms=method == login_flow.SMS, resend=False)
    return redirect("identity:code")


def _send_code(request: HttpRequest, user: User, *, by_sms: bool, resend: bool) -> None:
    """Send a login code and note in the pending login where it went."""
    try:
        delivery = ops.send_login_code(web_context(request), user, by_sms=by_sms)
    except codes.TooSoon as exc:
        if resend:
            messages.warning(
                request,
                f"Un code vient d'être envoyé : patientez {exc.seconds} s avant d'en "
                "demander un autre.",
            )
        else:
            login_flow.mark_reused(request.session)  # the code sent just before still works
        return
    if resend:
        login_flow.restart(request.session, delivery.channel)  # a new code: a new delay
    login_flow.delivered(
        request.session, delivery.channel, delivery.to, failover=bool(delivery.failover)
    )
    if resend and not delivery.failover:
        where = "par SMS au" if delivery.channel == login_flow.SMS else "à"
        messages.success(request, f"Un nouveau code a été envoyé {where} {delivery.to}.")


@require_http_methods(["GET", "POST"])
def code_view(request: HttpRequest) -> HttpResponse:
    pending = login_flow.pending(request.session)
    if pending is None:
        messages.info(request, "Saisissez à nouveau votre adresse mail et votre mot de passe.")
        return redirect("identity:login")
    user, data = pending
    method = str(data.get("method", login_flow.EMAIL))
    error = ""
    status = 200
    if request.method == "POST":
        # Not logged in until the code is right.
        ctx = anonymous_context(request, user.email)
        step = login_flow.code_step(ctx, user, request.POST.get("code", ""), method)
        if step.user is not None:
            return _finish(request, user, method, remember=request.POST.get("remember") == "on")
        error, status = step.error, step.status
    return render(
        request,
        "identity/code.html",
        {
            "error": error,
            "method": method,
            "email": user.email,
            "minutes": settings.LOGIN_CODE_MINUTES,
            "trusted_days": settings.TRUSTED_BROWSER_DAYS,
            "reused": bool(data.get("reused")),
            "sent_to": str(data.get("to") or user.email),
            "failover": bool(data.get("failover")),
        },
        status=status,
    )


@require_POST
def code_resend_view(request: HttpRequest) -> HttpResponse:
    """« Recevoir un nouveau code » (by SMS for who chose it) or « Recevoir le code par
    mail » (`canal=mail`: a lost or unreachable phone)."""
    pending = login_flow.pending(request.session)
    if pending is None:
        return redirect("identity:login")
    user, _ = pending
    security = ops.security_of(user)
    if security.totp_enabled:
        # The emailed code never replaces the authenticator app (it would add nothing
        # against someone who holds the mailbox); a lost app is reset by an admin.
        messages.error(request, login_flow.TOTP_NO_EMAIL)
        return redirect("identity:code")
    by_sms = request.POST.get("canal") != "mail" and security.sms_enabled and sms.enabled()
    _send_code(request, user, by_sms=by_sms, resend=True)
    return redirect("identity:code")


def _finish(
    request: HttpRequest,
    user: User,
    method: str,
    *,
    remember: bool,
    row: ClientCertificate | None = None,
) -> HttpResponse:
    data = login_flow.finish(request.session)
    login(request, user, backend=str(data.get("backend") or login_flow.DEFAULT_BACKEND))
    sessions.stamp(request.session, user)
    certificate = client_certificate(request)
    subject = certificate.subject if certificate else ""
    cookie: str | None = None
    if row is not None:
        cert_ops.certificate_login(web_context(request), user, row, subject)
    else:
        parsed = cert_rules.parsed(certificate)
        cookie = ops.complete_login(
            web_context(request),
            user,
            method,
            remember=remember,
            browser_label=browsers.describe(request.headers.get("User-Agent", "")),
            certificate=subject,
            serial=cert_authority.serial_text(parsed) if parsed else "",
        )
    target = login_flow.landing(
        request.session, user, safe_next(request, str(data.get("next", "")))
    )
    response = redirect(target)
    if cookie:
        browsers.set_cookie(response, cookie)
    return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        ops.record_logout(web_context(request))
    at_provider = psc_views.provider_logout_url(request)  # after a Pro Santé Connect login
    logout(request)
    messages.info(request, "Vous êtes déconnecté.")
    if at_provider:  # a page that moves on: a form's redirect off-site breaks the CSP
        return render(request, "identity/psc_logout.html", {"url": at_provider})
    return redirect("identity:login")


@require_http_methods(["GET", "POST"])
def cgu_view(request: HttpRequest) -> HttpResponse:
    """The current CGU; after a new version, a logged-in person accepts it here."""
    must_accept = request.user.is_authenticated and bool(
        request.session.get(login_flow.CGU_PENDING)
    )
    problems: list[object] = []
    next_url = safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    if request.method == "POST" and must_accept:
        try:
            ops.accept_cgu(web_context(request), person(request), request.POST.get("cgu", ""))
        except Invalid as exc:
            problems = list(exc.problems)
        else:
            request.session.pop(login_flow.CGU_PENDING, None)
            return redirect(next_url or "identity:home")
    return render(
        request,
        "identity/cgu.html",
        {
            "version": cgu.current_version(),
            "text": cgu.text(),
            "must_accept": must_accept,
            "problems": problems,
            "next": next_url,
        },
    )
