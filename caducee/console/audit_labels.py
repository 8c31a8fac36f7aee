"""French words for audit events, as shown in the « Journal d'audit » page."""

from __future__ import annotations

from typing import Any

from caducee.accounts.fields import BY_KEY
from caducee.audit.actions import AuditAction
from caducee.structures.ownership import LABELS as STRUCTURE_LABELS

# One label per action code (the table is caducee/audit/actions.py). Codes unknown to it
# (events of a later version read by an older one) are shown as they are, not hidden.
ACTION_LABELS: dict[str, str] = {action.value: str(action.label) for action in AuditAction}

CHANNEL_LABELS = {
    "web": "console web",
    "api": "API",
    "cli": "ligne de commande",
    "import": "import",
    "smtp": "SMTP",
    "system": "système",
}

_DETAIL_LABELS = {
    "type": "type",
    "visible": "visible dans l'annuaire",
    "is_test": "compte de test",
    "connection_accounts": "comptes de connexion",
    "connection_account": "compte de connexion",
    "links_added": "comptes de connexion ajoutés",
    "links_removed": "comptes de connexion retirés",
    "previous_state": "état précédent",
    "state": "état",
    "from": "ancien type",
    "to": "nouveau type",
    "default": "compte par défaut",
    "mailbox": "boîte",
    "on": "activée",
    "delegate": "délégué",
    "identifier": "identifiant",
    "domain": "domaine",
    "created_person": "personne créée",
    "new_email": "nouvelle adresse",
    "old_email": "ancienne adresse",
    "reason": "motif",
    "app_passwords": "mots de passe d'application révoqués",
    "api_tokens": "jetons d'API révoqués",
    "browsers": "navigateurs oubliés",
    "count": "nombre",
    "q": "recherche",
    "from_structure": "ancienne structure",
    "to_structure": "nouvelle structure",
    "old_address": "ancienne adresse MSSanté",
    "new_address": "nouvelle adresse MSSanté",
    "detached": "liens retirés",
    "right": "droits du délégué",
    "previous_right": "anciens droits du délégué",
    "delegation": "ouverte en tant que délégué, droits",
    "proposal": "proposition n°",
    "proposed_by": "proposé par",
    "by": "à l'initiative de",
    "fields": "champs modifiés",
    "requested_by": "demandé par",
    "expires_in_days": "validité du lien (jours)",
    # Issue #16: onboarding (« Demande de raccordement »).
    "limited": "refusée (trop de demandes)",
    "structure": "structure",
    "contact": "contact",
    "expected_users": "utilisateurs prévus",
    "accepted": "acceptée",
}
# Values of the `by` of email-change events.
_BY_LABELS = {"self": "le titulaire du compte", "admin": "un administrateur"}


def action_label(code: str) -> str:
    return ACTION_LABELS.get(code, code)


def _value(value: Any) -> str:
    if value is True:
        return "oui"
    if value is False:
        return "non"
    if value is None or value == "":
        return "(vide)"
    if isinstance(value, list):
        return ", ".join(_value(v) for v in value) if value else "(aucun)"
    return str(value)


def _field_name(key: str) -> str:
    spec = BY_KEY.get(key)
    return spec.title if spec else STRUCTURE_LABELS.get(key, key)


def detail_lines(detail: dict[str, Any]) -> list[str]:
    """The JSON detail of an event as short French lines ("VILLE : PARIS → LYON")."""
    lines: list[str] = []
    for key, value in detail.items():
        if key == "changes" and isinstance(value, dict):
            for field, change in value.items():
                if isinstance(change, list) and len(change) == 2:
                    lines.append(
                        f"{_field_name(field)} : {_value(change[0])} → {_value(change[1])}"
                    )
                else:
                    lines.append(f"{_field_name(field)} : {_value(change)}")
            continue
        if key == "by":
            value = _BY_LABELS.get(str(value), value)
        elif key == "fields" and isinstance(value, list):
            value = [_field_name(str(name)) for name in value]
        lines.append(f"{_DETAIL_LABELS.get(key, key)} : {_value(value)}")
    return lines
