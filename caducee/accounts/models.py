"""Mailbox accounts. Columns mirror the stored rows of the field table (accounts/fields.py)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from caducee.accounts.fields import MAILBOX_TYPES


class AccountType(models.TextChoices):
    """The mailbox types; codes and labels come from `accounts.fields.MAILBOX_TYPES`."""

    PER = "PER", MAILBOX_TYPES["PER"].choice_label
    INT = "INT", MAILBOX_TYPES["INT"].choice_label
    ORG = "ORG", MAILBOX_TYPES["ORG"].choice_label
    MED = "MED", MAILBOX_TYPES["MED"].choice_label
    APP = "APP", MAILBOX_TYPES["APP"].choice_label

    @classmethod
    def nominative(cls) -> tuple[str, ...]:
        return (cls.PER, cls.INT, cls.MED)

    @classmethod
    def shared(cls) -> tuple[str, ...]:
        return (cls.ORG, cls.APP)


class AccountState(models.TextChoices):
    PREREGISTERED = "preinscrit", "Préinscrit"
    TO_VALIDATE = "a_valider", "À valider"
    VALID = "valide", "Valide"
    REJECTED = "rejete", "Rejeté"
    DEACTIVATED = "desactive", "Désactivé"
    # A mailbox deleted for inactivity or at the operator's request: the row is kept as a
    # tombstone (export of deleted mailboxes, audit), its messages and directory entry are not.
    DELETED = "supprime", "Supprimé"

    @classmethod
    def closed(cls) -> tuple[str, ...]:
        """States in which a mailbox opens nothing and receives nothing (login refused)."""
        return (cls.DEACTIVATED, cls.DELETED)

    @classmethod
    def not_openable(cls) -> tuple[str, ...]:
        """States in which a shared mailbox cannot be opened by its connection accounts:
        closed, or a self-registration the service centre has not validated (issue #16)."""
        return (*cls.closed(), cls.TO_VALIDATE, cls.REJECTED)


class Account(models.Model):
    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.PROTECT, related_name="accounts"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="account",
    )
    state = models.CharField(max_length=12, choices=AccountState.choices)
    visible = models.BooleanField("visible dans l'annuaire", default=False)
    is_test = models.BooleanField("compte de test MSSanté", default=False)
    default_mailbox = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finalised_at = models.DateTimeField(null=True, blank=True)

    # Activity (issue #15): written at most once a day per mailbox and kind, see
    # accounts/activity.py. The inactivity rule reads the latest of the four.
    last_login_at = models.DateTimeField("dernière connexion", null=True, blank=True)
    last_sent_at = models.DateTimeField("dernier message envoyé", null=True, blank=True)
    last_received_at = models.DateTimeField("dernier message reçu", null=True, blank=True)
    last_read_at = models.DateTimeField("dernier message lu", null=True, blank=True)
    # Non-empty: exempt from deletion for inactivity, for this (audited) reason.
    inactivity_exempt_reason = models.CharField(
        "motif d'exemption d'inactivité", max_length=250, blank=True, default="", db_default=""
    )
    deleted_at = models.DateTimeField("supprimé le", null=True, blank=True)

    # Columns of the field table, in its order.
    email = models.EmailField("adresse mail", max_length=254, unique=True)
    last_name = models.CharField("nom", max_length=150)
    first_name = models.CharField("prénom", max_length=150)
    rpps = models.CharField("RPPS", max_length=11, blank=True)
    adeli = models.CharField("ADELI", max_length=9, blank=True)
    company_name = models.CharField("raison sociale", max_length=200, blank=True)
    service = models.CharField("service de rattachement", max_length=200, blank=True)
    address1 = models.CharField("adresse (1)", max_length=200, blank=True)
    address2 = models.CharField("adresse (2)", max_length=200, blank=True)
    postal_code = models.CharField("code postal", max_length=5, blank=True)
    city = models.CharField("ville", max_length=100, blank=True)
    department = models.CharField("département", max_length=3, blank=True)
    region = models.CharField("région", max_length=2, blank=True)
    phone1 = models.CharField("téléphone (1)", max_length=16, blank=True)
    phone2 = models.CharField("téléphone (2)", max_length=16, blank=True)
    profession = models.CharField("profession", max_length=8, blank=True)
    specialty = models.CharField("spécialité", max_length=8, blank=True)
    diploma = models.CharField("diplôme", max_length=16, blank=True)
    liberal = models.BooleanField("activité libérale", null=True)
    type = models.CharField("type de BAL", max_length=3, choices=AccountType.choices)
    resp_structure_id_type = models.CharField(max_length=6, blank=True)
    resp_structure_id = models.CharField(max_length=14, blank=True)
    return_address = models.CharField(max_length=200, blank=True)
    resp_last_name = models.CharField(max_length=150, blank=True)
    resp_first_name = models.CharField(max_length=150, blank=True)
    resp_profession = models.CharField(max_length=8, blank=True)
    resp_identifier = models.CharField(max_length=11, blank=True)
    description = models.CharField(max_length=250, blank=True)
    civility = models.CharField(max_length=2, blank=True)
    mssante_particle = models.CharField(max_length=64, blank=True)
    apicrypt_address = models.CharField(max_length=64, blank=True)
    apicrypt_specialty = models.CharField(max_length=100, blank=True)
    expiry_date = models.DateField(null=True, blank=True)
    alias = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["email"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["structure", "email"]),
            models.Index(fields=["structure", "state", "email"]),
            models.Index(fields=["structure", "type", "email"]),
            models.Index(fields=["structure", "last_name"]),
            # « Expire bientôt »: its count on every list page reads only the accounts that
            # expire by then, never the whole structure (issue #19). Partial: only a query
            # on the expiry date can use it (with every row in it, SQLite chose it for the
            # plain list, then sorted 200,000 accounts by email).
            models.Index(
                fields=["structure", "expiry_date", "state"],
                condition=models.Q(expiry_date__isnull=False),
                name="account_expiry",
            ),
            models.Index(fields=["rpps"]),
            models.Index(fields=["adeli"]),
            models.Index(fields=["mssante_particle"]),  # uniqueness of MSSanté addresses
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_nominative(self) -> bool:
        return self.type in AccountType.nominative()

    @property
    def is_shared(self) -> bool:
        return self.type in AccountType.shared()

    @property
    def is_preregistered(self) -> bool:
        return self.state == AccountState.PREREGISTERED

    @property
    def is_deactivated(self) -> bool:
        return self.state == AccountState.DEACTIVATED

    @property
    def is_deleted(self) -> bool:
        return self.state == AccountState.DELETED

    @property
    def is_med(self) -> bool:
        """A MED mailbox: no MSSanté address, absent from the national directory."""
        return self.type == AccountType.MED

    @property
    def display_name(self) -> str:
        if self.is_shared and self.description:
            return self.description
        return f"{self.last_name} {self.first_name}".strip()


class ConnectionLink(models.Model):
    """A nominative account allowed to open a shared (ORG/APP) mailbox."""

    mailbox = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="connection_links")
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="mailbox_links")
    notify_on_receipt = models.BooleanField("notification de réception", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["mailbox", "account"], name="one_connection_link")
        ]


class DelegationRight(models.TextChoices):
    """What a delegate may do in the delegating mailbox (docs/ACCOUNTS.md, « Comptes
    délégués »); the capabilities of each right are `accounts.delegation_rights.ALLOWS`."""

    READ = "lecture", "Lecture"
    REPLY = "reponse", "Lecture et réponse pour le compte de"


class Delegation(models.Model):
    """A delegate account given access to another account (seed 004), with one right."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="delegations")
    delegate = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="delegated_to")
    right = models.CharField(
        "droits du délégué",
        max_length=10,
        choices=DelegationRight.choices,
        default=DelegationRight.READ,
        db_default=DelegationRight.READ.value,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["account", "delegate"], name="one_delegation")
        ]

    @property
    def right_text(self) -> str:
        """The right as the console and the webmail say it (« … pour le compte de X »)."""
        return right_text(self.right, self.account)


class EmailChangeRequest(models.Model):
    """A change of a mailbox's address, applied when the new address confirms it."""

    class Status(models.TextChoices):
        PENDING = "pending", "En attente de confirmation"
        DONE = "done", "Confirmée"
        CANCELLED = "cancelled", "Annulée"
        # A pending request whose link expired, closed when a new request replaces it.
        EXPIRED = "expired", "Expirée"

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="email_changes")
    new_email = models.EmailField(max_length=254)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField(auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The confirmation link sent to the new address: only its hash is kept.
    token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    @property
    def is_expired(self) -> bool:
        from django.utils import timezone

        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def state(self) -> str:
        """The state shown in « Demandes de changement de mail »: a pending request whose
        link expired is « Expirée » (it can still be resent or cancelled)."""
        if self.status == self.Status.PENDING and self.is_expired:
            return self.Status.EXPIRED.value
        return str(self.status)

    @property
    def state_label(self) -> str:
        if self.status == self.Status.PENDING and not self.is_expired:
            return "En attente"
        return str(self.Status(self.state).label)

    @property
    def by_self(self) -> bool:
        """Asked by the mailbox's own person (« Mon adresse mail »), not by an admin."""
        return self.requested_by_id is not None and self.requested_by_id == self.account.user_id


def right_text(right: str, account: Account) -> str:
    """« Lecture », or « Lecture et réponse pour le compte de <name of the account> »."""
    label = str(DelegationRight(right).label)
    if right == DelegationRight.REPLY:
        return f"{label} {account.display_name or account.email}"
    return label


class ColleagueProposal(models.Model):
    """A colleague proposed as connection account of an ORG mailbox by one of its users
    (accounts/colleagues.py); the structure's admins approve or refuse it."""

    class Status(models.TextChoices):
        PENDING = "pending", "En attente de validation"
        APPROVED = "approved", "Validée"
        REFUSED = "refused", "Refusée"
        ADDED = "added", "Ajouté sans validation"

    mailbox = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    colleague = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_by_email = models.EmailField(max_length=254)  # kept if the person goes
    proposed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField("motif du refus", max_length=250, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-proposed_at", "-pk"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["mailbox", "colleague"],
                condition=models.Q(status="pending"),
                name="one_pending_colleague_proposal",
            )
        ]


class AccountStateCount(models.Model):
    """How many accounts of a structure are in each state, kept by database triggers
    (migration accounts 0008) on every insert, delete and change of state or structure,
    whatever writes them (ORM, bulk import, COPY): the console's counters read a handful
    of rows instead of counting 200,000 accounts on every page (issue #19, point 2).

    Never written by the application; `structure_id` is a plain number (no foreign key)
    so that the triggers never depend on the order rows are deleted in."""

    structure_id = models.BigIntegerField()
    state = models.CharField(max_length=12)
    total = models.BigIntegerField(default=0)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["structure_id", "state"], name="one_state_count")
        ]
