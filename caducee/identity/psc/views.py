"""Pro Santé Connect web adapters: start, return from the provider, choice of account.

The exchange is `psc.client`, the matching `psc.matching`; once a person is found, the
login ends as every login does (`login()`, session stamps, `login_flow.landing`), with no
emailed code: PSC is itself a strong authentication (e-CPS app or CPS card).
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from caducee.accounts.models import Account, AccountState
from caducee.core.web import anonymous_context, safe_next, web_context
from caducee.identity import login_flow, sessions
from caducee.identity.psc import client, config
from caducee.identity.psc import operations as psc_ops
from caducee.identity.psc.matching import Matches, NationalIds, matching_accounts, national_ids

FLOW = "caducee_psc_flow"  # state, nonce, PKCE verifier, next: until the provider answers
CHOICE = "caducee_psc_choice"  # several accounts carry the identifier: the person picks one
# After a PSC login: the hint of the logout at the provider.
ID_TOKEN = "caducee_psc_id_token"  # noqa: S105 (a session key, not a secret)
FLOW_SECONDS = 600
EXPIRED = (
    "La connexion avec Pro Santé Connect a expiré ou a déjà servi. Cliquez de nouveau sur "
    "« Se connecter avec Pro Santé Connect »."
)
CANCELLED = (
    "La connexion avec Pro Santé Connect a été annulée ou refusée par Pro Santé Connect. "
    "Recommencez, ou connectez-vous avec votre adresse mail et votre mot de passe."
)


def _config() -> config.PscConfig:
    current = config.current()
    if current is None:
        raise Http404("Pro Santé Connect n'est pas configuré sur cette plateforme.")
    return current


def _callback_uri(request: HttpRequest) -> str:
    return request.build_absolute_uri(reverse("identity:psc_callback"))


@require_GET
def psc_start_view(request: HttpRequest) -> HttpResponse:
    """« Se connecter avec Pro Santé Connect »: off to the provider's authorization page."""
    settings = _config()
    next_url = safe_next(request, request.GET.get("next", ""))
    try:
        url, flow = client.start(settings, _callback_uri(request))
    except client.PscError as exc:
        psc_ops.psc_refused(anonymous_context(request), exc.reason)
        messages.error(request, exc.message)
        return redirect("identity:login")
    request.session[FLOW] = {**flow, "next": next_url, "at": time.time()}
    return redirect(url)


def _take_flow(request: HttpRequest) -> dict[str, Any] | None:
    flow = request.session.pop(FLOW, None)
    if not isinstance(flow, dict) or time.time() - float(flow.get("at", 0)) > FLOW_SECONDS:
        return None
    return flow


@require_GET
def psc_callback_view(request: HttpRequest) -> HttpResponse:
    """The provider sends the person back here with a code (or an error)."""
    settings = _config()
    ctx = anonymous_context(request)
    flow = _take_flow(request)
    if flow is None:  # stale, replayed or forged URL: nothing vouched for, not audited
        messages.error(request, EXPIRED)
        return redirect("identity:login")
    if "error" in request.GET:
        psc_ops.psc_refused(ctx, f"provider error: {request.GET.get('error', '')[:100]}")
        messages.error(request, CANCELLED)
        return redirect("identity:login")
    try:
        identity = client.finish(
            settings, flow, request.build_absolute_uri(), _callback_uri(request)
        )
    except client.PscError as exc:
        psc_ops.psc_refused(ctx, exc.reason)
        messages.error(request, exc.message)
        return redirect("identity:login")
    ids = national_ids(identity.claims)
    matches = matching_accounts(ids)
    next_url = str(flow.get("next", ""))
    if len(matches.usable) == 1:
        return _log_in(request, matches.usable[0], identity, next_url)
    if matches.usable:
        request.session[CHOICE] = {
            "accounts": [a.pk for a in matches.usable],
            "sub": identity.sub,
            "id_token": identity.id_token,
            "id_nat": ids.label,
            "next": next_url,
            "at": time.time(),
        }
        return redirect("identity:psc_choose")
    return _refusal(request, ids, matches, identity.sub)


def _refusal(request: HttpRequest, ids: NationalIds, matches: Matches, sub: str) -> HttpResponse:
    reason = "closed" if matches.closed else "unfinished" if matches.unfinished else "unknown"
    psc_ops.psc_refused(
        anonymous_context(request), f"{reason} identifier", sub=sub, id_nat=ids.label
    )
    return render(
        request,
        "identity/psc_refused.html",
        {"reason": reason, "id_nat": ids.label or "inconnu", "matches": matches},
        status=403,
    )


def _log_in(
    request: HttpRequest, account: Account, identity: client.Identity, next_url: str
) -> HttpResponse:
    user = account.user
    assert user is not None
    login_flow.finish(request.session)  # a password login left half-way is dropped
    login(request, user, backend=login_flow.DEFAULT_BACKEND)
    sessions.stamp(request.session, user)
    psc_ops.psc_login(web_context(request), user, identity.sub)
    request.session[ID_TOKEN] = identity.id_token
    target = login_flow.landing(request.session, user, safe_next(request, next_url))
    return redirect(target)


@require_http_methods(["GET", "POST"])
def psc_choose_view(request: HttpRequest) -> HttpResponse:
    """Several accounts carry the person's identifier: « Choisissez le compte à ouvrir »."""
    _config()
    choice = request.session.get(CHOICE)
    if not isinstance(choice, dict) or time.time() - float(choice.get("at", 0)) > FLOW_SECONDS:
        request.session.pop(CHOICE, None)
        messages.error(request, EXPIRED)
        return redirect("identity:login")
    accounts = list(  # still valid now: an account closed meanwhile drops out
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
            identity = client.Identity(str(choice["sub"]), {}, str(choice["id_token"]))
            return _log_in(request, chosen, identity, str(choice.get("next", "")))
        messages.error(request, "Choisissez l'un des comptes de la liste.")
    return render(
        request,
        "identity/psc_choose.html",
        {"accounts": accounts, "id_nat": choice.get("id_nat", "")},
    )


def provider_logout_url(request: HttpRequest) -> str:
    """Before logout: the provider's end-session URL when this session came from PSC."""
    id_token = request.session.get(ID_TOKEN)
    settings = config.current()
    if not id_token or settings is None:
        return ""
    return client.logout_url(
        settings, str(id_token), request.build_absolute_uri(reverse("identity:login"))
    )
