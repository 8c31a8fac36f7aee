"""Account quotas per structure (seed 004 « Informations MSSanté »)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.db.models import Count

from caducee.accounts.models import Account, AccountState
from caducee.core.errors import Invalid, Problem
from caducee.directory.models import Quota, QuotaGroup
from caducee.structures.models import Structure

GROUP_OF_TYPE: dict[str, str] = {
    "PER": QuotaGroup.PERSONAL,
    "INT": QuotaGroup.PERSONAL,
    "ORG": QuotaGroup.ORGANISATIONAL,
    "APP": QuotaGroup.APPLICATIVE,
}
# Deactivated and rejected accounts do not use a place.
COUNTED_STATES = (AccountState.PREREGISTERED, AccountState.TO_VALIDATE, AccountState.VALID)


@dataclass(frozen=True)
class Usage:
    group: str
    label: str
    used: int
    limit: int | None

    @property
    def limit_label(self) -> str:
        return "Illimité" if self.limit is None else str(self.limit)

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.used, 0)


def group_of(account_type: str) -> str | None:
    return GROUP_OF_TYPE.get(account_type.upper())


def usage(structure: Structure) -> list[Usage]:
    """The table « Type de compte / Utilisés / Total disponible », one row per group."""
    counts: dict[str, int] = {}
    rows = (
        Account.objects.filter(structure=structure, state__in=COUNTED_STATES)
        .values("type")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        group = group_of(row["type"])
        if group is not None:
            counts[group] = counts.get(group, 0) + row["n"]
    limits = dict(Quota.objects.filter(structure=structure).values_list("group", "limit"))
    return [
        Usage(group.value, str(group.label), counts.get(group.value, 0), limits.get(group.value))
        for group in QuotaGroup
    ]


def check_capacity(structure: Structure, wanted: Mapping[str, int]) -> None:
    """Raise Invalid when adding `wanted` accounts (by type: {"PER": 3}) would exceed a quota."""
    needed: dict[str, int] = {}
    for kind, n in wanted.items():
        group = group_of(kind)
        if group is not None and n > 0:
            needed[group] = needed.get(group, 0) + n
    if not needed:
        return
    if not Quota.objects.filter(
        structure=structure, group__in=needed, limit__isnull=False
    ).exists():
        return
    problems: list[Problem] = []
    for row in usage(structure):
        if (
            row.group in needed
            and row.limit is not None
            and row.used + needed[row.group] > row.limit
        ):
            problems.append(
                Problem(
                    "type",
                    "quota",
                    f"Quota « {row.label} » atteint pour {structure.name} : {row.used} compte(s) "
                    f"utilisé(s) sur {row.limit} disponible(s), {needed[row.group]} demandé(s). "
                    "Désactivez des comptes ou demandez à l'opérateur d'augmenter le quota.",
                )
            )
    if problems:
        raise Invalid(problems[0].message, problems)
