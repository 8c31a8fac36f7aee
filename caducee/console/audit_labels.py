"""French words for audit events, as shown in the « Journal d'audit » page."""

from __future__ import annotations

from typing import Any

from caducee.accounts.fields import BY_KEY

# One label per action code recorded by the operations. Unknown codes (actions added by
# later features) are shown as they are rather than hidden.
ACTION_LABELS: dict[str, str] = {
    "platform.setup": "Installation de la plateforme (premier opérateur)",
    "structure.create": "Création de la structure",
    "structure.update": "Modification de la structure",
    "structure.admin_add": "Nomination d'un administrateur",
    "structure.admin_remove": "Retrait d'un administrateur",
    "account.create": "Création du compte",
    "account.update": "Modification du compte",
    "account.change_type": "Changement du type de BAL",
    "account.deactivate": "Désactivation du compte",
    "account.reactivate": "Réactivation du compte",
    "account.connection_add": "Ajout d'un compte de connexion",
    "account.connection_remove": "Retrait d'un compte de connexion",
    "account.default_mailbox": "Choix du compte par défaut",
    "account.receipt_notification": "Notification de réception vers le compte de connexion",
    "account.delegate_add": "Ajout d'un délégué",
    "account.delegate_remove": "Retrait d'un délégué",
    "account.email_change_request": "Demande de changement de mail",
    "account.email_change_cancel": "Annulation d'une demande de changement de mail",
    "account.email_change_apply": "Changement de mail appliqué",
    "identity.password_link": "Envoi d'un lien de choix du mot de passe",
    "identity.password_set": "Choix du mot de passe",
    "identity.invitation_sent": "Envoi du mail de finalisation d'inscription",
    "api.token_create": "Création d'un jeton d'API",
    "api.token_revoke": "Révocation d'un jeton d'API",
}

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
}


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
    return spec.title if spec else key


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
        lines.append(f"{_DETAIL_LABELS.get(key, key)} : {_value(value)}")
    return lines
