"""The public RPPS extraction loaded by the operator (`caducee referentials rpps-import`).

One `RppsExtraction` per load; its professionals are `RppsProfessional` rows, one per
RPPS. A load writes its rows under a new extraction in state « loading » (invisible to
readers), then one short transaction makes it the current one; the rows of the previous
extraction are deleted afterwards. Readers ask for the current extraction and the person
in one statement (`rpps_check.lookup`), so they see the old extraction or the new one,
never a mix.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class RppsExtraction(models.Model):
    class State(models.TextChoices):
        LOADING = "loading", "En cours de chargement"
        CURRENT = "current", "En service"
        REPLACED = "replaced", "Remplacée"
        FAILED = "failed", "Échec du chargement"

    file_name = models.CharField(max_length=500)
    state = models.CharField(max_length=10, choices=State.choices, default=State.LOADING)
    started_at = models.DateTimeField()
    loaded_at = models.DateTimeField(null=True, blank=True)
    lines_read = models.PositiveIntegerField(default=0)
    professionals = models.PositiveIntegerField(default=0)
    lines_skipped = models.PositiveIntegerField(default=0)
    # {reason code: number of lines}, see rpps_file.SKIP_REASONS.
    skipped = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["state"],
                condition=models.Q(state="current"),
                name="referentials_one_current_rpps_extraction",
            )
        ]

    def __str__(self) -> str:
        return f"Extraction RPPS {self.file_name}"


class RppsProfessional(models.Model):
    """One person of an extraction: the names and professions of their first activity line
    (names) and of all of them (professions)."""

    extraction = models.ForeignKey(RppsExtraction, on_delete=models.CASCADE, related_name="+")
    rpps = models.CharField(max_length=11)
    last_name = models.CharField(max_length=200)
    first_name = models.CharField(max_length=200)
    # "code=label" pairs joined by "|", in the order of the file: "10=Médecin|21=Pharmacien".
    professions = models.CharField(max_length=500)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["extraction", "rpps"], name="referentials_rpps_once_per_extraction"
            )
        ]

    def __str__(self) -> str:
        return f"{self.rpps} {self.last_name} {self.first_name}"

    def profession_map(self) -> dict[str, str]:
        return profession_map(self.professions)


def profession_map(value: str) -> dict[str, str]:
    """ "10=Médecin|21=Pharmacien" → {"10": "Médecin", "21": "Pharmacien"}."""
    pairs = (item.partition("=") for item in value.split("|") if item)
    return {code: label for code, _, label in pairs}
