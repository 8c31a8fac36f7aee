"""Access rights: rights profiles and the profile each person holds in a structure."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from caducee.coordination import access, operations
from caducee.coordination.models import Membership, RightsProfile
from caducee.coordination.permissions import EXTERNAL_ALLOWED, PERMISSIONS, ProfileKind
from caducee.coordination.views.common import internal_only, menu, person, pick_structure
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.core.web import web_context
from caducee.structures.models import Structure


def administered(request: HttpRequest) -> list[Structure]:
    user = person(request)
    return list(Structure.objects.filter(admins__user=user, is_external=False).order_by("name"))


def _profile(request: HttpRequest, profile_id: int) -> RightsProfile:
    profile = (
        access.profiles_managed_by(person(request))
        .select_related("structure")
        .filter(pk=profile_id)
        .first()
    )
    if profile is None:
        raise NotFound("Profil introuvable.")
    return profile


@internal_only
@require_GET
def profiles(request: HttpRequest) -> HttpResponse:
    structures = administered(request)
    structure = pick_structure(request, structures)
    operations.ensure_default_profiles(structure)
    rows = [
        (profile, [code in profile.permission_set for code in PERMISSIONS])
        for profile in RightsProfile.objects.filter(structure=structure)
    ]
    return render(
        request,
        "coordination/profiles.html",
        {
            **menu(request, "profiles"),
            "structures": structures,
            "structure": structure,
            "permissions": PERMISSIONS,
            "rows": rows,
        },
    )


def _permission_choices(kind: str, chosen: set[str]) -> list[tuple[str, str, bool, bool]]:
    """(code, label, checked, allowed for this kind of profile)."""
    return [
        (code, label, code in chosen, kind == ProfileKind.INTERNAL or code in EXTERNAL_ALLOWED)
        for code, label in PERMISSIONS.items()
    ]


@internal_only
@require_http_methods(["GET", "POST"])
def profile_create(request: HttpRequest) -> HttpResponse:
    structures = administered(request)
    structure = pick_structure(request, structures)
    problems: list[Problem] = []
    kind = request.POST.get("kind") or request.GET.get("kind") or ProfileKind.INTERNAL
    name = request.POST.get("name", "")
    chosen = set(request.POST.getlist("permissions"))
    if request.method == "POST":
        try:
            profile = operations.create_profile(web_context(request), structure, name, kind, chosen)
        except Invalid as exc:
            problems = exc.problems
        else:
            messages.success(request, f"Profil « {profile.name} » créé.")
            return redirect(f"{reverse('coordination:profiles')}?structure={structure.pk}")
    return render(
        request,
        "coordination/profile_form.html",
        {
            **menu(request, "profiles"),
            "structures": structures,
            "structure": structure,
            "name": name,
            "kind": kind,
            "kinds": ProfileKind.CHOICES,
            "choices": _permission_choices(kind, chosen),
            "problems": problems,
            "title": "Nouveau profil de droits",
        },
        status=422 if problems else 200,
    )


@internal_only
@require_http_methods(["GET", "POST"])
def profile_edit(request: HttpRequest, profile_id: int) -> HttpResponse:
    profile = _profile(request, profile_id)
    problems: list[Problem] = []
    if request.method == "POST":
        name = request.POST.get("name", "")
        chosen = set(request.POST.getlist("permissions"))
        try:
            operations.update_profile(web_context(request), profile, name, chosen)
        except Invalid as exc:
            problems = exc.problems
        else:
            messages.success(request, f"Profil « {profile.name} » enregistré.")
            return redirect(f"{reverse('coordination:profiles')}?structure={profile.structure_id}")
    else:
        name = profile.name
        chosen = set(profile.permission_set)
    return render(
        request,
        "coordination/profile_form.html",
        {
            **menu(request, "profiles"),
            "structures": [profile.structure],
            "structure": profile.structure,
            "profile": profile,
            "name": name,
            "kind": profile.kind,
            "kinds": ProfileKind.CHOICES,
            "choices": _permission_choices(profile.kind, chosen),
            "problems": problems,
            "title": f"Modifier le profil « {profile.name} »",
            "used_by": profile.members.count()
            + profile.external_accounts.count()
            + profile.external_grants.count(),
        },
        status=422 if problems else 200,
    )


@internal_only
@require_POST
def profile_delete(request: HttpRequest, profile_id: int) -> HttpResponse:
    profile = _profile(request, profile_id)
    structure_id = profile.structure_id
    try:
        operations.delete_profile(web_context(request), profile)
    except Invalid as exc:
        messages.error(request, exc.message)
        return redirect("coordination:profile_edit", profile_id=profile_id)
    messages.success(request, "Profil supprimé.")
    return redirect(f"{reverse('coordination:profiles')}?structure={structure_id}")


@internal_only
@require_http_methods(["GET", "POST"])
def members(request: HttpRequest) -> HttpResponse:
    """« Droits d'accès »: who works on the records of the structure, with which profile."""
    structures = administered(request)
    structure = pick_structure(request, structures)
    operations.ensure_default_profiles(structure)
    internal_profiles = list(
        RightsProfile.objects.filter(structure=structure, kind=ProfileKind.INTERNAL)
    )
    problems: list[Problem] = []
    email = request.POST.get("email", "")
    if request.method == "POST":
        chosen = request.POST.get("profile", "")
        profile = next((p for p in internal_profiles if str(p.pk) == chosen), None)
        if profile is None:
            problems = [Problem("profile", "required", "Choisissez un profil de droits.")]
        else:
            try:
                operations.set_membership(web_context(request), structure, email, profile)
            except Invalid as exc:
                problems = exc.problems
            else:
                messages.success(request, f"Profil « {profile.name} » attribué à {email}.")
                return redirect(f"{reverse('coordination:members')}?structure={structure.pk}")
    memberships = (
        Membership.objects.filter(structure=structure)
        .select_related("user", "profile")
        .order_by("user__last_name", "user__email")
    )
    return render(
        request,
        "coordination/members.html",
        {
            **menu(request, "members"),
            "structures": structures,
            "structure": structure,
            "memberships": memberships,
            "profiles": internal_profiles,
            "email": email,
            "problems": problems,
        },
        status=422 if problems else 200,
    )


@internal_only
@require_POST
def member_remove(request: HttpRequest, membership_id: int) -> HttpResponse:
    structures = administered(request)
    membership = (
        Membership.objects.select_related("structure", "user", "profile")
        .filter(pk=membership_id, structure__in=structures)
        .first()
    )
    if membership is None:
        raise NotFound("Droit introuvable.")
    operations.remove_membership(web_context(request), membership)
    messages.success(request, f"{membership.user.email} n'a plus de profil dans la structure.")
    return redirect(f"{reverse('coordination:members')}?structure={membership.structure_id}")
