"""Dossiers usagers, their liaison log, documents and partners; external partner accounts."""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models

from caducee.coordination.permissions import PERMISSIONS, ProfileKind


class RightsProfile(models.Model):
    """A named set of coordination permissions, owned by a structure."""

    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.CASCADE, related_name="rights_profiles"
    )
    name = models.CharField("nom", max_length=100)
    kind = models.CharField("pour", max_length=8, choices=ProfileKind.CHOICES)
    permissions = models.JSONField("droits", default=list)
    is_default = models.BooleanField("profil fourni par défaut", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["kind", "name"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["structure", "name"], name="one_profile_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_external(self) -> bool:
        return self.kind == ProfileKind.EXTERNAL

    @property
    def permission_set(self) -> frozenset[str]:
        return frozenset(p for p in self.permissions if p in PERMISSIONS)

    @property
    def permission_labels(self) -> list[str]:
        return [label for code, label in PERMISSIONS.items() if code in self.permission_set]


class Membership(models.Model):
    """An internal person working in a structure, with the rights profile they hold there."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coordination_roles"
    )
    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.CASCADE, related_name="coordination_members"
    )
    profile = models.ForeignKey(RightsProfile, on_delete=models.PROTECT, related_name="members")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["user", "structure"], name="one_membership")
        ]


class Record(models.Model):
    """A dossier usager: a person followed by a structure."""

    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.PROTECT, related_name="records"
    )
    last_name = models.CharField("nom", max_length=150)
    birth_name = models.CharField("nom de naissance", max_length=150, blank=True)
    first_name = models.CharField("prénom", max_length=150)
    birth_date = models.DateField("date de naissance")
    address = models.CharField("adresse", max_length=250, blank=True)
    postal_code = models.CharField("code postal", max_length=5, blank=True)
    city = models.CharField("ville", max_length=100, blank=True)
    phone = models.CharField("téléphone", max_length=16, blank=True)
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="followed_records",
        verbose_name="équipe de suivi",
    )
    notes = models.TextField("informations utiles", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["last_name", "first_name", "pk"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["structure", "last_name", "first_name"])
        ]

    def __str__(self) -> str:
        return f"{self.last_name} {self.first_name}"

    @property
    def display_name(self) -> str:
        return str(self)


class LiaisonEntry(models.Model):
    """One dated entry of the cahier de liaison; entries are never edited nor deleted."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="liaison_entries")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    author_label = models.CharField("auteur", max_length=254)
    occurred_on = models.DateField("date")
    text = models.TextField("texte")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-occurred_on", "-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.occurred_on} — {self.author_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ValueError("Une entrée du cahier de liaison ne peut pas être modifiée.")
        super().save(*args, **kwargs)


class RecordDocument(models.Model):
    """A file attached to a record, stored under CADUCEE_HOME/files with a generated name."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="documents")
    title = models.CharField("titre", max_length=200)
    original_name = models.CharField("nom du fichier", max_length=255)
    stored_name = models.CharField(max_length=255, unique=True)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField("taille")
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_by_label = models.CharField("ajouté par", max_length=254)
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-uploaded_at", "-pk"]

    def __str__(self) -> str:
        return self.title


class Contact(models.Model):
    """A person or service the structure works with, in its own coordination directory
    (seed 000's « WiggWam »): a partner is attached to a record from these contacts."""

    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.CASCADE, related_name="contacts"
    )
    last_name = models.CharField("nom", max_length=150)
    first_name = models.CharField("prénom", max_length=150, blank=True)
    profession = models.CharField("profession", max_length=150, blank=True)
    organisation = models.CharField("organisation", max_length=200, blank=True)
    phone = models.CharField("téléphone", max_length=16, blank=True)
    email = models.EmailField("adresse mail", max_length=254, blank=True)
    directory_account = models.ForeignKey(
        "accounts.Account",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="fiche de l'annuaire régional",
    )
    external_account = models.ForeignKey(
        "coordination.ExternalAccount",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contacts",
    )
    # When an external account was requested for this contact and its address could not
    # receive one (it is another person's login): the partner row reads "not yet logged in"
    # as for any invitation, and the address owner is told by email (no cross-tenant oracle).
    invited_at = models.DateTimeField("invitation envoyée le", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["last_name", "first_name", "pk"]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["structure", "last_name"])]

    def __str__(self) -> str:
        return f"{self.last_name} {self.first_name}".strip()

    @property
    def display_name(self) -> str:
        return str(self)

    @property
    def shared_external(self) -> ExternalAccount | None:
        """The linked external account, if this contact's structure created it or accepted it
        (the partner took its invitation). Otherwise None: pages of the structure must not
        tell that the address has an account elsewhere."""
        external = self.external_account
        if external is None:
            return None
        if external.owner_structure_id == self.structure_id:
            return external
        accepted = ExternalGrant.objects.filter(
            structure_id=self.structure_id, external=external, accepted_at__isnull=False
        ).exists()
        return external if accepted else None


class ContactType(models.TextChoices):
    GP = "medecin_traitant", "Médecin traitant"
    SPECIALIST = "medecin_specialiste", "Médecin spécialiste"
    PHARMACIST = "pharmacien", "Pharmacien"
    NURSE = "infirmier", "Infirmier"
    PHYSIO = "kinesitherapeute", "Masseur-kinésithérapeute"
    SOCIAL = "travailleur_social", "Travailleur social"
    HOME_HELP = "aide_domicile", "Service d'aide à domicile"
    CAREGIVER = "aidant", "Aidant, famille"
    OTHER = "autre", "Autre"


class Partner(models.Model):
    """A directory contact in a record's partner list; access_enabled opens the record."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="partners")
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="partnerships")
    contact_type = models.CharField("type de contact", max_length=24, choices=ContactType.choices)
    access_enabled = models.BooleanField("accès au dossier", default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["contact__last_name", "contact__first_name", "pk"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["record", "contact"], name="one_partner_per_contact")
        ]


class ExternalStatus(models.TextChoices):
    PENDING = "en_attente", "Pas encore connecté"
    ACTIVE = "actif", "Compte actif"
    SUSPENDED = "suspendu", "Compte désactivé"


class ExternalAccount(models.Model):
    """The sealed account of an outside partner (GP, pharmacist, social worker…)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="external_account"
    )
    identifier = models.CharField("identifiant", max_length=50, unique=True)
    home_structure = models.ForeignKey(
        "structures.Structure",
        on_delete=models.PROTECT,
        related_name="external_accounts",
        verbose_name="structure de rattachement",
    )
    owner_structure = models.ForeignKey(
        "structures.Structure",
        on_delete=models.PROTECT,
        related_name="created_external_accounts",
        verbose_name="structure qui a créé le compte",
    )
    profile = models.ForeignKey(
        RightsProfile, on_delete=models.PROTECT, related_name="external_accounts"
    )
    status = models.CharField(max_length=12, choices=ExternalStatus.choices)
    origin = models.CharField(max_length=10, default="auto")  # auto (§3.1) or manual (§4.1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["identifier"]

    def __str__(self) -> str:
        return self.identifier

    @property
    def is_active(self) -> bool:
        return self.status == ExternalStatus.ACTIVE


class ExternalGrant(models.Model):
    """What one structure decided about an external account, for its own records only.

    The structure that created the account needs no row to open its records to it: a row
    for it only records a suspension. Any other structure opens its records to the account
    only through an accepted row: its coordinator invited the existing account from one of
    its contacts, choosing the profile that applies to its records, and the partner accepted
    (or its administrator chose it as the account's home structure). A structure suspends the
    account for its own records with `suspended_at`; nothing else of the account changes.
    """

    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.CASCADE, related_name="external_grants"
    )
    external = models.ForeignKey(ExternalAccount, on_delete=models.CASCADE, related_name="grants")
    # The structure's own external profile for its records; None: the account's profile.
    profile = models.ForeignKey(
        RightsProfile,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="external_grants",
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited_at = models.DateTimeField(auto_now_add=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    suspended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["structure", "external"], name="one_grant_per_structure"
            )
        ]

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None
