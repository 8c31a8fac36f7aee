"""The public « Demande de raccordement » form and the service centre's forms.

Every field is plain text here: the rules (required fields, identifier keys, postal code,
phone, email, lengths) are the operation's (`onboarding.operations.clean_request`), and
its problems are put back beside their fields.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings

from caducee.console.forms import referential_choices
from caducee.core.errors import Problem
from caducee.onboarding.operations import LABELS, REQUIRED
from caducee.onboarding.queue import STATE_FILTERS
from caducee.structures.models import StructureIdType

ID_TYPES = [
    ("", "— Choisir —"),
    (StructureIdType.FINESS_EG, "FINESS géographique (établissement) — de préférence"),
    (StructureIdType.FINESS_EJ, "FINESS juridique (entité juridique)"),
    (StructureIdType.SIRET, "SIRET (14 chiffres)"),
    (StructureIdType.SIREN, "SIREN (9 chiffres)"),
]
HELP = {
    "structure_name": "Le nom officiel de la structure (ex. Pharmacie du Centre).",
    "id_number": "FINESS : 9 caractères ; SIRET : 14 chiffres ; SIREN : 9 chiffres. La clé de "
    "contrôle est vérifiée : recopiez le numéro sans erreur.",
    "postal_code": "5 chiffres (ex. 81000).",
    "department": "La région en est déduite si vous la laissez vide.",
    "function": "Ex. pharmacien titulaire, directeur, cadre de santé.",
    "email": "Le centre de services vous répond à cette adresse.",
    "phone": "Chiffres seulement (ex. 0563000000 ou +33563000000).",
    "expected_users": "Nombre approximatif de personnes qui utiliseront la messagerie.",
    "message": "Facultatif : précisions utiles au centre de services (2 000 caractères au plus).",
}


def _text(name: str, widget: forms.Widget | None = None) -> forms.CharField:
    label = LABELS[name] + (" *" if name in REQUIRED else "")
    return forms.CharField(
        label=label, required=False, strip=False, widget=widget, help_text=HELP.get(name, "")
    )


class ConnectionRequestForm(forms.Form):
    structure_name = _text("structure_name")
    id_type = _text("id_type", forms.Select(choices=ID_TYPES))
    id_number = _text("id_number")
    address = _text("address")
    postal_code = _text("postal_code")
    city = _text("city")
    department = _text("department", forms.Select(choices=referential_choices("departements")))
    region = _text("region", forms.Select(choices=referential_choices("regions")))
    last_name = _text("last_name")
    first_name = _text("first_name")
    function = _text("function")
    email = _text("email", forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = _text("phone", forms.TextInput(attrs={"autocomplete": "tel"}))
    expected_users = _text("expected_users", forms.TextInput(attrs={"inputmode": "numeric"}))
    message = _text("message", forms.Textarea(attrs={"rows": 4}))

    def add_problems(self, problems: Iterable[Problem]) -> None:
        """Each error beside its field; errors about other keys on top of the form."""
        for problem in problems:
            if problem.is_error:
                self.add_error(
                    problem.field if problem.field in self.fields else None, problem.message
                )


class QueueFilterForm(forms.Form):
    etat = forms.ChoiceField(
        label="État",
        required=False,
        choices=[("", "Toutes"), *STATE_FILTERS.items()],
    )
    anciennete = forms.TypedChoiceField(
        label="Reçues depuis plus de",
        required=False,
        coerce=int,
        empty_value=None,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """The age choices include the overdue threshold (REGISTRATION_OVERDUE_HOURS)."""
        super().__init__(*args, **kwargs)
        hours = sorted({24, int(settings.REGISTRATION_OVERDUE_HOURS), 168})
        field = self.fields["anciennete"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "—"), *((str(h), _hours(h)) for h in hours)]


def _hours(hours: int) -> str:
    if hours % 24 == 0 and hours >= 48:
        return f"{hours // 24} jours"
    return f"{hours} heure{'s' if hours > 1 else ''}"


class AnswerForm(forms.Form):
    decision = forms.ChoiceField(
        label="Réponse",
        choices=[("accepter", "Accepter la demande"), ("refuser", "Refuser la demande")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choisissez d'accepter ou de refuser la demande."},
    )
    message = forms.CharField(
        label="Message envoyé au demandeur",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Pour une acceptation : les prochaines étapes. Pour un refus : le motif.",
    )


class StructureFromRequestForm(forms.Form):
    domain = forms.CharField(
        label="Domaine MSSanté",
        required=False,
        help_text="Son domaine propre (ex. ch-albi.mssante.fr) ou un domaine partagé de la "
        "plateforme (ex. pharmacien.oc.mssante.fr) ; peut rester vide et être choisi plus tard.",
    )
