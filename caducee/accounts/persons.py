"""Which logins an admin may bind a mailbox to, or change: the one "rights elsewhere" rule.

A login (`User`) is a physical person. Binding a new mailbox to an existing login, or
changing the address of a mailbox bound to it, hands that login to whoever controls the
mailbox's address. So an admin may only do it for a person whose every right lies in the
structures that admin answers for. A person holds rights elsewhere when they are the
platform operator, an external coordination partner, or hold a mailbox, an admin role or a
coordination membership in a structure outside that scope.

Refusals use one message (`unusable_address`) that says nothing about other structures.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from caducee.accounts.models import Account
from caducee.core.context import Context
from caducee.core.errors import Problem
from caducee.people.models import User
from caducee.structures.access import admin_scope
from caducee.structures.models import Structure, StructureAdmin


@dataclass
class PersonRights:
    """Where a person holds rights. `everywhere`: rights no structure scope contains."""

    everywhere: bool = False
    structures: set[int] = field(default_factory=set)
    mailbox_structure: int | None = None  # the structure of their own mailbox, if any


def person_rights(person_ids: Iterable[int]) -> dict[int, PersonRights]:
    """The rights of each person (five queries whatever the number of persons)."""
    from caducee.coordination.models import ExternalAccount, Membership

    ids = set(person_ids)
    rights = {pk: PersonRights() for pk in ids}
    if not ids:
        return rights
    for pk in User.objects.filter(pk__in=ids, is_operator=True).values_list("pk", flat=True):
        rights[pk].everywhere = True
    for pk in ExternalAccount.objects.filter(user_id__in=ids).values_list("user_id", flat=True):
        rights[pk].everywhere = True
    for pk, structure_id in StructureAdmin.objects.filter(user_id__in=ids).values_list(
        "user_id", "structure_id"
    ):
        rights[pk].structures.add(structure_id)
    for pk, structure_id in Membership.objects.filter(user_id__in=ids).values_list(
        "user_id", "structure_id"
    ):
        rights[pk].structures.add(structure_id)
    for pk, structure_id in Account.objects.filter(user_id__in=ids).values_list(
        "user_id", "structure_id"
    ):
        if pk is not None:
            rights[pk].structures.add(structure_id)
            rights[pk].mailbox_structure = structure_id
    return rights


def rights_outside(
    person_id: int, rights: PersonRights, scope_ids: Collection[int], actor: User | None
) -> bool:
    """True when this person holds a right outside `scope_ids` (the actor never does)."""
    if actor is not None and actor.pk == person_id:
        return False
    return rights.everywhere or not rights.structures <= set(scope_ids)


def acting_scope(
    ctx: Context, structure: Structure, admin_ids: Collection[int] | None = None
) -> set[int]:
    """The structures the actor answers for when acting on `structure`.

    A person: the structures they administer (all for the operator); `admin_ids` gives
    them when the caller already has them. A command run on the server has no person
    behind it: it answers for the structure it acts on only.
    """
    if ctx.is_server:
        return {structure.pk}
    if admin_ids is None:
        admin_ids = set(admin_scope(ctx).values_list("pk", flat=True))
    return set(admin_ids) | {structure.pk}


def has_rights_outside(ctx: Context, structure: Structure, person: User) -> bool:
    """The predicate for one person, acting on `structure` (create, type and email change)."""
    rights = person_rights([person.pk])[person.pk]
    return rights_outside(person.pk, rights, acting_scope(ctx, structure), ctx.user)


def has_any_right(person: User) -> bool:
    """Whether the person keeps a right anywhere (then their login must stay active)."""
    rights = person_rights([person.pk])[person.pk]
    return rights.everywhere or bool(rights.structures)


def unusable_address(email: str, field_name: str = "email") -> Problem:
    """The one refusal for an address taken outside the actor's reach; reveals nothing."""
    return Problem(
        field_name,
        "unavailable",
        f"L'adresse {email} ne peut pas être utilisée pour ce compte : choisissez-en une "
        "autre. Si cette adresse appartient bien à cette personne, contactez l'opérateur "
        "de la plateforme.",
    )


def binding_problems(ctx: Context, structure: Structure, email: str, kind: str) -> list[Problem]:
    """Whether a new mailbox of type `kind` may use `email`, given the logins that exist.

    The caller has checked that no mailbox uses `email` already.
    """
    person = User.objects.filter(email=email).first()
    if person is None:
        return []
    if has_rights_outside(ctx, structure, person):
        return [unusable_address(email)]
    return in_scope_person_problems(email, kind, person_rights([person.pk])[person.pk])


def in_scope_person_problems(email: str, kind: str, rights: PersonRights) -> list[Problem]:
    """Problems with a login the actor may see (all its rights lie in the actor's scope)."""
    from caducee.accounts.models import AccountType

    if kind in AccountType.shared():
        return [
            Problem(
                "email",
                "person_email",
                f"{email} est l'adresse de connexion d'une personne : une boîte partagée doit "
                "avoir une adresse générique.",
            )
        ]
    if rights.mailbox_structure is not None:
        return [
            Problem(
                "email",
                "has_mailbox",
                f"{email} est l'adresse de connexion d'une personne qui a déjà sa boîte "
                "nominative : une personne n'a qu'une boîte nominative ; donnez-lui accès aux "
                "autres boîtes comme compte de connexion ou délégué.",
            )
        ]
    return []
