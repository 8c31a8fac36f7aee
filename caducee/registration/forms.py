"""The forms of self-registration: what the requester types, and the service centre's."""

from __future__ import annotations

from typing import Any

from django import forms

from caducee.referentials import lists
from caducee.registration.rules import ID_TYPES

GENERIC_EXAMPLES = "ex. pharmacie-du-centre-albi@gmail.com, secretariat.equipe@yahoo.fr"


def _choices(referential: lists.Referential, entries: Any = None) -> list[tuple[str, str]]:
    rows = entries if entries is not None else referential.entries
    return [("", "Sélectionner…"), *[(e.code, e.label) for e in rows]]


class RegistrationForm(forms.Form):
    """The form of seed 003 §3 (ORG) and its professional's variant (PER)."""

    email = forms.CharField(label="Adresse mail du compte organisationnel", max_length=254)
    description = forms.CharField(
        label="Description du compte",
        max_length=250,
        help_text="Service, structure, ville, code postal (ex. pharmacie du lac 66000 "
        "Perpignan) : c'est le libellé affiché aux destinataires et dans l'annuaire.",
    )
    last_name = forms.CharField(label="Nom d'exercice", max_length=150)
    first_name = forms.CharField(label="Prénom d'exercice", max_length=150)
    profession = forms.ChoiceField(label="Profession")
    rpps = forms.CharField(label="N° RPPS", max_length=20, help_text="11 chiffres (carte CPS).")
    structure_name = forms.CharField(label="Raison sociale", max_length=200)
    id_type = forms.ChoiceField(
        label="Type d'identifiant établissement",
        choices=[("", "Sélectionner un type d'identifiant"), *ID_TYPES],
        help_text="Le FINESS géographique de préférence ; le SIRET ou le SIREN seulement si "
        "la structure n'a pas de FINESS.",
    )
    id_number = forms.CharField(label="Identifiant établissement", max_length=20)
    address1 = forms.CharField(label="Adresse postale", max_length=200, required=False)
    postal_code = forms.CharField(label="Code postal", max_length=10)
    city = forms.CharField(label="Ville", max_length=100)
    department = forms.ChoiceField(label="Département")
    service = forms.CharField(label="Service de rattachement", max_length=200, required=False)
    phone1 = forms.CharField(label="Téléphone professionnel", max_length=20, required=False)
    phone2 = forms.CharField(label="Deuxième téléphone", max_length=20, required=False)
    resp_last_name = forms.CharField(label="Nom du responsable", max_length=150)
    resp_first_name = forms.CharField(label="Prénom du responsable", max_length=150)
    resp_profession = forms.ChoiceField(label="Profession du responsable")
    resp_identifier = forms.CharField(label="RPPS du responsable", max_length=20)
    requester_last_name = forms.CharField(label="Votre nom", max_length=150)
    requester_first_name = forms.CharField(label="Votre prénom", max_length=150)
    requester_profession = forms.ChoiceField(
        label="Votre fonction",
        help_text="Votre compte personnel (BAL MED), absent de l'annuaire, ouvre la boîte "
        "organisationnelle.",
    )
    dematerialisation = forms.BooleanField(
        label="Je souhaite dématérialiser tous mes échanges et ne plus recevoir de papier.",
        required=False,
        initial=True,
    )
    visible = forms.BooleanField(
        label="Je souhaite que mon adresse mail apparaisse dans l'annuaire.",
        required=False,
        initial=True,
    )

    ORG_ONLY = (
        "description",
        "service",
        "resp_last_name",
        "resp_first_name",
        "resp_profession",
        "resp_identifier",
    )
    PER_ONLY = ("last_name", "first_name", "profession", "rpps")
    WITHOUT_ACCOUNT = ("requester_last_name", "requester_first_name", "requester_profession")

    def __init__(
        self, *args: Any, kind: str, region: str, without_account: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        dropped: tuple[str, ...] = self.PER_ONLY if kind == "ORG" else self.ORG_ONLY
        if not (kind == "ORG" and without_account):
            dropped += self.WITHOUT_ACCOUNT
        for name in dropped:
            del self.fields[name]
        if "requester_profession" in self.fields:
            self.fields["requester_profession"].choices = _choices(  # type: ignore[attr-defined]
                lists.professions()
            )
        professions = _choices(lists.professions())
        for name in ("profession", "resp_profession"):
            if name in self.fields:
                self.fields[name].choices = professions  # type: ignore[attr-defined]
        in_region = [
            e for e in lists.departments().entries if lists.region_of_department(e.code) == region
        ]
        self.fields["department"].choices = _choices(  # type: ignore[attr-defined]
            lists.departments(), in_region
        )
        if kind == "ORG":
            self.fields["email"].help_text = (
                "Une adresse générique, partagée par l'équipe, jamais celle d'une personne "
                f"({GENERIC_EXAMPLES})."
            )
        else:
            self.fields["email"].label = "Adresse mail"
            self.fields["email"].disabled = True
            self.fields["structure_name"].help_text = "Ex. Cabinet du Dr Martin."
            self.fields["id_type"].help_text = "Le SIRET de votre cabinet (ou son FINESS)."

    def values(self) -> dict[str, Any]:
        """What the operations read: every field as typed (the operations check them)."""
        data = {name: self.data.get(name, "") for name in self.fields}
        if self.fields["email"].disabled:
            data["email"] = self.initial.get("email", "")
        for name in ("dematerialisation", "visible"):
            data[name] = self.data.get(name) == "on"
        return data


class DecisionForm(forms.Form):
    """« Valider »: where the account goes and its MSSanté address."""

    structure = forms.ChoiceField(label="Structure", required=False)
    domain = forms.ChoiceField(label="Domaine partagé", required=False)
    particle = forms.CharField(
        label="Adresse MSSanté (avant @)",
        max_length=64,
        required=False,
        help_text="Pour une pharmacie : nom, code postal et commune, par exemple "
        "pharmacie.du.centre.81000.albi.",
    )
