"""What several coordination operations share: error building, the actor's label in the
liaison log and the audit, field cleaners, and the helpers of external-account mails.

`parse_date`, `clean_phone`, `clean_email` and `clean_postal_code` adapt the platform's one
copy of these rules (`caducee/referentials/cleaning.py`) to coordination's forms, which
collect every problem before refusing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.urls import reverse

from caducee.coordination import access
from caducee.coordination.models import ExternalAccount, ExternalGrant, Record, RightsProfile
from caducee.core.context import Context
from caducee.core.email import send_on_commit
from caducee.core.errors import Invalid, Problem
from caducee.identity import links
from caducee.referentials import cleaning
from caducee.structures.models import Structure

ACTIVATION_PURPOSE = "external_activation"


def fail(message: str, field_name: str, code: str, text: str | None = None) -> Invalid:
    """An `Invalid` naming one field (the API and the forms point at it)."""
    return Invalid(message, [Problem(field_name, code, text or message)])


def who(ctx: Context) -> str:
    """The actor as written in the liaison log, documents and mails: « Name <email> »."""
    user = ctx.user
    if user is None:
        return ctx.actor_label
    name = f"{user.first_name} {user.last_name}".strip()
    return f"{name} <{user.email}>" if name else user.email


def external_detail(ctx: Context) -> dict[str, str]:
    """Name the physical person behind an external account in its audit events."""
    external = access.external_of(ctx.user)
    if external is None or ctx.user is None:
        return {}
    return {
        "external_identifier": external.identifier,
        "person": f"{ctx.user.first_name} {ctx.user.last_name}".strip() or ctx.user.email,
    }


# --- Field cleaners ----------------------------------------------------------------------------


def parse_date(value: str) -> date | None:
    """A calendar date in the platform's accepted formats (`referentials.cleaning`)."""
    return cleaning.parse_date(value)


def clean_phone(value: str, problems: list[Problem], key: str = "phone") -> str:
    """The phone number without separators (`referentials.cleaning.phone`); a problem is
    added when it is not one. Empty stays empty (the field is optional)."""
    if not value.strip():
        return ""
    try:
        return cleaning.phone(value).value
    except cleaning.Rejected as rejected:
        problems.append(rejected.problem(key))
        return value.strip()


def clean_postal_code(value: str, problems: list[Problem], key: str = "postal_code") -> str:
    """The postal code (`referentials.cleaning.postal_code`: 5 digits, 4 padded); a problem
    is added otherwise. Empty stays empty (the field is optional)."""
    if not value.strip():
        return ""
    try:
        return cleaning.postal_code(value).value
    except cleaning.Rejected as rejected:
        problems.append(rejected.problem(key))
        return value.strip()


def clean_email(value: str, problems: list[Problem], key: str = "email") -> str:
    """The email address in lower case (`referentials.cleaning.email`); a problem is added
    when it is not one. Empty stays empty (the field is optional)."""
    if not value.strip():
        return ""
    try:
        return cleaning.email(value).value
    except cleaning.Rejected as rejected:
        problems.append(rejected.problem(key))
        return value.strip().lower()


# --- External accounts: shared by creation and by the account's later life ---------------------


def known_to(external: ExternalAccount, structure: Structure) -> bool:
    """The structure created this external account, or invited or accepted it already."""
    return (
        external.owner_structure_id == structure.pk
        or ExternalGrant.objects.filter(external=external, structure=structure).exists()
    )


def check_external_profile(profile: RightsProfile | None, owner: Structure) -> RightsProfile:
    """The profile chosen for an external account: one of the owner's external profiles."""
    if profile is None:
        raise fail("Choisissez un profil de droits.", "profile", "required")
    if profile.structure_id != owner.pk or not profile.is_external:
        raise fail(
            "Choisissez un profil de partenaire externe de la structure.", "profile", "choice"
        )
    return profile


def login_url() -> str:
    return links.base_url() + reverse("identity:login")


def activation_days() -> int:
    return int(settings.COORDINATION_EXTERNAL_ACTIVATION_DAYS)


def send_activation(ctx: Context, external: ExternalAccount, record: Record | None) -> None:
    """Mail the account's activation link (sent when the transaction commits)."""
    token = links.issue(ACTIVATION_PURPOSE, external.user, days=activation_days())
    url = links.base_url() + reverse("coordination:activate", args=[token])
    send_on_commit(
        external.user.email,
        "external_activation",
        {
            "external": external,
            "person": external.user,
            "structure": external.owner_structure,
            "inviter": who(ctx),
            "url": url,
            "days": activation_days(),
        },
    )


@dataclass
class Credentials:
    """A password shown once (manual creation, activation), with where to log in."""

    external: ExternalAccount
    password: str
    login_url: str
