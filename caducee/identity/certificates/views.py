"""Web adapters: the CPS card login, and the partner's certificates on « Sécurité »
(ask, download once, « retirer ») and in the console (an admin revokes)."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from caducee.accounts.models import Account, AccountState
from caducee.core.client_address import client_certificate
from caducee.core.errors import Forbidden, Invalid
from caducee.core.headers import no_store
from caducee.core.web import anonymous_context, guarded, person, safe_next, web_context
from caducee.identity import login_flow, sessions
from caducee.identity.certificates import authority, cps, rules
from caducee.identity.certificates import operations as cert_ops
from caducee.identity.psc.matching import matching_accounts

CHOICE = "caducee_cps_choice"  # several accounts carry the card's identifier
CHOICE_SECONDS = 600


def _cps_enabled() -> None:
    if not settings.CPS_LOGIN:
        raise Http404("La connexion par carte CPS n'est pas activée sur cette plateforme.")


def _refused(request: HttpRequest, reason: str, context: dict[str, object]) -> HttpResponse:
    cert_ops.cps_refused(
        anonymous_context(request),
        reason,
        serial=str(context.get("serial", "")),
        id_nat=str(context.get("id_nat", "")),
    )
    return render(request, "identity/cps_refused.html", {"reason": reason, **context}, status=403)


@require_GET
def cps_login_view(request: HttpRequest) -> HttpResponse:
    """« Se connecter avec une carte CPS »: nginx asked the browser for the card's
    certificate and verified it against the IGC-Santé chains."""
    _cps_enabled()
    certificate = rules.parsed(client_certificate(request))
    if certificate is None:
        return _refused(request, "no certificate", {})
    serial = authority.serial_text(certificate)
    if authority.is_ours(certificate):  # a partner certificate is a second factor only
        return _refused(request, "partner certificate", {"serial": serial})
    ids = cps.national_ids_of(certificate)
    context: dict[str, object] = {"serial": serial, "id_nat": ids.label, "holder": ""}
    context["holder"] = cps.holder_label(certificate)
    if not ids:
        return _refused(request, "not a CPS certificate", context)
    matches = matching_accounts(ids)
    next_url = safe_next(request, request.GET.get("next", ""))
    if len(matches.usable) == 1:
        return _log_in(request, matches.usable[0], next_url)
    if matches.usable:
        request.session[CHOICE] = {
            "accounts": [a.pk for a in matches.usable],
            "serial": serial,
            "id_nat": ids.label,
            "next": next_url,
            "at": time.time(),
        }
        return redirect("identity:cps_choose")
    reason = "closed" if matches.closed else "unfinished" if matches.unfinished else "unknown"
    return _refused(request, f"{reason} identifier", {**context, "matches": reason})


def _log_in(request: HttpRequest, account: Account, next_url: str) -> HttpResponse:
    """Log in with the card presented on this very request (read again, not remembered)."""
    certificate = rules.parsed(client_certificate(request))
    user = account.user
    if certificate is None or user is None:
        messages.error(request, "La carte CPS n'est plus présentée : recommencez.")
        return redirect("identity:login")
    login_flow.finish(request.session)  # a password login left half-way is dropped
    login(request, user, backend=login_flow.DEFAULT_BACKEND)
    sessions.stamp(request.session, user)
    cert_ops.cps_login(web_context(request), user, certificate)
    return redirect(login_flow.landing(request.session, user, safe_next(request, next_url)))


@require_http_methods(["GET", "POST"])
def cps_choose_view(request: HttpRequest) -> HttpResponse:
    """Several accounts carry the card's identifier: « Choisissez le compte à ouvrir »."""
    _cps_enabled()
    choice = request.session.get(CHOICE)
    certificate = rules.parsed(client_certificate(request))
    if (
        not isinstance(choice, dict)
        or time.time() - float(choice.get("at", 0)) > CHOICE_SECONDS
        or certificate is None
        or authority.serial_text(certificate) != choice.get("serial")
    ):
        request.session.pop(CHOICE, None)
        messages.error(request, "La connexion par carte CPS a expiré : recommencez.")
        return redirect("identity:login")
    accounts = list(
        Account.objects.filter(
            pk__in=choice["accounts"], state=AccountState.VALID, user__is_active=True
        )
        .select_related("structure", "user")
        .order_by("structure__name", "email")
    )
    if request.method == "POST":
        chosen = next((a for a in accounts if str(a.pk) == request.POST.get("account")), None)
        if chosen is not None:
            request.session.pop(CHOICE, None)
            return _log_in(request, chosen, str(choice.get("next", "")))
        messages.error(request, "Choisissez l'un des comptes de la liste.")
    return render(
        request, "identity/cps_choose.html", {"accounts": accounts, "id_nat": choice["id_nat"]}
    )


# --- The partner's own certificates (« Sécurité ») ---------------------------------------


@guarded()
@no_store
@require_POST
def certificate_request_view(request: HttpRequest) -> HttpResponse:
    """« Demander un certificat »: the password is shown on this page only."""
    try:
        new = cert_ops.issue_certificate(web_context(request), person(request))
    except Forbidden as exc:
        messages.error(request, exc.message)
        return redirect("identity:security")
    return render(
        request,
        "identity/certificate_issued.html",
        {"certificate": new.row, "password": new.password, "years": settings.CERTIFICATE_YEARS},
    )


@guarded()
@no_store
@require_POST
def certificate_download_view(request: HttpRequest, certificate_id: int) -> HttpResponse:
    try:
        row, bundle = cert_ops.take_certificate_file(
            web_context(request), person(request), certificate_id
        )
    except Invalid as exc:
        messages.error(request, exc.message)
        return redirect("identity:security")
    response = HttpResponse(bundle, content_type="application/x-pkcs12")
    response["Content-Disposition"] = f'attachment; filename="caducee-{row.serial[:16]}.p12"'
    return response


@guarded()
@require_POST
def certificate_revoke_view(request: HttpRequest, certificate_id: int) -> HttpResponse:
    """« Retirer » on the person's own certificate, or « Révoquer » in the console."""
    row = cert_ops.revoke_certificate(
        web_context(request), certificate_id, request.POST.get("reason", "")
    )
    messages.success(request, f"Le certificat n° {row.serial} est révoqué.")
    back = safe_next(request, request.POST.get("next", ""))
    return redirect(back or "identity:security")
