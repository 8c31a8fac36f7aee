"""What the identity operations share: the proven-person context, the Security row, the
password rules (passwords and finalisation both check them)."""

from __future__ import annotations

from dataclasses import replace

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from caducee.core.context import Context
from caducee.core.errors import Problem
from caducee.identity.models import Security
from caducee.people.models import User


def as_person(ctx: Context, user: User) -> Context:
    """The same request context, now attributed to the person who proved who they are."""
    return replace(ctx, user=user)


def security_of(user: User) -> Security:
    """The person's security settings (CGU, authenticator app), created on first use."""
    row, _ = Security.objects.get_or_create(user=user)
    return row


def check_password_rules(password: str, confirm: str, user: User | None) -> list[Problem]:
    """The problems of a new password (confirmation, Django's validators); [] when it is fine."""
    problems: list[Problem] = []
    if password != confirm:
        problems.append(
            Problem("confirm", "mismatch", "Les deux mots de passe diffèrent : retapez-les.")
        )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        problems.extend(Problem("password", "weak", str(m)) for m in exc.messages)
    return problems
