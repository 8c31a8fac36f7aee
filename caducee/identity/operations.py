"""Identity actions: first operator, password links, setting a password."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from caducee.audit.log import record
from caducee.core.context import Context
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.identity import links
from caducee.identity.models import LinkPurpose
from caducee.people.models import User


def _check_password(password: str, confirm: str, user: User | None) -> list[Problem]:
    problems: list[Problem] = []
    if password != confirm:
        problems.append(Problem("confirm", "mismatch", "Les deux mots de passe diffèrent."))
    try:
        validate_password(password, user)
    except ValidationError as exc:
        problems.extend(Problem("password", "weak", str(m)) for m in exc.messages)
    return problems


def create_first_operator(
    ctx: Context,
    token: str,
    email: str,
    first_name: str,
    last_name: str,
    password: str,
    confirm: str,
) -> User:
    link = links.find_valid(LinkPurpose.SETUP, token)
    if link is None or User.objects.filter(is_operator=True).exists():
        raise NotFound("Ce lien de première installation n'est plus valable.")
    address = email.strip().lower()
    problems = _check_password(password, confirm, User(email=address))
    if "@" not in address:
        problems.append(Problem("email", "email", "Saisissez une adresse mail valide."))
    if not last_name.strip() or not first_name.strip():
        problems.append(Problem("last_name", "required", "Indiquez vos nom et prénom."))
    if problems:
        raise Invalid("Le compte opérateur n'a pas été créé.", problems)
    with transaction.atomic():
        if not links.consume(link):
            raise NotFound("Ce lien de première installation a déjà servi.")
        user = User.objects.filter(email=address).first() or User(email=address)
        user.first_name = first_name.strip()
        user.last_name = last_name.strip()
        user.is_operator = True
        user.set_password(password)
        user.save()
        record(Context(user=user, ip=ctx.ip, channel=ctx.channel), "platform.setup", target=user)
    return user


def issue_password_link(ctx: Context, user: User) -> str:
    """A single-use link for this person to choose a password; returns the full URL."""
    token = links.issue(LinkPurpose.SET_PASSWORD, user)
    record(ctx, "identity.password_link", target=user)
    return links.base_url() + reverse("identity:set_password", args=[token])


def set_password_with_link(ctx: Context, token: str, password: str, confirm: str) -> User:
    link = links.find_valid(LinkPurpose.SET_PASSWORD, token)
    if link is None or link.user is None:
        raise NotFound("Ce lien n'est plus valable.")
    user = link.user
    problems = _check_password(password, confirm, user)
    if problems:
        raise Invalid("Le mot de passe n'a pas été enregistré.", problems)
    with transaction.atomic():
        if not links.consume(link):
            raise NotFound("Ce lien a déjà servi.")
        user.set_password(password)
        user.is_active = True
        user.save(update_fields=["password", "is_active"])
        record(
            Context(user=user, ip=ctx.ip, channel=ctx.channel), "identity.password_set", target=user
        )
    return user
