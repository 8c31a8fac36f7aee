"""The « Partenaires » tab of a record: Rattacher, Détacher, Créer un compte externe,
Gérer les accès au dossier (seed 000 §3.1)."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from caducee.coordination import access, operations
from caducee.coordination.models import (
    Contact,
    ContactType,
    ExternalGrant,
    ExternalStatus,
    Partner,
    RightsProfile,
)
from caducee.coordination.permissions import EXTERNAL_CREATE, PARTNER_MANAGE, ProfileKind
from caducee.coordination.views.common import internal_only, person
from caducee.coordination.views.records import record_context
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.core.web import web_context


@dataclass(frozen=True)
class PartnerRow:
    partner: Partner
    status_class: str  # css class of the mark: ok (green), off (red), wait, none
    status_label: str
    can_create_account: bool
    # The account is this structure's own or accepted: its identifier and the access
    # actions may be shown. Otherwise nothing tells whether an account exists elsewhere.
    known: bool = False
    suspended: bool = False  # suspended by this structure for its records

    @property
    def shows_identifier(self) -> bool:
        """Only once the account is in use: until then an invitation to an address that
        already has an account elsewhere looks like any other (no identifier either)."""
        return self.known and self.status_class != "wait"


def _grants_of(structure_id: int) -> dict[int, ExternalGrant]:
    return {g.external_id: g for g in ExternalGrant.objects.filter(structure_id=structure_id)}


def partner_row(
    partner: Partner, can_create: bool, grants: dict[int, ExternalGrant] | None = None
) -> PartnerRow:
    contact = partner.contact
    external = contact.external_account
    if grants is None:
        grants = _grants_of(partner.record.structure_id)
    grant = grants.get(external.pk) if external is not None else None
    own = external is not None and external.owner_structure_id == contact.structure_id
    accepted = own or (grant is not None and grant.accepted_at is not None)
    if external is None or not accepted:
        if contact.invited_at is not None:  # invited, not yet accepted (or impossible)
            return PartnerRow(partner, "wait", "Pas encore connecté", False)
        creatable = can_create and bool(contact.email)
        return PartnerRow(partner, "none", "Pas de compte externe", creatable)
    if grant is not None and grant.is_suspended:
        return PartnerRow(
            partner, "off", "Accès suspendu à nos dossiers", False, True, suspended=True
        )
    if external.status == ExternalStatus.SUSPENDED:
        return PartnerRow(partner, "off", "Compte désactivé", False, True)
    if not partner.access_enabled:
        return PartnerRow(partner, "off", "Accès au dossier retiré", False, True)
    if external.status == ExternalStatus.PENDING:
        return PartnerRow(partner, "wait", "Pas encore connecté", False, True)
    return PartnerRow(partner, "ok", "Compte actif", False, True)


@internal_only
@require_GET
def partners(request: HttpRequest, record_id: int) -> HttpResponse:
    found = access.access_record(person(request), record_id)
    record = found.record
    operations.read_record(web_context(request), record, "partners")
    can_create = found.can(EXTERNAL_CREATE)
    grants = _grants_of(record.structure_id)
    rows = [
        partner_row(p, can_create, grants)
        for p in record.partners.select_related("contact", "contact__external_account")
    ]
    proposal = None
    proposed = request.GET.get("proposer", "")
    if proposed.isdigit():
        proposal = next(
            (r for r in rows if r.partner.pk == int(proposed) and r.can_create_account), None
        )
    return render(
        request,
        "coordination/record_partners.html",
        {
            **record_context(request, found, "partners"),
            "rows": rows,
            "proposal": proposal,
        },
    )


@internal_only
@require_http_methods(["GET", "POST"])
def partner_attach(request: HttpRequest, record_id: int) -> HttpResponse:
    """Rattacher: type the first letters, select a contact, choose a contact type, Ajouter."""
    found = access.access_record(person(request), record_id, PARTNER_MANAGE)
    record = found.record
    problems: list[Problem] = []
    query = request.GET.get("q", "").strip()[:100]
    selected: Contact | None = None
    contact_id = request.POST.get("contact") or request.GET.get("contact") or ""
    if contact_id.isdigit():
        selected = Contact.objects.filter(pk=int(contact_id), structure=record.structure).first()
    if request.method == "POST":
        if selected is None:
            problems = [Problem("contact", "required", "Sélectionnez un contact de l'annuaire.")]
        else:
            try:
                partner = operations.attach_partner(
                    web_context(request), record, selected, request.POST.get("contact_type", "")
                )
            except Invalid as exc:
                problems = exc.problems
            else:
                messages.success(request, f"{selected.display_name} ajouté aux partenaires.")
                row = partner_row(partner, found.can(EXTERNAL_CREATE))
                if row.can_create_account:
                    url = reverse("coordination:partners", args=[record.pk])
                    return redirect(f"{url}?proposer={partner.pk}")
                return redirect("coordination:partners", record_id=record.pk)
    contacts = operations.search_contacts(record.structure, query) if query else []
    directory = operations.directory_candidates(query) if query else []
    known = {c.directory_account_id for c in contacts if c.directory_account_id}
    template = (
        "coordination/_attach_results.html"
        if request.headers.get("HX-Request") and selected is None
        else "coordination/partner_attach.html"
    )
    return render(
        request,
        template,
        {
            **record_context(request, found, "partners"),
            "query": query,
            "contacts": contacts,
            "directory": [a for a in directory if a.pk not in known],
            "selected": selected,
            "contact_types": ContactType.choices,
            "problems": problems,
        },
    )


@internal_only
@require_POST
def directory_select(request: HttpRequest, record_id: int) -> HttpResponse:
    """Select an entry of the regional directory: copied into the contacts, then selected."""
    found = access.access_record(person(request), record_id, PARTNER_MANAGE)
    account_id = request.POST.get("account", "")
    if not account_id.isdigit():
        return redirect("coordination:partner_attach", record_id=record_id)
    contact = operations.import_directory_contact(
        web_context(request), found.record.structure, int(account_id)
    )
    url = reverse("coordination:partner_attach", args=[record_id])
    return redirect(f"{url}?contact={contact.pk}")


@internal_only
@require_POST
def partner_detach(request: HttpRequest, record_id: int, partner_id: int) -> HttpResponse:
    partner = access.access_partner(person(request), record_id, partner_id, PARTNER_MANAGE)
    name = partner.contact.display_name
    operations.detach_partner(web_context(request), partner)
    messages.success(request, f"{name} détaché : il n'apparaît plus et n'a plus accès au dossier.")
    return redirect("coordination:partners", record_id=record_id)


@internal_only
@require_POST
def partner_access(request: HttpRequest, record_id: int, partner_id: int) -> HttpResponse:
    partner = access.access_partner(person(request), record_id, partner_id, PARTNER_MANAGE)
    enabled = request.POST.get("enabled") == "1"
    operations.set_partner_access(web_context(request), partner, enabled)
    name = partner.contact.display_name
    messages.success(
        request,
        f"Accès au dossier rétabli pour {name}."
        if enabled
        else f"Accès au dossier retiré à {name} ; il reste dans la liste des partenaires.",
    )
    return redirect("coordination:partners", record_id=record_id)


@internal_only
@require_POST
def partner_suspend(request: HttpRequest, record_id: int, partner_id: int) -> HttpResponse:
    """« Suspendre l'accès à nos dossiers » / « Rétablir »: every record of the structure."""
    partner = access.access_partner(person(request), record_id, partner_id, PARTNER_MANAGE)
    contact = partner.contact
    row = partner_row(partner, False)
    if contact.external_account is None or not row.known:
        raise NotFound("Partenaire introuvable.")
    suspended = request.POST.get("suspended") == "1"
    operations.set_structure_suspension(
        web_context(request), contact.structure, contact.external_account, suspended
    )
    name = contact.display_name
    messages.success(
        request,
        f"Accès de {name} suspendu pour tous les dossiers de la structure."
        if suspended
        else f"Accès de {name} aux dossiers de la structure rétabli.",
    )
    return redirect("coordination:partners", record_id=record_id)


def external_profiles(structure_id: int) -> list[RightsProfile]:
    return list(RightsProfile.objects.filter(structure_id=structure_id, kind=ProfileKind.EXTERNAL))


@internal_only
@require_http_methods(["GET", "POST"])
def partner_external(request: HttpRequest, record_id: int, partner_id: int) -> HttpResponse:
    """Créer un compte externe: identifier prefilled and editable, a rights profile, Ajouter."""
    partner = access.access_partner(person(request), record_id, partner_id, EXTERNAL_CREATE)
    found = access.access_record(person(request), record_id, EXTERNAL_CREATE)
    contact = partner.contact
    operations.ensure_default_profiles(contact.structure)
    profiles = external_profiles(contact.structure_id)
    problems: list[Problem] = []
    identifier = request.POST.get("identifier") or operations.suggest_identifier(
        contact.first_name, contact.last_name
    )
    chosen = request.POST.get("profile", "")
    if request.method == "POST":
        profile = next((p for p in profiles if str(p.pk) == chosen), None)
        try:
            operations.create_external_account(web_context(request), partner, identifier, profile)
        except Invalid as exc:
            problems = exc.problems
        else:
            # The same answer whether an account was created or an invitation sent to an
            # address already used elsewhere (nothing tells the latter).
            messages.success(
                request,
                f"Invitation envoyée : un mail est parti à {contact.email}. Le partenaire "
                "aura accès au dossier dès qu'il l'aura acceptée.",
            )
            return redirect("coordination:partners", record_id=record_id)
    return render(
        request,
        "coordination/partner_external.html",
        {
            **record_context(request, found, "partners"),
            "partner": partner,
            "contact": contact,
            "identifier": identifier,
            "profiles": profiles,
            "chosen": chosen,
            "problems": problems,
        },
        status=422 if problems else 200,
    )
