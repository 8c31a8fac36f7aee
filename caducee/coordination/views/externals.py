"""External accounts: the list, « Nouveau compte externe » (seed 000 §4.1), modification,
and the activation page the partner reaches from the emailed link (§3.2)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from caducee.coordination import access, operations
from caducee.coordination.models import Contact, ExternalAccount, ExternalGrant, RightsProfile
from caducee.coordination.permissions import (
    EXTERNAL_CREATE,
    EXTERNAL_MODIFY,
    PARTNER_MANAGE,
    ProfileKind,
)
from caducee.coordination.views.common import internal_only, menu, not_found, person
from caducee.coordination.views.rights import administered
from caducee.core.errors import Forbidden, Invalid, NotFound, Problem
from caducee.core.web import web_context
from caducee.identity import links
from caducee.structures.models import Structure


def _external(request: HttpRequest, external_id: int) -> ExternalAccount:
    external = access.external_accounts_for(person(request)).filter(pk=external_id).first()
    if external is None:
        raise NotFound("Compte externe introuvable.")
    return external


@internal_only
@require_GET
def externals(request: HttpRequest) -> HttpResponse:
    accounts = access.external_accounts_for(person(request)).order_by("identifier")
    return render(
        request,
        "coordination/externals.html",
        {
            **menu(request, "externals"),
            "accounts": accounts,
            "can_create": bool(administered(request)),
        },
    )


def _home_choices(request: HttpRequest) -> list[Structure]:
    """« Utilisateur externe » first, then the structures this administrator administers."""
    return [operations.external_home_structure(), *administered(request)]


def _credentials_page(
    request: HttpRequest, credentials: operations.Credentials, template: str, with_menu: bool
) -> HttpResponse:
    response = render(
        request,
        template,
        {
            **(menu(request, "externals") if with_menu else {}),
            "external": credentials.external,
            "password": credentials.password,
            "login_url": credentials.login_url,
        },
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@internal_only
@require_http_methods(["GET", "POST"])
def external_create(request: HttpRequest) -> HttpResponse:
    """« Nouveau compte externe »: search the contact, identifier generated, Enregistrer."""
    structures = administered(request)
    if not structures:
        raise NotFound("Page réservée aux administrateurs.")
    query = request.GET.get("q", "").strip()[:100]
    found: list[Contact] = []
    if query:
        for structure in structures:
            found += operations.search_contacts(structure, query)
    contact_id = request.POST.get("contact") or request.GET.get("contact") or ""
    contact = (
        Contact.objects.select_related("structure", "external_account")
        .filter(pk=int(contact_id), structure__in=structures)
        .first()
        if contact_id.isdigit()
        else None
    )
    problems: list[Problem] = []
    homes = _home_choices(request)
    profiles: list[RightsProfile] = []
    identifier = ""
    chosen_profile = request.POST.get("profile", "")
    chosen_home = request.POST.get("home", str(homes[0].pk))
    if contact is not None:
        operations.ensure_default_profiles(contact.structure)
        profiles = list(
            RightsProfile.objects.filter(structure=contact.structure, kind=ProfileKind.EXTERNAL)
        )
        identifier = request.POST.get("identifier") or operations.suggest_identifier(
            contact.first_name, contact.last_name
        )
        if request.method == "POST":
            profile = next((p for p in profiles if str(p.pk) == chosen_profile), None)
            home = next((s for s in homes if str(s.pk) == chosen_home), None)
            try:
                if home is None:
                    raise Invalid(
                        "Choisissez la structure de rattachement.",
                        [Problem("home", "required", "Choisissez la structure de rattachement.")],
                    )
                credentials = operations.create_external_account_manual(
                    web_context(request), contact, identifier, profile, home
                )
            except Invalid as exc:
                problems = exc.problems
            else:
                return _credentials_page(
                    request, credentials, "coordination/external_created.html", True
                )
    return render(
        request,
        "coordination/external_create.html",
        {
            **menu(request, "externals"),
            "query": query,
            "found": found,
            "contact": contact,
            "identifier": identifier,
            "profiles": profiles,
            "homes": homes,
            "chosen_profile": chosen_profile,
            "chosen_home": chosen_home,
            "problems": problems,
        },
        status=422 if problems else 200,
    )


@internal_only
@require_http_methods(["GET", "POST"])
def external_edit(request: HttpRequest, external_id: int) -> HttpResponse:
    external = _external(request, external_id)
    user = person(request)
    can_modify = EXTERNAL_MODIFY in access.structure_permissions(user, external.owner_structure)
    profiles = list(
        RightsProfile.objects.filter(structure=external.owner_structure, kind=ProfileKind.EXTERNAL)
    )
    homes = _home_choices(request)
    if external.home_structure not in homes:
        homes.append(external.home_structure)
    problems: list[Problem] = []
    form = {
        "first_name": external.user.first_name,
        "last_name": external.user.last_name,
        "profile": str(external.profile_id),
        "home": str(external.home_structure_id),
        "suspended": external.status == "suspendu",
    }
    if request.method == "POST":
        form = {
            "first_name": request.POST.get("first_name", ""),
            "last_name": request.POST.get("last_name", ""),
            "profile": request.POST.get("profile", ""),
            "home": request.POST.get("home", ""),
            "suspended": request.POST.get("suspended") == "1",
        }
        changes = operations.ExternalChanges(
            first_name=str(form["first_name"]),
            last_name=str(form["last_name"]),
            profile=next((p for p in profiles if str(p.pk) == form["profile"]), None),
            home_structure=next((s for s in homes if str(s.pk) == form["home"]), None),
            suspended=bool(form["suspended"]),
        )
        try:
            operations.modify_external_account(web_context(request), external, changes)
        except Invalid as exc:
            problems = exc.problems
        except Forbidden as exc:
            problems = [Problem("", "forbidden", exc.message)]
        else:
            messages.success(request, f"Compte externe « {external.identifier} » enregistré.")
            return redirect("coordination:externals")
    return render(
        request,
        "coordination/external_edit.html",
        {
            **menu(request, "externals"),
            "account": external,
            "form": form,
            "profiles": profiles,
            "homes": homes,
            "can_modify": can_modify,
            "can_resend": external.status == "en_attente"
            and (
                EXTERNAL_CREATE in access.structure_permissions(user, external.owner_structure)
                or external.owner_structure.admins.filter(user=user).exists()
            ),
            "problems": problems,
            "suspensions": _suspendable(request, external),
        },
        status=422 if problems else 200,
    )


def _suspendable(request: HttpRequest, external: ExternalAccount) -> list[tuple[Structure, bool]]:
    """The structures whose records this person may close to the account (« Suspendre
    l'accès »): those they administer or hold `partner.manage` in, among the account's
    owner, its home and the structures that accepted it; with the current state."""
    user = person(request)
    mine = {s.pk for s in administered(request)} | {
        s.pk for s in access.structures_with(user, PARTNER_MANAGE)
    }
    grants = {g.structure_id: g for g in ExternalGrant.objects.filter(external=external)}
    related = {external.owner_structure_id, external.home_structure_id} | {
        sid for sid, g in grants.items() if g.accepted_at is not None
    }
    structures = Structure.objects.filter(pk__in=mine & related, is_external=False)
    return [(s, s.pk in grants and grants[s.pk].is_suspended) for s in structures.order_by("name")]


@internal_only
@require_POST
def external_suspend(request: HttpRequest, external_id: int) -> HttpResponse:
    """« Suspendre l'accès » / « Rétablir l'accès » to one structure's records."""
    external = _external(request, external_id)
    wanted = request.POST.get("structure", "")
    structure = next((s for s, _ in _suspendable(request, external) if str(s.pk) == wanted), None)
    if structure is None:
        raise NotFound("Structure introuvable.")
    suspended = request.POST.get("suspended") == "1"
    operations.set_structure_suspension(web_context(request), structure, external, suspended)
    messages.success(
        request,
        f"Accès de « {external.identifier} » aux dossiers de {structure.name} "
        + ("suspendu." if suspended else "rétabli."),
    )
    return redirect("coordination:external_edit", external_id=external_id)


@internal_only
@require_POST
def external_resend(request: HttpRequest, external_id: int) -> HttpResponse:
    external = _external(request, external_id)
    try:
        operations.resend_activation(web_context(request), external)
    except Invalid as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Nouveau lien d'activation envoyé à {external.user.email}.")
    return redirect("coordination:external_edit", external_id=external_id)


@require_POST
def invitation_accept(request: HttpRequest, grant_id: int) -> HttpResponse:
    """The logged-in external partner accepts a structure's invitation (home page)."""
    if not request.user.is_authenticated:
        return redirect("identity:login")
    try:
        grant = operations.accept_invitation(web_context(request), grant_id)
    except NotFound:
        return not_found(request)
    messages.success(
        request,
        f"Invitation de {grant.structure.name} acceptée : ses dossiers dont vous êtes "
        "partenaire vous sont ouverts.",
    )
    return redirect("coordination:home")


@require_http_methods(["GET", "POST"])
def activate(request: HttpRequest, token: str) -> HttpResponse:
    """The page of the activation link: name, first name, « Activer mon compte »."""
    external = operations.activation_target(token)
    if external is None:
        state = links.link_state(operations.ACTIVATION_PURPOSE, token)
        reasons = {
            "used": "Ce lien d'activation a déjà été utilisé : votre compte est activé, "
            "connectez-vous avec votre identifiant et votre mot de passe.",
            "expired": "Ce lien d'activation a expiré.",
        }
        return render(
            request,
            "identity/link_invalid.html",
            {
                "reason": reasons.get(state, "Ce lien d'activation n'est pas valable."),
                "advice": "Demandez à la structure qui vous a invité de vous renvoyer un lien.",
            },
            status=410 if state in reasons else 404,
        )
    problems: list[Problem] = []
    form = {
        "last_name": request.POST.get("last_name", external.user.last_name),
        "first_name": request.POST.get("first_name", external.user.first_name),
    }
    if request.method == "POST":
        try:
            credentials = operations.activate_external_account(
                web_context(request), token, form["last_name"], form["first_name"]
            )
        except Invalid as exc:
            problems = exc.problems
        except NotFound:
            return redirect("coordination:activate", token=token)
        else:
            return _credentials_page(request, credentials, "coordination/activated.html", False)
    response = render(
        request,
        "coordination/activate.html",
        {"external": external, "form": form, "problems": problems},
        status=422 if problems else 200,
    )
    response.headers["Cache-Control"] = "no-store"
    return response
