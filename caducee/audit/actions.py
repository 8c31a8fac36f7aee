"""Every audit action code, and its French label (« Journal d'audit »), in one table.

Operations record events with `record_event(ctx, AuditAction.ACCOUNT_CREATE, …)`: a mistyped
code is a type error, and a new action cannot be added without its French label. The
stored value is the dotted code (`account.create`): the journal, its exports and the
hash chain keep plain strings, so older events stay readable.
"""

from __future__ import annotations

from django.db import models


class AuditAction(models.TextChoices):
    PLATFORM_SETUP = "platform.setup", "Installation de la plateforme (premier opérateur)"
    STRUCTURE_CREATE = "structure.create", "Création de la structure"
    STRUCTURE_UPDATE = "structure.update", "Modification de la structure"
    STRUCTURE_ADMIN_ADD = "structure.admin_add", "Nomination d'un administrateur"
    STRUCTURE_ADMIN_REMOVE = "structure.admin_remove", "Retrait d'un administrateur"
    ACCOUNT_CREATE = "account.create", "Création du compte"
    ACCOUNT_UPDATE = "account.update", "Modification du compte"
    ACCOUNT_CHANGE_TYPE = "account.change_type", "Changement du type de BAL"
    ACCOUNT_DEACTIVATE = "account.deactivate", "Désactivation du compte"
    ACCOUNT_REACTIVATE = "account.reactivate", "Réactivation du compte"
    ACCOUNT_CONNECTION_ADD = "account.connection_add", "Ajout d'un compte de connexion"
    ACCOUNT_CONNECTION_REMOVE = "account.connection_remove", "Retrait d'un compte de connexion"
    ACCOUNT_DEFAULT_MAILBOX = "account.default_mailbox", "Choix du compte par défaut"
    ACCOUNT_RECEIPT_NOTIFICATION = (
        "account.receipt_notification",
        "Notification de réception vers le compte de connexion",
    )
    ACCOUNT_DELEGATE_ADD = "account.delegate_add", "Ajout d'un délégué"
    ACCOUNT_DELEGATE_REMOVE = "account.delegate_remove", "Retrait d'un délégué"
    ACCOUNT_EMAIL_CHANGE_REQUEST = "account.email_change_request", "Demande de changement de mail"
    ACCOUNT_EMAIL_CHANGE_CANCEL = (
        "account.email_change_cancel",
        "Annulation d'une demande de changement de mail",
    )
    ACCOUNT_EMAIL_CHANGE_APPLY = "account.email_change_apply", "Changement de mail appliqué"
    ACCOUNT_LIST_READ = "account.list_read", "Lecture en masse des comptes (API)"
    ACCOUNT_EMAIL_CHANGE_RESEND = (
        "account.email_change_resend",
        "Renvoi du lien de confirmation d'un changement de mail",
    )
    ACCOUNT_EMAIL_CHANGE_CONFIRM = (
        "account.email_change_confirm",
        "Changement de mail confirmé depuis la nouvelle adresse",
    )
    IDENTITY_PASSWORD_LINK = "identity.password_link", "Envoi d'un lien de choix du mot de passe"
    IDENTITY_PASSWORD_SET = "identity.password_set", "Choix du mot de passe"
    IDENTITY_INVITATION_SENT = (
        "identity.invitation_sent",
        "Envoi du mail de finalisation d'inscription",
    )
    API_TOKEN_CREATE = "api.token_create", "Création d'un jeton d'API"
    API_TOKEN_REVOKE = "api.token_revoke", "Révocation d'un jeton d'API"
    API_TOKEN_FAILED = "api.token_failed", "Jeton d'API refusé (premier échec de la période)"
    API_TOKEN_LOCKOUT = (
        "api.token_lockout",
        "Blocage d'une adresse IP après des jetons d'API refusés",
    )
    AUDIT_CHAIN_KEYED = "audit.chain_keyed", "Passage au journal signé (clé d'audit)"
    AUDIT_CHAINS_SPLIT = "audit.chains_split", "Passage à une chaîne d'audit par structure"
    # Identity: logins, codes, passwords, browsers, mailbox switches.
    IDENTITY_LOGIN = "identity.login", "Connexion"
    IDENTITY_LOGIN_FAILED = "identity.login_failed", "Échec de connexion"
    IDENTITY_LOGOUT = "identity.logout", "Déconnexion"
    IDENTITY_LOGOUT_EVERYWHERE = "identity.logout_everywhere", "Déconnexion de tous les appareils"
    IDENTITY_ACCESS_REVOKED = (
        "identity.access_revoked",
        "Révocation des accès (sessions, mots de passe d'application, jetons d'API, navigateurs)",
    )
    IDENTITY_TOTP_RESET = "identity.totp_reset", "Réinitialisation du second facteur"
    IDENTITY_LOCKOUT = "identity.lockout", "Blocage de l'identifiant après des échecs"
    IDENTITY_UNLOCK = "identity.unlock", "Déblocage de l'identifiant"
    IDENTITY_CODE_SENT = "identity.code_sent", "Envoi d'un code à usage unique"
    IDENTITY_BROWSER_REMEMBERED = (
        "identity.browser_remembered",
        "Navigateur de confiance enregistré",
    )
    IDENTITY_BROWSER_REVOKED = "identity.browser_revoked", "Navigateur de confiance retiré"
    IDENTITY_CGU_ACCEPTED = (
        "identity.cgu_accepted",
        "Acceptation des conditions générales d'utilisation",
    )
    IDENTITY_FINALISE = "identity.finalise", "Finalisation de l'inscription"
    IDENTITY_PASSWORD_CHANGED = "identity.password_changed", "Changement du mot de passe"
    IDENTITY_PASSWORD_RESET = "identity.password_reset", "Réinitialisation du mot de passe"
    IDENTITY_PASSWORD_RESET_REQUESTED = (
        "identity.password_reset_requested",
        "Demande de réinitialisation du mot de passe",
    )
    IDENTITY_RESET_LINK = "identity.reset_link", "Envoi d'un lien de réinitialisation"
    IDENTITY_REMINDER = "identity.reminder", "Relance des utilisateurs préinscrits"
    IDENTITY_SWITCH_MAILBOX = "identity.switch_mailbox", "Changement de boîte utilisée"
    IDENTITY_TOTP_ENABLED = (
        "identity.totp_enabled",
        "Activation de l'application d'authentification",
    )
    IDENTITY_TOTP_DISABLED = (
        "identity.totp_disabled",
        "Désactivation de l'application d'authentification",
    )
    # Loaduser import and export.
    LOADUSERS_UPLOAD = "loadusers.upload", "Dépôt d'un fichier d'import d'utilisateurs"
    LOADUSERS_IMPORT = "loadusers.import", "Import d'une liste d'utilisateurs"
    LOADUSERS_EXPORT = "loadusers.export", "Export de la liste d'utilisateurs"
    EXPORT_REQUEST = "export.request", "Demande d'un export en arrière-plan"
    EXPORT_DOWNLOAD = "export.download", "Téléchargement d'un export préparé en arrière-plan"
    # Directory and MSSanté addresses.
    DIRECTORY_ADDRESS_ASSIGN = "directory.address_assign", "Attribution d'une adresse MSSanté"
    DIRECTORY_ADDRESS_REMOVE = "directory.address_remove", "Retrait d'une adresse MSSanté"
    DIRECTORY_DEMATERIALISATION = "directory.dematerialisation", "Changement de dématérialisation"
    DIRECTORY_EXPORT = "directory.export", "Export de l'annuaire"
    DIRECTORY_PUSH = "directory.push", "Publication dans l'annuaire national"
    DIRECTORY_PUSH_REQUEST = (
        "directory.push_request",
        "Demande de publication dans l'annuaire national",
    )
    DIRECTORY_QUOTA = "directory.quota", "Changement des quotas de comptes"
    DIRECTORY_RED_LIST = "directory.red_list", "Changement de liste rouge"
    # Webmail.
    MAIL_SEND = "mail.send", "Envoi d'un message"
    MAIL_READ = "mail.read", "Lecture d'un message"
    MAIL_DRAFT_SAVE = "mail.draft_save", "Enregistrement d'un brouillon"
    MAIL_DELETE = "mail.delete", "Suppression de messages"
    MAIL_EMPTY_TRASH = "mail.empty_trash", "Vidage de la corbeille"
    MAIL_MOVE = "mail.move", "Déplacement de messages"
    MAIL_MARK = "mail.mark", "Marquage de messages"
    MAIL_EXPORT = "mail.export", "Export de messages"
    MAIL_FOLDER_CREATE = "mail.folder_create", "Création d'un dossier"
    MAIL_FOLDER_RENAME = "mail.folder_rename", "Renommage d'un dossier"
    MAIL_FOLDER_DELETE = "mail.folder_delete", "Suppression d'un dossier"
    MAIL_APP_PASSWORD_CREATE = (
        "mail.app_password_create",
        "Création d'un mot de passe d'application",
    )
    MAIL_APP_PASSWORD_REVOKE = (
        "mail.app_password_revoke",
        "Révocation d'un mot de passe d'application",
    )
    MAIL_SMTP_LOGIN_FAILED = (
        "mail.smtp_login_failed",
        "Échec de connexion d'un logiciel de messagerie (SMTP)",
    )
    MAIL_SMTP_LOCKOUT = "mail.smtp_lockout", "Blocage SMTP après des échecs de connexion"
    # Issue #18: IMAP (mail clients reading the mailbox).
    MAIL_COPY = "mail.copy", "Copie de messages"
    MAIL_APPEND = "mail.append", "Dépôt d'un message par un logiciel de messagerie"
    MAIL_IMAP_LOGIN = "mail.imap_login", "Connexion IMAP à une boîte partagée"
    MAIL_IMAP_LOGIN_FAILED = (
        "mail.imap_login_failed",
        "Échec de connexion d'un logiciel de messagerie (IMAP)",
    )
    MAIL_WHITELIST_REFRESH = "mail.whitelist_refresh", "Mise à jour de la liste blanche MSSanté"
    # Issue #18: automatic replies.
    MAIL_AUTOREPLY_UPDATE = "mail.autoreply_update", "Modification de la réponse automatique"
    MAIL_AUTOREPLY_SEND = "mail.autoreply_send", "Envoi d'une réponse automatique"
    # Care coordination.
    COORDINATION_RECORD_CREATE = "coordination.record_create", "Création d'un dossier usager"
    COORDINATION_RECORD_READ = "coordination.record_read", "Consultation d'un dossier usager"
    COORDINATION_RECORD_UPDATE = "coordination.record_update", "Modification d'un dossier usager"
    COORDINATION_DOCUMENT_ADD = "coordination.document_add", "Ajout d'un document au dossier"
    COORDINATION_DOCUMENT_READ = (
        "coordination.document_read",
        "Consultation d'un document du dossier",
    )
    COORDINATION_LIAISON_ADD = "coordination.liaison_add", "Ajout d'une note de liaison"
    COORDINATION_CONTACT_CREATE = "coordination.contact_create", "Création d'un contact"
    COORDINATION_CONTACT_UPDATE = "coordination.contact_update", "Modification d'un contact"
    COORDINATION_CONTACT_IMPORT = "coordination.contact_import", "Import de contacts"
    COORDINATION_MEMBERSHIP_SET = "coordination.membership_set", "Attribution d'un profil de droits"
    COORDINATION_MEMBERSHIP_REMOVE = (
        "coordination.membership_remove",
        "Retrait d'un profil de droits",
    )
    COORDINATION_PROFILE_CREATE = "coordination.profile_create", "Création d'un profil de droits"
    COORDINATION_PROFILE_UPDATE = (
        "coordination.profile_update",
        "Modification d'un profil de droits",
    )
    COORDINATION_PROFILE_DELETE = "coordination.profile_delete", "Suppression d'un profil de droits"
    COORDINATION_PROFILES_DEFAULTS = (
        "coordination.profiles_defaults",
        "Profils de droits par défaut",
    )
    COORDINATION_PARTNER_ACCESS = (
        "coordination.partner_access",
        "Accès d'un partenaire à un dossier",
    )
    COORDINATION_PARTNER_ATTACH = (
        "coordination.partner_attach",
        "Rattachement d'un partenaire à un dossier",
    )
    COORDINATION_PARTNER_DETACH = (
        "coordination.partner_detach",
        "Détachement d'un partenaire d'un dossier",
    )
    COORDINATION_EXTERNAL_CREATE = "coordination.external_create", "Création d'un compte externe"
    COORDINATION_EXTERNAL_MODIFY = (
        "coordination.external_modify",
        "Modification d'un compte externe",
    )
    COORDINATION_EXTERNAL_ACTIVATE = (
        "coordination.external_activate",
        "Activation d'un compte externe",
    )
    COORDINATION_EXTERNAL_ACTIVATION_RESENT = (
        "coordination.external_activation_resent",
        "Renvoi du lien d'activation d'un compte externe",
    )
    COORDINATION_RECORDS_LIST = (
        "coordination.records_list",
        "Consultation d'une liste de dossiers usagers",
    )
    COORDINATION_EXTERNAL_INVITE = (
        "coordination.external_invite",
        "Invitation d'un partenaire externe",
    )
    COORDINATION_EXTERNAL_SHARE_ACCEPT = (
        "coordination.external_share_accept",
        "Invitation acceptée par un partenaire externe",
    )
    COORDINATION_EXTERNAL_SUSPEND = (
        "coordination.external_suspend",
        "Suspension de l'accès d'un partenaire externe",
    )
    COORDINATION_EXTERNAL_RESTORE = (
        "coordination.external_restore",
        "Rétablissement de l'accès d'un partenaire externe",
    )
    ACCOUNT_MOVE_OUT = (
        "account.move_out",
        "Départ du compte vers une autre structure",
    )
    ACCOUNT_MOVE_IN = (
        "account.move_in",
        "Arrivée du compte depuis une autre structure",
    )
    # Delegates (issue #15, point 7).
    ACCOUNT_DELEGATE_RIGHT = "account.delegate_right", "Changement des droits d'un délégué"
    # Issue #15 point 8: colleagues proposed on an ORG mailbox by its users (selfservice).
    ACCOUNT_COLLEAGUE_PROPOSE = (
        "account.colleague_propose",
        "Proposition d'un collègue comme compte de connexion",
    )
    ACCOUNT_COLLEAGUE_ADD = (
        "account.colleague_add",
        "Ajout d'un collègue comme compte de connexion (sans validation)",
    )
    ACCOUNT_COLLEAGUE_APPROVE = "account.colleague_approve", "Validation d'un collègue proposé"
    ACCOUNT_COLLEAGUE_REFUSE = "account.colleague_refuse", "Refus d'un collègue proposé"
    STRUCTURE_COLLEAGUE_POLICY = (
        "structure.colleague_policy",
        "Ajout de collègues sans validation sur les BAL organisationnelles",
    )
    # Account lifecycle (issue #15: expiry, inactivity), caducee/lifecycle.
    ACCOUNT_EXPIRE = ("account.expire", "Désactivation d'un compte à sa date de péremption")
    ACCOUNT_LIFECYCLE_WARNING = (
        "account.lifecycle_warning",
        "Avertissement de péremption ou d'inactivité envoyé",
    )
    ACCOUNT_DELETE = ("account.delete", "Suppression d'une BAL pour inactivité")
    ACCOUNT_INACTIVITY_EXEMPT = (
        "account.inactivity_exempt",
        "Exemption de suppression pour inactivité",
    )
    ACCOUNT_INACTIVITY_EXEMPT_REMOVE = (
        "account.inactivity_exempt_remove",
        "Fin d'une exemption de suppression pour inactivité",
    )
    ACCOUNT_INACTIVE_EXPORT = (
        "account.inactive_export",
        "Export des comptes inactifs supprimés ou bientôt supprimés",
    )
    LIFECYCLE_RUN = ("lifecycle.run", "Passage des règles de cycle de vie des comptes")
    IDENTITY_PSC_REFUSED = (
        "identity.psc_refused",
        "Connexion Pro Santé Connect refusée",
    )
    # Login codes by SMS (issue #17 point 4), identity/operations/sms_setup.py.
    IDENTITY_SMS_SETUP_SENT = (
        "identity.sms_setup_sent",
        "Envoi d'un code de confirmation du mobile par SMS",
    )
    IDENTITY_SMS_ENABLED = "identity.sms_enabled", "Activation des codes de connexion par SMS"
    IDENTITY_SMS_DISABLED = "identity.sms_disabled", "Retrait des codes de connexion par SMS"
    # Client certificates at login (issue #17), caducee/identity/certificates.
    IDENTITY_CERTIFICATE_ISSUE = (
        "identity.certificate.issue",
        "Délivrance d'un certificat de connexion (partenaire externe)",
    )
    IDENTITY_CERTIFICATE_DOWNLOAD = (
        "identity.certificate.download",
        "Téléchargement d'un certificat de connexion",
    )
    IDENTITY_CERTIFICATE_REVOKE = (
        "identity.certificate.revoke",
        "Révocation d'un certificat de connexion",
    )
    IDENTITY_CPS_REFUSED = ("identity.cps_refused", "Connexion par carte CPS refusée")
    # Shared MSSanté domains of the platform (issue #16, point 4), structures/domains.py.
    DOMAIN_DECLARE = ("domain.declare", "Déclaration d'un domaine MSSanté de la plateforme")
    # Public RPPS extraction (issue #16, item 5), caducee/referentials.
    REFERENTIALS_RPPS_IMPORT = (
        "referentials.rpps_import",
        "Chargement de l'extraction RPPS de l'annuaire santé",
    )
    # « Demande de raccordement » (issue #16, point 6), caducee/onboarding.
    ONBOARDING_REQUEST = ("onboarding.request", "Demande de raccordement reçue")
    ONBOARDING_TAKE = ("onboarding.take", "Prise en charge d'une demande de raccordement")
    ONBOARDING_ANSWER = ("onboarding.answer", "Réponse à une demande de raccordement")
    ONBOARDING_STRUCTURE = (
        "onboarding.structure",
        "Structure créée depuis une demande de raccordement",
    )
    # National MSSanté directory of the other operators (issue #18, point 3), caducee/directory.
    DIRECTORY_NATIONAL_IMPORT = (
        "directory.national_import",
        "Chargement de l'annuaire national MSSanté (autres opérateurs)",
    )
    # Self-registration (issue #16, points 1-3, 5, 7), caducee/registration.
    REGISTRATION_CODE_SENT = (
        "registration.code_sent",
        "Inscription : envoi d'un code de vérification de l'adresse",
    )
    REGISTRATION_CODE_FAILED = (
        "registration.code_failed",
        "Inscription : code de vérification de l'adresse refusé",
    )
    REGISTRATION_SUBMIT = "registration.submit", "Inscription : demande de création de compte"
    REGISTRATION_VALIDATE = "registration.validate", "Inscription : demande validée"
    REGISTRATION_REJECT = "registration.reject", "Inscription : demande rejetée"
    REGISTRATION_CORRECTION_REQUEST = (
        "registration.correction_request",
        "Inscription : correction demandée au demandeur",
    )
    REGISTRATION_CORRECT = "registration.correct", "Inscription : demande corrigée par le demandeur"
    REGISTRATION_CENTRE_MEMBER = (
        "registration.centre_member",
        "Centre de services : membre ajouté ou retiré",
    )
