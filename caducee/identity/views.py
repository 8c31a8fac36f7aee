"""Web adapters: login with a second factor, finalisation, passwords, security, mailboxes."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from caducee.accounts.access import access_account
from caducee.accounts.models import Account
from caducee.core.client_address import client_address, client_certificate, client_is_local
from caducee.core.context import Context
from caducee.core.errors import Forbidden, Invalid, NotFound
from caducee.core.headers import no_store
from caducee.identity import browsers, cgu, codes, links, sessions, throttle, totp
from caducee.identity import operations as ops
from caducee.identity.mailboxes import SESSION_KEY, current_mailbox, default_mailbox, openable
from caducee.identity.models import LinkPurpose
from caducee.identity.operations import create_first_operator, set_password_with_link
from caducee.people.models import User
from caducee.structures.access import access_structure, is_admin

PENDING = "caducee_pending_login"
CGU_PENDING = "caducee_cgu_pending"  # set at login when a newer CGU version awaits acceptance
TOTP_SETUP = "caducee_totp_setup"
GENERIC_LOGIN_ERROR = "Adresse mail ou mot de passe incorrect."
TOTP_NO_EMAIL = (
    "Votre compte est protégé par une application d'authentification : le code par mail ne "
    "la remplace pas. Saisissez le code affiché par l'application ; si vous l'avez perdue, "
    "demandez à l'administrateur de votre structure de réinitialiser votre second facteur."
)
SESSION_END = {
    "idle": "Votre session a été fermée après une période d'inactivité. Reconnectez-vous.",
    "max_age": "Votre session a atteint sa durée maximale. Reconnectez-vous.",
    "revoked": "Votre session a été fermée (déconnexion de tous les appareils). Reconnectez-vous.",
}


def web_context(request: HttpRequest) -> Context:
    user = request.user if request.user.is_authenticated else None
    return Context(user=user, ip=client_address(request), channel="web")  # type: ignore[arg-type]


def _anonymous_context(request: HttpRequest, email: str = "") -> Context:
    label = f"anonyme ({email})" if email else "anonyme"
    return Context(user=None, ip=client_address(request), channel="web", label=label[:254])


def _safe_next(request: HttpRequest, target: str) -> str:
    if target and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


def _person(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# --- login -----------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    error = ""
    info = SESSION_END.get(request.GET.get("fin", ""), "")
    email = request.GET.get("email", "").strip().lower()[:254]
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    status = 200
    if request.method == "POST":
        email = request.POST.get("email", "").strip().lower()
        password = request.POST.get("password", "")
        ctx = _anonymous_context(request, email)
        refusal = ops.login_refusal(email, ctx.ip)
        if refusal is not None:
            error, status = throttle.french_wait(refusal), 429
        else:
            user = authenticate(request, username=email, password=password)
            if not isinstance(user, User):
                ops.login_failed(ctx, email, stage="password")
                refusal = ops.login_refusal(email, ctx.ip)
                if refusal is not None and refusal.locked:
                    error, status = throttle.french_wait(refusal), 429
                elif ops.shared_mailbox(email) is not None:
                    error = (
                        f"{email} est une boîte partagée (organisationnelle ou applicative) : on "
                        "n'y entre pas directement. Connectez-vous avec votre propre compte "
                        "nominatif, puis choisissez cette boîte avec « Changer de compte »."
                    )
                else:
                    error = GENERIC_LOGIN_ERROR
            elif refused := ops.account_refusal(user):
                error = refused
            else:
                return _second_factor(request, user, next_url)
    return render(
        request,
        "identity/login.html",
        {"error": error, "info": info, "email": email, "next": next_url},
        status=status,
    )


def _second_factor(request: HttpRequest, user: User, next_url: str) -> HttpResponse:
    backend = getattr(user, "backend", "django.contrib.auth.backends.ModelBackend")
    if browsers.recognise(request, user) is not None:
        request.session[PENDING] = {"user": user.pk, "backend": backend, "next": next_url}
        return _finish(request, user, "trusted_browser", remember=False)
    method = "totp" if ops.security_of(user).totp_enabled else "email"
    request.session[PENDING] = {
        "user": user.pk,
        "backend": backend,
        "next": next_url,
        "method": method,
        "at": time.time(),
    }
    if method == "email":
        try:
            ops.send_login_code(web_context(request), user)
        except codes.TooSoon:
            # The code sent less than a minute ago is still valid: say so, send no other.
            request.session[PENDING] = {**request.session[PENDING], "reused": True}
    return redirect("identity:code")


def _pending(request: HttpRequest) -> tuple[User, dict[str, Any]] | None:
    data = request.session.get(PENDING)
    if not isinstance(data, dict):
        return None
    if time.time() - float(data.get("at", 0)) > settings.LOGIN_CODE_MINUTES * 60 * 2:
        request.session.pop(PENDING, None)
        return None
    user = User.objects.filter(pk=int(data.get("user") or 0), is_active=True).first()
    return (user, data) if user is not None else None


@require_http_methods(["GET", "POST"])
def code_view(request: HttpRequest) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        messages.info(request, "Saisissez à nouveau votre adresse mail et votre mot de passe.")
        return redirect("identity:login")
    user, data = pending
    method = str(data.get("method", "email"))
    error = ""
    status = 200
    if request.method == "POST":
        ctx = _anonymous_context(request, user.email)  # not logged in until the code is right
        refusal = ops.login_refusal(user.email, ctx.ip)
        if refusal is not None:
            error, status = throttle.french_wait(refusal), 429
        else:
            verdict = ops.verify_second_factor(ctx, user, request.POST.get("code", ""), method)
            if verdict.ok:
                remember = request.POST.get("remember") == "on"
                return _finish(request, user, method, remember=remember)
            refusal = ops.login_refusal(user.email, ctx.ip)
            if refusal is not None and refusal.locked:
                error, status = throttle.french_wait(refusal), 429
            elif method == "totp":
                error = (
                    "Code incorrect : saisissez le code affiché en ce moment par votre application."
                )
            elif verdict.dead:
                error = (
                    "Ce code n'est plus valable (expiré, déjà utilisé ou trop d'essais). "
                    "Cliquez sur « Recevoir un nouveau code »."
                )
            else:
                plural = "s" if verdict.remaining > 1 else ""
                error = f"Code incorrect. Il vous reste {verdict.remaining} essai{plural}."
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
        },
        status=status,
    )


@require_POST
def code_resend_view(request: HttpRequest) -> HttpResponse:
    pending = _pending(request)
    if pending is None:
        return redirect("identity:login")
    user, data = pending
    if ops.security_of(user).totp_enabled:
        # The emailed code never replaces the authenticator app (it would add nothing
        # against someone who holds the mailbox); a lost app is reset by an admin.
        messages.error(request, TOTP_NO_EMAIL)
        return redirect("identity:code")
    data["method"] = "email"
    data["at"] = time.time()
    data.pop("reused", None)
    request.session[PENDING] = data
    try:
        ops.send_login_code(web_context(request), user)
    except codes.TooSoon as exc:
        messages.warning(
            request,
            f"Un code vient d'être envoyé : patientez {exc.seconds} s avant d'en "
            "demander un autre.",
        )
    else:
        messages.success(request, f"Un nouveau code a été envoyé à {user.email}.")
    return redirect("identity:code")


def _finish(request: HttpRequest, user: User, method: str, *, remember: bool) -> HttpResponse:
    data = request.session.pop(PENDING, {})
    login(
        request,
        user,
        backend=str(data.get("backend") or "django.contrib.auth.backends.ModelBackend"),
    )
    sessions.stamp(request.session, user)
    ctx = web_context(request)
    certificate = client_certificate(request)
    cookie = ops.complete_login(
        ctx,
        user,
        method,
        remember=remember,
        browser_label=browsers.describe(request.headers.get("User-Agent", "")),
        certificate=certificate.subject if certificate else "",
    )
    mailbox = default_mailbox(user)
    request.session[SESSION_KEY] = mailbox.pk if mailbox is not None else None
    target = _safe_next(request, str(data.get("next", "")))
    if not target:
        target = reverse("console:home" if mailbox is None and is_admin(user) else "identity:home")
    if ops.cgu_to_accept_again(user):
        request.session[CGU_PENDING] = True
        target = f"{reverse('identity:cgu')}?{urlencode({'next': target})}"
    response = redirect(target)
    if cookie:
        browsers.set_cookie(response, cookie)
    return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        ops.record_logout(web_context(request))
    logout(request)
    messages.info(request, "Vous êtes déconnecté.")
    return redirect("identity:login")


# --- landing page and mailbox switch -----------------------------------------------------------


def _webmail_url() -> str:
    """The webmail's home (the mail app), when this build has it."""
    try:
        return reverse("mail:home")
    except NoReverseMatch:
        return ""


@login_required
def home_view(request: HttpRequest) -> HttpResponse:
    user = _person(request)
    mailbox = current_mailbox(request)
    admin = is_admin(user)
    if mailbox is None and admin:
        return redirect("console:home")
    if mailbox is not None and (webmail := _webmail_url()):
        return redirect(webmail)
    return render(
        request,
        "identity/home.html",
        {"mailbox": mailbox, "mailboxes": openable(user), "is_admin": admin},
    )


@login_required
@require_POST
def switch_view(request: HttpRequest) -> HttpResponse:
    user = _person(request)
    try:
        mailbox_id = int(request.POST.get("mailbox", ""))
        mailbox = ops.switch_mailbox(web_context(request), user, mailbox_id)
    except (ValueError, NotFound):
        raise Http404("Boîte introuvable.") from None
    request.session[SESSION_KEY] = mailbox.pk
    messages.success(request, f"Vous utilisez maintenant la boîte {mailbox.email}.")
    return redirect(_safe_next(request, request.POST.get("next", "")) or "identity:home")


# --- security settings -------------------------------------------------------------------------


@login_required
def security_view(request: HttpRequest) -> HttpResponse:
    user = _person(request)
    security = ops.security_of(user)
    return render(
        request,
        "identity/security.html",
        {
            "browsers": ops.remembered_browsers(user),
            "security": security,
            "trusted_days": settings.TRUSTED_BROWSER_DAYS,
            "idle_minutes": settings.SESSION_IDLE_MINUTES,
            "max_hours": settings.SESSION_COOKIE_AGE // 3600,
        },
    )


@login_required
@require_POST
def browser_revoke_view(request: HttpRequest, browser_id: int) -> HttpResponse:
    try:
        browser = ops.revoke_browser(web_context(request), _person(request), browser_id)
    except NotFound:
        raise Http404("Navigateur introuvable.") from None
    messages.success(request, f"Le navigateur « {browser.label} » est oublié.")
    return redirect("identity:security")


@login_required
@require_POST
def logout_everywhere_view(request: HttpRequest) -> HttpResponse:
    ops.logout_everywhere(web_context(request), _person(request))
    logout(request)
    messages.info(request, "Toutes vos sessions sont fermées, y compris celle-ci.")
    return redirect("identity:login")


@no_store
@login_required
@require_http_methods(["GET", "POST"])
def totp_view(request: HttpRequest) -> HttpResponse:
    user = _person(request)
    secret = request.session.get(TOTP_SETUP) or totp.new_secret()
    request.session[TOTP_SETUP] = secret
    problems: list[object] = []
    if request.method == "POST":
        try:
            ops.enable_totp(web_context(request), user, str(secret), request.POST.get("code", ""))
        except Invalid as exc:
            problems = list(exc.problems)
        else:
            request.session.pop(TOTP_SETUP, None)
            messages.success(request, "L'application d'authentification est activée.")
            return redirect("identity:security")
    return render(
        request,
        "identity/totp.html",
        {"secret": secret, "uri": totp.uri(str(secret), user.email), "problems": problems},
    )


@login_required
@require_POST
def totp_disable_view(request: HttpRequest) -> HttpResponse:
    try:
        ops.disable_totp(web_context(request), _person(request), request.POST.get("code", ""))
    except Invalid as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            "L'application d'authentification est retirée : les codes "
            "vous seront de nouveau envoyés par mail.",
        )
    return redirect("identity:security")


@login_required
@require_http_methods(["GET", "POST"])
def password_change_view(request: HttpRequest) -> HttpResponse:
    problems: list[object] = []
    if request.method == "POST":
        try:
            ops.change_password(
                web_context(request),
                _person(request),
                request.POST.get("current", ""),
                request.POST.get("password", ""),
                request.POST.get("confirm", ""),
            )
        except Invalid as exc:
            problems = list(exc.problems)
        else:
            from django.contrib.auth import update_session_auth_hash

            update_session_auth_hash(request, _person(request))
            messages.success(request, "Votre mot de passe est changé.")
            return redirect("identity:security")
    return render(request, "identity/password_change.html", {"problems": problems})


# --- forgotten password --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def forgot_view(request: HttpRequest) -> HttpResponse:
    sent = False
    email = ""
    if request.method == "POST":
        email = request.POST.get("email", "").strip().lower()
        if email:
            ops.request_password_reset(_anonymous_context(request, email), email)
            sent = True
    return render(
        request,
        "identity/forgot.html",
        {"sent": sent, "email": email, "minutes": settings.RESET_LINK_MINUTES},
    )


@no_store
@require_http_methods(["GET", "POST"])
def reset_view(request: HttpRequest, token: str) -> HttpResponse:
    link = links.find_valid(LinkPurpose.RESET, token)
    if link is None:
        return _dead_link(request, LinkPurpose.RESET, token)
    problems: list[object] = []
    if request.method == "POST":
        try:
            ops.reset_password(
                _anonymous_context(request),
                token,
                request.POST.get("password", ""),
                request.POST.get("confirm", ""),
            )
        except Invalid as exc:
            problems = list(exc.problems)
        except NotFound:
            return _dead_link(request, LinkPurpose.RESET, token)
        else:
            messages.success(request, "Votre mot de passe est changé : connectez-vous.")
            return redirect("identity:login")
    return render(
        request,
        "identity/set_password.html",
        {"email": link.user.email if link.user else "", "problems": problems, "reset": True},
    )


# --- finalisation ----------------------------------------------------------------------------


@no_store
@require_http_methods(["GET", "POST"])
def finalise_view(request: HttpRequest, token: str) -> HttpResponse:
    account = ops.finalisation_account(token)
    if account is None:
        return _dead_link(request, LinkPurpose.FINALISE, token)
    form = {key: getattr(account, key) for key in ops.FINALISE_FIELDS}
    problems: list[Any] = []
    accepted = False
    if request.method == "POST":
        form = {key: request.POST.get(key, "") for key in ops.FINALISE_FIELDS}
        accepted = request.POST.get("cgu") == cgu.current_version()
        try:
            ops.finalise_account(
                _anonymous_context(request, account.email),
                token,
                form,
                request.POST.get("password", ""),
                request.POST.get("confirm", ""),
                request.POST.get("cgu", ""),
            )
        except Invalid as exc:
            problems = list(exc.problems)
        except NotFound:
            return _dead_link(request, LinkPurpose.FINALISE, token)
        else:
            messages.success(
                request,
                "Votre compte est finalisé. Connectez-vous avec votre adresse mail et votre "
                "nouveau mot de passe.",
            )
            return redirect(f"{reverse('identity:login')}?email={account.email}")
    errors = {p.field: p.message for p in problems}
    return render(
        request,
        "identity/finalise.html",
        {
            "account": account,
            "form": form,
            "problems": problems,
            "errors": errors,
            "cgu_version": cgu.current_version(),
            "cgu_text": cgu.text(),
            "accepted": accepted,
        },
    )


@require_http_methods(["GET", "POST"])
def cgu_view(request: HttpRequest) -> HttpResponse:
    """The current CGU; after a new version, a logged-in person accepts it here."""
    must_accept = request.user.is_authenticated and bool(request.session.get(CGU_PENDING))
    problems: list[object] = []
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    if request.method == "POST" and must_accept:
        try:
            ops.accept_cgu(web_context(request), _person(request), request.POST.get("cgu", ""))
        except Invalid as exc:
            problems = list(exc.problems)
        else:
            request.session.pop(CGU_PENDING, None)
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


# --- admin: reminders and resend -----------------------------------------------------------


def _structure_for(request: HttpRequest, structure_id: int) -> Any:
    try:
        return access_structure(_person(request), structure_id)
    except NotFound:
        raise Http404("Structure introuvable.") from None


def _back(request: HttpRequest, default: str) -> HttpResponse:
    return redirect(_safe_next(request, request.POST.get("next", "")) or default)


@login_required
@require_POST
def remind_view(request: HttpRequest, structure_id: int) -> HttpResponse:
    structure = _structure_for(request, structure_id)
    reminder = ops.remind_preregistered(web_context(request), structure)
    count = len(reminder.accounts)
    if count:
        messages.success(
            request,
            f"Un nouveau lien de finalisation a été envoyé à {count} utilisateur"
            f"{'s' if count > 1 else ''} préinscrit{'s' if count > 1 else ''}.",
        )
    else:
        messages.info(request, "Aucun utilisateur préinscrit à relancer dans cette structure.")
    return _back(request, reverse("identity:last_reminder", args=[structure.pk]))


@login_required
def last_reminder_view(request: HttpRequest, structure_id: int) -> HttpResponse:
    structure = _structure_for(request, structure_id)
    return render(
        request,
        "identity/last_reminder.html",
        {"structure": structure, "reminder": ops.last_reminder(structure)},
    )


@login_required
@require_POST
def resend_view(request: HttpRequest, account_id: int) -> HttpResponse:
    account = Account.objects.filter(pk=account_id).select_related("structure").first()
    if account is None:
        raise Http404("Compte introuvable.")
    try:
        ops.resend_invitation(web_context(request), account)
    except NotFound:
        raise Http404("Compte introuvable.") from None
    except Invalid as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Un nouveau lien de finalisation a été envoyé à {account.email}."
        )
    return _back(request, reverse("console:home"))


@login_required
@require_POST
def second_factor_reset_view(request: HttpRequest, account_id: int) -> HttpResponse:
    try:
        account = access_account(_person(request), account_id)
    except NotFound:
        raise Http404("Compte introuvable.") from None
    if account.user is None:
        raise Http404("Compte introuvable.")
    try:
        ops.reset_second_factor(web_context(request), account.user)
    except NotFound:
        raise Http404("Compte introuvable.") from None
    except (Invalid, Forbidden) as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Le second facteur de {account.email} est réinitialisé : ses codes de connexion "
            "lui seront envoyés par mail, et ses sessions, mots de passe d'application et "
            "jetons d'API sont révoqués.",
        )
    return _back(request, reverse("console:home"))


# --- first-run setup and admin password links (foundation) -------------------------------------


@no_store
@require_http_methods(["GET", "POST"])
def setup_view(request: HttpRequest, token: str) -> HttpResponse:
    if not client_is_local(request):
        return render(
            request,
            "identity/link_invalid.html",
            {
                "reason": "Ce lien ne s'ouvre que depuis la machine qui héberge Caducée.",
            },
            status=403,
        )
    if links.find_valid(LinkPurpose.SETUP, token) is None:
        return _dead_link(request, LinkPurpose.SETUP, token)
    problems: list[object] = []
    form = {k: request.POST.get(k, "") for k in ("email", "first_name", "last_name")}
    if request.method == "POST":
        try:
            user = create_first_operator(
                web_context(request),
                token,
                form["email"],
                form["first_name"],
                form["last_name"],
                request.POST.get("password", ""),
                request.POST.get("confirm", ""),
            )
        except Invalid as exc:
            problems = list(exc.problems)
        except NotFound:
            return _dead_link(request, LinkPurpose.SETUP, token)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            sessions.stamp(request.session, user)
            return redirect("console:home")
    return render(request, "identity/setup.html", {"form": form, "problems": problems})


@no_store
@require_http_methods(["GET", "POST"])
def set_password_view(request: HttpRequest, token: str) -> HttpResponse:
    link = links.find_valid(LinkPurpose.SET_PASSWORD, token)
    if link is None:
        return _dead_link(request, LinkPurpose.SET_PASSWORD, token)
    problems: list[object] = []
    if request.method == "POST":
        try:
            set_password_with_link(
                web_context(request),
                token,
                request.POST.get("password", ""),
                request.POST.get("confirm", ""),
            )
        except Invalid as exc:
            problems = list(exc.problems)
        except NotFound:
            return _dead_link(request, LinkPurpose.SET_PASSWORD, token)
        else:
            messages.success(request, "Votre mot de passe est enregistré : connectez-vous.")
            return redirect("identity:login")
    return render(
        request,
        "identity/set_password.html",
        {
            "email": link.user.email if link.user else "",
            "problems": problems,
        },
    )


def _dead_link(request: HttpRequest, purpose: str, token: str) -> HttpResponse:
    state = links.link_state(purpose, token)
    reasons = {
        "used": "Ce lien a déjà été utilisé.",
        "expired": "Ce lien a expiré.",
        "unknown": "Ce lien n'est pas valable.",
        "valid": "Ce compte n'attend plus de finalisation.",
    }
    if purpose == LinkPurpose.SETUP:
        advice = "Lancez « caducee setup-link » sur le serveur pour obtenir un nouveau lien."
    elif purpose == LinkPurpose.RESET:
        advice = "Demandez un nouveau lien avec « Mot de passe oublié ? » sur la page de connexion."
    elif purpose == LinkPurpose.FINALISE:
        advice = (
            "Demandez à l'administrateur de votre structure de vous renvoyer un lien de "
            "finalisation. Si vous avez déjà finalisé votre compte, connectez-vous simplement."
        )
    else:
        advice = "Demandez à l'administrateur de votre structure de vous renvoyer un lien."
    return render(
        request,
        "identity/link_invalid.html",
        {"reason": reasons.get(state, reasons["unknown"]), "advice": advice},
        status=410 if state in {"used", "expired"} else 404,
    )
