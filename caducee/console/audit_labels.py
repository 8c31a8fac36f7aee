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
    "account.list_read": "Lecture en masse des comptes (API)",
    "account.email_change_resend": "Renvoi du lien de confirmation d'un changement de mail",
    "account.email_change_confirm": "Changement de mail confirmé depuis la nouvelle adresse",
    "identity.password_link": "Envoi d'un lien de choix du mot de passe",
    "identity.password_set": "Choix du mot de passe",
    "identity.invitation_sent": "Envoi du mail de finalisation d'inscription",
    "api.token_create": "Création d'un jeton d'API",
    "api.token_revoke": "Révocation d'un jeton d'API",
    "api.token_failed": "Jeton d'API refusé (premier échec de la période)",
    "api.token_lockout": "Blocage d'une adresse IP après des jetons d'API refusés",
    "audit.chain_keyed": "Passage au journal signé (clé d'audit)",
    "audit.chains_split": "Passage à une chaîne d'audit par structure",
    # Identity: logins, codes, passwords, browsers, mailbox switches.
    "identity.login": "Connexion",
    "identity.login_failed": "Échec de connexion",
    "identity.logout": "Déconnexion",
    "identity.logout_everywhere": "Déconnexion de tous les appareils",
    "identity.access_revoked": "Révocation des accès (sessions, mots de passe d'application, "
    "jetons d'API, navigateurs)",
    "identity.totp_reset": "Réinitialisation du second facteur",
    "identity.lockout": "Blocage de l'identifiant après des échecs",
    "identity.unlock": "Déblocage de l'identifiant",
    "identity.code_sent": "Envoi d'un code à usage unique",
    "identity.browser_remembered": "Navigateur de confiance enregistré",
    "identity.browser_revoked": "Navigateur de confiance retiré",
    "identity.cgu_accepted": "Acceptation des conditions générales d'utilisation",
    "identity.finalise": "Finalisation de l'inscription",
    "identity.password_changed": "Changement du mot de passe",
    "identity.password_reset": "Réinitialisation du mot de passe",
    "identity.password_reset_requested": "Demande de réinitialisation du mot de passe",
    "identity.reset_link": "Envoi d'un lien de réinitialisation",
    "identity.reminder": "Relance des utilisateurs préinscrits",
    "identity.switch_mailbox": "Changement de boîte utilisée",
    "identity.totp_enabled": "Activation de l'application d'authentification",
    "identity.totp_disabled": "Désactivation de l'application d'authentification",
    # Loaduser import and export.
    "loadusers.upload": "Dépôt d'un fichier d'import d'utilisateurs",
    "loadusers.import": "Import d'une liste d'utilisateurs",
    "loadusers.export": "Export de la liste d'utilisateurs",
    "export.request": "Demande d'un export en arrière-plan",
    "export.download": "Téléchargement d'un export préparé en arrière-plan",
    # Directory and MSSanté addresses.
    "directory.address_assign": "Attribution d'une adresse MSSanté",
    "directory.address_remove": "Retrait d'une adresse MSSanté",
    "directory.dematerialisation": "Changement de dématérialisation",
    "directory.export": "Export de l'annuaire",
    "directory.push": "Publication dans l'annuaire national",
    "directory.push_request": "Demande de publication dans l'annuaire national",
    "directory.quota": "Changement des quotas de comptes",
    "directory.red_list": "Changement de liste rouge",
    # Webmail.
    "mail.send": "Envoi d'un message",
    "mail.read": "Lecture d'un message",
    "mail.draft_save": "Enregistrement d'un brouillon",
    "mail.delete": "Suppression de messages",
    "mail.empty_trash": "Vidage de la corbeille",
    "mail.move": "Déplacement de messages",
    "mail.mark": "Marquage de messages",
    "mail.export": "Export de messages",
    "mail.folder_create": "Création d'un dossier",
    "mail.folder_rename": "Renommage d'un dossier",
    "mail.folder_delete": "Suppression d'un dossier",
    "mail.app_password_create": "Création d'un mot de passe d'application",
    "mail.app_password_revoke": "Révocation d'un mot de passe d'application",
    "mail.smtp_login_failed": "Échec de connexion d'un logiciel de messagerie (SMTP)",
    "mail.smtp_lockout": "Blocage SMTP après des échecs de connexion",
    "mail.whitelist_refresh": "Mise à jour de la liste blanche MSSanté",
    # Care coordination.
    "coordination.record_create": "Création d'un dossier usager",
    "coordination.record_read": "Consultation d'un dossier usager",
    "coordination.record_update": "Modification d'un dossier usager",
    "coordination.document_add": "Ajout d'un document au dossier",
    "coordination.document_read": "Consultation d'un document du dossier",
    "coordination.liaison_add": "Ajout d'une note de liaison",
    "coordination.contact_create": "Création d'un contact",
    "coordination.contact_update": "Modification d'un contact",
    "coordination.contact_import": "Import de contacts",
    "coordination.membership_set": "Attribution d'un profil de droits",
    "coordination.membership_remove": "Retrait d'un profil de droits",
    "coordination.profile_create": "Création d'un profil de droits",
    "coordination.profile_update": "Modification d'un profil de droits",
    "coordination.profile_delete": "Suppression d'un profil de droits",
    "coordination.profiles_defaults": "Profils de droits par défaut",
    "coordination.partner_access": "Accès d'un partenaire à un dossier",
    "coordination.partner_attach": "Rattachement d'un partenaire à un dossier",
    "coordination.partner_detach": "Détachement d'un partenaire d'un dossier",
    "coordination.external_create": "Création d'un compte externe",
    "coordination.external_modify": "Modification d'un compte externe",
    "coordination.external_activate": "Activation d'un compte externe",
    "coordination.external_activation_resent": "Renvoi du lien d'activation d'un compte externe",
    "coordination.records_list": "Consultation d'une liste de dossiers usagers",
    "coordination.external_invite": "Invitation d'un partenaire externe",
    "coordination.external_share_accept": "Invitation acceptée par un partenaire externe",
    "coordination.external_suspend": "Suspension de l'accès d'un partenaire externe",
    "coordination.external_restore": "Rétablissement de l'accès d'un partenaire externe",
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
    "reason": "motif",
    "app_passwords": "mots de passe d'application révoqués",
    "api_tokens": "jetons d'API révoqués",
    "browsers": "navigateurs oubliés",
    "count": "nombre",
    "q": "recherche",
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
