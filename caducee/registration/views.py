"""« Créer un compte » (public) and the service centre's queue (console).

The public steps keep their progress in the session (`SESSION`): the region, the kind of
account, and the proof of an address. The proof comes from identity's login steps (a
nominative account: password, then an emailed login code) or from the registration's own
code (a professional without an account); nothing is written before it.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from caducee.console.decorators import console_view
from caducee.core.errors import Invalid, NotFound
from caducee.core.web import anonymous_context, web_context
from caducee.identity import codes, login_flow
from caducee.identity import operations as identity_ops
from caducee.people.models import User
from caducee.referentials import lists
from caducee.registration import operations as ops
from caducee.registration import rules
from caducee.registration.forms import DecisionForm, RegistrationForm
from caducee.registration.models import RequestKind, RequestState
from caducee.structures.domains import shared_domain_names
from caducee.structures.models import Structure

SESSION = "caducee_registration"
PROOF_SECONDS = 3600  # a proven address may fill the form for an hour


def _state(request: HttpRequest) -> dict[str, Any]:
    data = request.session.get(SESSION)
    return dict(data) if isinstance(data, dict) else {}


def _save(request: HttpRequest, data: dict[str, Any]) -> None:
    request.session[SESSION] = data


def _form_errors(form: Any, exc: Invalid) -> None:
    for problem in exc.errors() or []:
        form.add_error(problem.field if problem.field in form.fields else None, problem.message)
    if not exc.errors():
        form.add_error(None, exc.message)


# --- Public steps ----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """« Créer un compte »: the region (only the open ones may go on)."""
    regions = rules.open_regions()
    error = ""
    if request.method == "POST":
        region = request.POST.get("region", "")
        if rules.is_region_open(region):
            _save(request, {"region": region})
            return redirect("registration:choice")
        error = "Choisissez une des régions proposées."
    others = [e for e in lists.regions().entries if e.code not in {c for c, _ in regions}]
    return render(
        request,
        "registration/start.html",
        {"regions": regions, "others": others, "error": error},
    )


def _region(request: HttpRequest) -> str:
    region = str(_state(request).get("region") or "")
    if not rules.is_region_open(region):
        raise NotFound("Choisissez d'abord votre région.")
    return region


@require_http_methods(["GET"])
def choice(request: HttpRequest) -> HttpResponse:
    """Individual account or « Nous créons un compte partagé organisationnel »."""
    try:
        region = _region(request)
    except NotFound:
        return redirect("registration:start")
    return render(request, "registration/choice.html", {"region": lists.regions().label(region)})


@require_http_methods(["GET"])
def org_question(request: HttpRequest) -> HttpResponse:
    """« Avez-vous déjà un compte individuel ? »"""
    try:
        _region(request)
    except NotFound:
        return redirect("registration:start")
    return render(request, "registration/org_question.html", {"no": request.GET.get("r") == "non"})


@require_http_methods(["GET", "POST"])
def org_prove(request: HttpRequest) -> HttpResponse:
    """« Oui »: the nominative account's address and password, then a login code."""
    try:
        region = _region(request)
    except NotFound:
        return redirect("registration:start")
    error, status, email = "", 200, ""
    if request.method == "POST":
        email = request.POST.get("email", "").strip().lower()[:254]
        password = request.POST.get("password", "")
        step = login_flow.password_step(
            anonymous_context(request, email),
            email,
            lambda: authenticate(request, username=email, password=password),
        )
        if step.user is not None:
            _save(request, {"region": region, "kind": "ORG", "user": step.user.pk})
            try:
                identity_ops.send_login_code(web_context(request), step.user)
            except codes.TooSoon:
                messages.info(request, "Le code envoyé il y a moins d'une minute reste valable.")
            return redirect("registration:code")
        error, status = step.error, step.status
    return render(
        request, "registration/org_prove.html", {"error": error, "email": email}, status=status
    )


@require_http_methods(["GET", "POST"])
def per_email(request: HttpRequest) -> HttpResponse:
    """A professional without an account: their address, proven by an emailed code."""
    return _email_step(request, "PER")


@require_http_methods(["GET", "POST"])
def org_email(request: HttpRequest) -> HttpResponse:
    """« Non », then « Continuer sans compte individuel »: the requester's own address,
    proven by an emailed code (their MED account will open the ORG mailbox)."""
    return _email_step(request, "ORG")


def _email_step(request: HttpRequest, kind: str) -> HttpResponse:
    try:
        region = _region(request)
    except NotFound:
        return redirect("registration:start")
    error, email = "", ""
    if request.method == "POST":
        email = request.POST.get("email", "").strip().lower()[:254]
        try:
            ops.send_registration_code(anonymous_context(request, email), email, region)
        except Invalid as exc:
            error = exc.message
        except codes.TooSoon:
            pass  # the code sent less than a minute ago still works: same answer
        if not error:
            _save(request, {"region": region, "kind": kind, "email": email})
            return redirect("registration:code")
    return render(
        request, "registration/per_email.html", {"error": error, "email": email, "kind": kind}
    )


def _pending_user(data: dict[str, Any]) -> User | None:
    return User.objects.filter(pk=int(data.get("user") or 0), is_active=True).first()


@require_http_methods(["GET", "POST"])
def code(request: HttpRequest) -> HttpResponse:
    """The one-time code (« Renvoyer le code », « Valider »)."""
    data = _state(request)
    kind = data.get("kind")
    user = _pending_user(data) if kind == "ORG" else None
    email = user.email if user is not None else str(data.get("email") or "")
    if not email or kind not in RequestKind.values:
        return redirect("registration:start")
    error, status = "", 200
    if request.method == "POST":
        ctx = anonymous_context(request, email)
        if user is not None:
            step = login_flow.code_step(ctx, user, request.POST.get("code", ""), "email")
            ok, error, status = step.user is not None, step.error, step.status
        else:
            verdict = ops.prove_registration_code(ctx, email, request.POST.get("code", ""))
            ok = verdict.ok
            error = "" if ok else login_flow.code_error("email", verdict)
        if ok:
            _save(request, {**data, "proven_at": time.time()})
            return redirect("registration:form")
    return render(
        request,
        "registration/code.html",
        {"email": email, "error": error, "minutes": settings.LOGIN_CODE_MINUTES},
        status=status,
    )


@require_POST
def code_resend(request: HttpRequest) -> HttpResponse:
    data = _state(request)
    user = _pending_user(data) if data.get("kind") == "ORG" else None
    try:
        if user is not None:
            identity_ops.send_login_code(web_context(request), user)
        elif data.get("email"):
            ctx = anonymous_context(request, str(data["email"]))
            ops.send_registration_code(ctx, str(data["email"]), str(data.get("region") or ""))
        else:
            return redirect("registration:start")
    except codes.TooSoon as exc:
        messages.warning(
            request,
            f"Un code vient d'être envoyé : patientez {exc.seconds} s avant d'en redemander.",
        )
    except (Invalid, NotFound):
        return redirect("registration:start")
    else:
        messages.success(request, "Un nouveau code a été envoyé.")
    return redirect("registration:code")


def _proven(request: HttpRequest) -> dict[str, Any] | None:
    data = _state(request)
    at = float(data.get("proven_at") or 0)
    if (
        not at
        or time.time() - at > PROOF_SECONDS
        or not rules.is_region_open(data.get("region", ""))
    ):
        return None
    return data


@require_http_methods(["GET", "POST"])
def form(request: HttpRequest) -> HttpResponse:
    """The form (seed 003 §3); submitting creates the account « à valider »."""
    data = _proven(request)
    if data is None:
        messages.info(request, "Prouvez d'abord votre adresse mail avec le code reçu.")
        return redirect("registration:start")
    kind, region = str(data["kind"]), str(data["region"])
    user = _pending_user(data) if kind == "ORG" else None
    proven = str(data.get("email") or "")
    without_account = kind == "ORG" and user is None
    initial: dict[str, Any] = {"email": "" if without_account else proven}
    if user is not None:
        initial |= {"resp_last_name": user.last_name, "resp_first_name": user.first_name}
    bound = RegistrationForm(
        request.POST or None,
        kind=kind,
        region=region,
        initial=initial,
        without_account=without_account,
    )
    if request.method == "POST":
        try:
            ops.submit_registration(
                anonymous_context(request, (user.email if user else proven)),
                kind,
                region,
                bound.values(),
                requester=user,
                proven_email=proven if without_account else "",
            )
        except Invalid as exc:
            _form_errors(bound, exc)
        else:
            request.session.pop(SESSION, None)
            return redirect("registration:done")
    return render(
        request,
        "registration/form.html",
        {"form": bound, "kind": kind, "region": lists.regions().label(region), "user": user},
    )


@require_http_methods(["GET"])
def done(request: HttpRequest) -> HttpResponse:
    return render(request, "registration/done.html", {"hours": settings.REGISTRATION_OVERDUE_HOURS})


@require_http_methods(["GET", "POST"])
def correct(request: HttpRequest, token: str) -> HttpResponse:
    """The requester edits a request the service centre sent back (link received by mail)."""
    try:
        registration = rules.request_for_correction(token)
    except NotFound:
        return render(request, "registration/link_invalid.html", status=404)
    values = {**registration.data, "email": registration.account.email}
    bound = RegistrationForm(
        request.POST or None, kind=registration.kind, region=registration.region, initial=values
    )
    bound.fields["email"].disabled = True
    if request.method == "POST":
        try:
            ops.correct_registration(
                anonymous_context(request, registration.requester_email), token, bound.values()
            )
        except Invalid as exc:
            _form_errors(bound, exc)
        else:
            return redirect("registration:done")
    return render(
        request,
        "registration/form.html",
        {"form": bound, "kind": registration.kind, "correction": registration},
    )


# --- The service centre (console) ---------------------------------------------------------


@console_view
@require_http_methods(["GET"])
def queue(request: HttpRequest) -> HttpResponse:
    """« Demandes d'inscription »: filters, age, overdue highlight."""
    state = request.GET.get("etat", RequestState.TO_VALIDATE.value)
    state = state if state in RequestState.values else ""
    filters = {
        "state": state,
        "kind": request.GET.get("type", "")
        if request.GET.get("type") in RequestKind.values
        else "",
        "region": request.GET.get("region", "")[:2],
        "search": request.GET.get("q", "")[:100],
    }
    rows = list(ops.list_registrations(web_context(request), **filters)[:500])
    return render(
        request,
        "registration/queue.html",
        {
            "rows": rows,
            "filters": filters,
            "states": RequestState.choices,
            "kinds": RequestKind.choices,
            "regions": lists.regions().entries,
            "hours": settings.REGISTRATION_OVERDUE_HOURS,
        },
    )


def _decision_form(registration: Any, data: Any = None) -> DecisionForm:
    decision = DecisionForm(data, initial={"particle": rules.suggested_particle(registration)})
    current = registration.account.structure
    others = Structure.objects.filter(is_external=False).exclude(pk=current.pk).order_by("name")
    decision.fields["structure"].choices = [  # type: ignore[attr-defined]
        (
            "",
            f"Garder « {current.name} »"
            + (
                " (créée par la demande)" if registration.created_structure_id == current.pk else ""
            ),
        ),
        *[(str(s.pk), s.name) for s in others[:1000]],
    ]
    shared = sorted(shared_domain_names())
    decision.fields["domain"].choices = [  # type: ignore[attr-defined]
        ("", f"Garder {current.domain}" if current.domain else "Sélectionner…"),
        *[(d, d) for d in shared],
    ]
    if not current.domain and len(shared) == 1:
        decision.initial["domain"] = shared[0]
    return decision


@console_view
@require_http_methods(["GET"])
def detail(request: HttpRequest, request_id: int) -> HttpResponse:
    """Everything the requester typed, and the three decisions."""
    registration = ops.find_request(web_context(request), request_id)
    return _detail(request, registration, _decision_form(registration))


def _detail(
    request: HttpRequest, registration: Any, decision: DecisionForm, status: int = 200
) -> HttpResponse:
    labels = {name: field.label for name, field in RegistrationForm.base_fields.items()}
    typed = [
        (labels.get(key, key), value)
        for key, value in registration.data.items()
        if key in labels and value not in ("", None)
    ]
    return render(
        request,
        "registration/detail.html",
        {
            "r": registration,
            "typed": typed,
            "decision": decision,
            "pending": registration.state == RequestState.TO_VALIDATE,
            "connections": registration.account.connection_links.select_related("account"),
        },
        status=status,
    )


@console_view
@require_POST
def validate(request: HttpRequest, request_id: int) -> HttpResponse:
    ctx = web_context(request)
    registration = ops.find_request(ctx, request_id)
    decision = _decision_form(registration, request.POST)
    structure = request.POST.get("structure", "")
    try:
        ops.validate_registration(
            ctx,
            request_id,
            structure_id=int(structure) if structure.isdigit() else None,
            domain=request.POST.get("domain", ""),
            particle=request.POST.get("particle", ""),
        )
    except Invalid as exc:
        decision.is_valid()
        _form_errors(decision, exc)
        registration.refresh_from_db()
        return _detail(request, registration, decision, status=422)
    messages.success(request, f"La demande n° {request_id} est validée ; le demandeur est prévenu.")
    return redirect("registration:queue")


@console_view
@require_POST
def reject(request: HttpRequest, request_id: int) -> HttpResponse:
    try:
        ops.reject_registration(web_context(request), request_id, request.POST.get("reason", ""))
    except Invalid as exc:
        messages.error(request, exc.message)
        return redirect("registration:detail", request_id=request_id)
    messages.success(request, f"La demande n° {request_id} est rejetée ; le demandeur est prévenu.")
    return redirect("registration:queue")


@console_view
@require_POST
def correction(request: HttpRequest, request_id: int) -> HttpResponse:
    try:
        ops.ask_correction(web_context(request), request_id, request.POST.get("message", ""))
    except Invalid as exc:
        messages.error(request, exc.message)
        return redirect("registration:detail", request_id=request_id)
    messages.success(
        request,
        f"Correction demandée pour la demande n° {request_id} : le demandeur a reçu un lien.",
    )
    return redirect("registration:queue")
