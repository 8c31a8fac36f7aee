"""The states of a connection request and the queue's state filter: plain choices, free of
the app registry, so that the CLI can offer them before Django is set up."""

from __future__ import annotations

from django.db import models


class RequestState(models.TextChoices):
    NEW = "nouvelle", "Nouvelle"
    IN_PROGRESS = "en_cours", "En cours"
    ACCEPTED = "acceptee", "Acceptée"
    REFUSED = "refusee", "Refusée"

    @classmethod
    def open(cls) -> list[str]:
        """The states still waiting for an answer."""
        return [cls.NEW, cls.IN_PROGRESS]


OPEN = "ouvertes"  # the state filter of the requests still waiting for an answer
STATE_FILTERS: dict[str, str] = {
    OPEN: "À traiter (nouvelles et en cours)",
    **{state.value: str(state.label) for state in RequestState},
}
