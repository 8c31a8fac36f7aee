"""Console forms, derived from the field table (caducee/accounts/fields.py).

Forms only gather and display values: every rule (mandatory, conditional, not concerned,
formats, lists) is applied by `caducee.accounts.validation.clean_account` through the
operations, whose `Problem`s are put back beside the matching field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms

from caducee.accounts.fields import FIELDS, MAILBOX_TYPES, FieldSpec, Kind, Rule
from caducee.accounts.validation import as_text
from caducee.core.errors import Problem
from caducee.referentials import identifiers, lists
from caducee.structures.models import StructureIdType
from caducee.structures.ownership import LABELS, OPERATOR_FIELDS

# Seed 002 §2: one line per mailbox type, shown when choosing the type of a new account.
TYPE_DESCRIPTIONS: dict[str, str] = {code: t.description for code, t in MAILBOX_TYPES.items()}
TYPE_TITLES: dict[str, str] = {code: t.title for code, t in MAILBOX_TYPES.items()}

# Groups of the profession list, from the `category` column of the shipped data.
_PROFESSION_GROUPS = {
    "sante": "Professions de santé",
    "social": "Professions du social et du médico-social",
    "medico_social": "Professions du social et du médico-social",
    "titre": "Usage de titre professionnel",
    "non_sante": "Autres professions (BAL MED)",
}
_MARKS = {
    Rule.O: ("*", "required", "obligatoire"),
    Rule.OSC: ("*", "required", "obligatoire sous condition"),
    Rule.R: ("(recommandé)", "hint", "recommandé"),
    Rule.F: ("", "", "facultatif"),
    Rule.NC: ("", "", "doit rester vide"),
}
# Keys the account form never shows: the type is chosen on its own page, the structure is
# the one being administered.
# The MSSanté address is managed by the directory's correspondence operation (the blue
# « + » of the list), which checks uniqueness, test prefixes and audits the address.
_NOT_IN_FORM = {"type", "structure", "mssante_particle"}


def referential_choices(name: str) -> list[Any]:
    """Select options of a shipped list, with an empty first option."""
    referential = lists.by_name(name)
    empty: list[Any] = [("", "— Choisir —")]
    if name != "professions":
        return empty + referential.choices()
    groups: dict[str, list[tuple[str, str]]] = {}
    for entry in referential:
        label = _PROFESSION_GROUPS.get(entry.extra.get("category", ""), "Autres professions")
        groups.setdefault(label, []).append((entry.code, entry.label))
    return empty + list(groups.items())


def _widget(spec: FieldSpec) -> forms.Widget:
    if spec.kind is Kind.LIST and spec.referential:
        return forms.Select(choices=referential_choices(spec.referential))
    if spec.kind is Kind.YES_NO:
        return forms.Select(choices=[("", "— Choisir —"), ("OUI", "Oui"), ("NON", "Non")])
    if spec.kind is Kind.STRUCTURE_ID_TYPE:
        return forms.Select(
            choices=[("", "— Choisir —")] + [(t, t) for t in identifiers.STRUCTURE_ID_TYPES]
        )
    if spec.kind is Kind.DATE:
        return forms.DateInput(attrs={"type": "date"})
    if spec.kind is Kind.EMAIL:
        return forms.TextInput(attrs={"inputmode": "email", "autocomplete": "off"})
    return forms.TextInput()


@dataclass
class Row:
    """One form field with its mark for the current mailbox type."""

    field: forms.BoundField
    rule: Rule
    mark: str
    mark_class: str
    rule_label: str
    must_empty: bool = False


class AccountForm(forms.Form):
    """The fields of seed 002 §3 for one mailbox type.

    `mode` is "create", "edit" (email read-only; connection accounts managed in their own
    block) or "change_type" (fields not concerned by the new type but holding a value are
    kept so the administrator can empty them).
    """

    def __init__(
        self,
        kind: str,
        data: Mapping[str, Any] | None = None,
        *,
        initial: Mapping[str, Any] | None = None,
        mode: str = "create",
        keep: Iterable[str] = (),
    ) -> None:
        shown_initial = {
            k: as_text(v) if not isinstance(v, list) else ", ".join(v)
            for k, v in (initial or {}).items()
        }
        super().__init__(data, initial=shown_initial)
        self.kind = kind
        self.mode = mode
        self.rules: dict[str, Rule] = {}
        kept = set(keep)
        for spec in FIELDS:
            rule = spec.rule(kind)
            if spec.key in _NOT_IN_FORM:
                continue
            if rule is Rule.NC and spec.key not in kept:
                continue
            if spec.key == "connection_accounts" and mode == "edit":
                continue
            help_text = spec.help
            if spec.kind is Kind.EMAIL_LIST:
                help_text = "Adresses mail de comptes PER, INT ou MED, séparées par des virgules."
            field = forms.CharField(
                label=spec.title, required=False, help_text=help_text, widget=_widget(spec)
            )
            if spec.key == "email" and mode == "edit":
                field.disabled = True
            self.fields[spec.key] = field
            self.rules[spec.key] = rule

    @property
    def rows(self) -> list[Row]:
        result = []
        for key, rule in self.rules.items():
            mark, css, label = _MARKS[rule]
            result.append(Row(self[key], rule, mark, css, label, must_empty=rule is Rule.NC))
        return result

    def raw(self) -> dict[str, object]:
        """What the administrator typed, keyed like the field table (for the operations)."""
        values: dict[str, object] = {"type": self.kind}
        for key in self.rules:
            if self.fields[key].disabled:
                continue
            values[key] = self.cleaned_data.get(key, "")
        return values

    def suggest_connection_accounts(self, candidates_url: str) -> None:
        """Search as you type on « Compte(s) de connexion », when the type has that field."""
        field = self.fields.get("connection_accounts")
        if field is None:
            return
        field.widget.attrs.update(
            {
                "autocomplete": "off",
                "hx-get": f"{candidates_url}?cible=id_connection_accounts&plusieurs=1",
                "hx-trigger": "input changed delay:250ms",
                "hx-target": "#suggestions-connection_accounts",
            }
        )
        field.help_text += " La recherche en cours de frappe est limitée à 50 réponses."

    def add_problems(self, problems: Iterable[Problem]) -> None:
        """Put each error beside its field; errors about other keys go on top of the form."""
        for problem in problems:
            if not problem.is_error:
                continue
            field = problem.field if problem.field in self.fields else None
            self.add_error(field, problem.message)


class StructureForm(forms.Form):
    name = forms.CharField(label="Raison sociale", required=False, max_length=200)
    id_type = forms.CharField(
        label="Type d'identifiant",
        required=False,
        widget=forms.Select(choices=[("", "— Choisir —"), *StructureIdType.choices]),
    )
    id_number = forms.CharField(
        label="Numéro d'identifiant",
        required=False,
        help_text="FINESS : 9 chiffres ; SIREN : 9 chiffres ; SIRET : 14 chiffres "
        "(la clé de contrôle est vérifiée).",
    )
    domain = forms.CharField(
        label="Domaine MSSanté",
        required=False,
        help_text="Exemple : ch-albi.mssante.fr. Une structure sans domaine propre prend un "
        "domaine partagé déclaré par l'opérateur (ex. pharmacien.oc.mssante.fr).",
    )
    address1 = forms.CharField(label="Adresse", required=False)
    address2 = forms.CharField(label="Complément d'adresse", required=False)
    postal_code = forms.CharField(label="Code postal", required=False)
    city = forms.CharField(label="Ville", required=False)
    department = forms.CharField(
        label="Département",
        required=False,
        widget=forms.Select(choices=referential_choices("departements")),
        help_text="La région est déduite du département si vous la laissez vide.",
    )
    region = forms.CharField(
        label="Région",
        required=False,
        widget=forms.Select(choices=referential_choices("regions")),
    )
    phone = forms.CharField(label=LABELS["phone"], required=False)
    contact_name = forms.CharField(
        label=LABELS["contact_name"],
        required=False,
        help_text="Nom et fonction de la personne à joindre pour la structure.",
    )
    contact_email = forms.CharField(label=LABELS["contact_email"], required=False)

    REQUIRED = ("name", "id_type", "id_number")

    def lock_operator_fields(self) -> None:
        """For a structure admin: the operator's fields are shown, read-only."""
        for name in OPERATOR_FIELDS:
            field = self.fields[name]
            field.disabled = True
            field.help_text = "Géré par l'opérateur de la plateforme."

    def add_problems(self, problems: Iterable[Problem]) -> None:
        for problem in problems:
            if problem.is_error:
                self.add_error(
                    problem.field if problem.field in self.fields else None, problem.message
                )


class AppointAdminForm(forms.Form):
    email = forms.CharField(label="Adresse mail de l'administrateur", required=False)


class DomainForm(forms.Form):
    """« Domaines MSSanté » (operator): declare a platform domain, shared or not."""

    name = forms.CharField(
        label="Nom du domaine",
        required=False,
        max_length=253,
        help_text="Exemple : pharmacien.oc.mssante.fr (se termine par .mssante.fr).",
    )
    shared = forms.BooleanField(
        label="Domaine partagé : les structures sans domaine propre y ont leurs boîtes",
        required=False,
        initial=True,
    )
