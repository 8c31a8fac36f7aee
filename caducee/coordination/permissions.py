"""The coordination permissions and the default rights profiles (data, not code paths)."""

from __future__ import annotations

from dataclasses import dataclass

RECORD_READ = "record.read"
RECORD_CREATE = "record.create"
LIAISON_READ = "liaison.read"
LIAISON_WRITE = "liaison.write"
DOCUMENT_ADD = "document.add"
CONTACT_MANAGE = "contact.manage"
PARTNER_MANAGE = "partner.manage"
EXTERNAL_CREATE = "external.create"
EXTERNAL_MODIFY = "external.modify"

# Code → French label shown in the console, in display order.
PERMISSIONS: dict[str, str] = {
    RECORD_READ: "Consulter les dossiers usagers et leurs documents",
    RECORD_CREATE: "Créer et modifier les dossiers usagers",
    LIAISON_READ: "Lire le cahier de liaison",
    LIAISON_WRITE: "Écrire dans le cahier de liaison",
    DOCUMENT_ADD: "Ajouter des documents",
    CONTACT_MANAGE: "Gérer l'annuaire des contacts",
    PARTNER_MANAGE: "Rattacher, détacher les partenaires et gérer leurs accès",
    EXTERNAL_CREATE: "Créer un compte externe",
    EXTERNAL_MODIFY: "Modifier un compte externe",
}

# The most an external partner may ever hold, whatever its profile says.
EXTERNAL_ALLOWED: frozenset[str] = frozenset(
    {RECORD_READ, LIAISON_READ, LIAISON_WRITE, DOCUMENT_ADD}
)

# A structure administrator holds no coordination permission by their role alone: like
# everyone, they act on records with the profile they hold in the structure (seed 000 §3.1
# "administrateur ou non disposant des droits", §4.1 the right to modify). Their role lets
# them manage profiles and rights, and create external accounts manually (§4.1).


class ProfileKind:
    INTERNAL = "interne"
    EXTERNAL = "externe"
    CHOICES = ((INTERNAL, "Utilisateur interne"), (EXTERNAL, "Partenaire externe"))


@dataclass(frozen=True)
class DefaultProfile:
    name: str
    kind: str
    permissions: tuple[str, ...]


DEFAULT_PROFILES: tuple[DefaultProfile, ...] = (
    DefaultProfile("Coordinateur interne", ProfileKind.INTERNAL, tuple(PERMISSIONS)),
    DefaultProfile("Lecteur interne", ProfileKind.INTERNAL, (RECORD_READ, LIAISON_READ)),
    DefaultProfile(
        "Partenaire externe lecture seule", ProfileKind.EXTERNAL, (RECORD_READ, LIAISON_READ)
    ),
    DefaultProfile(
        "Partenaire externe contributeur",
        ProfileKind.EXTERNAL,
        (RECORD_READ, LIAISON_READ, LIAISON_WRITE, DOCUMENT_ADD),
    ),
)
