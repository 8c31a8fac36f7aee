"""Audit events: who (the physical person), as which mailbox, did what, to what, when."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models


class AppendOnlyError(Exception):
    """Audit events are never changed nor deleted."""


class AuditEvent(models.Model):
    seq = models.PositiveBigIntegerField("numéro", unique=True)
    created_at = models.DateTimeField("date")
    actor = models.ForeignKey(
        "people.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField("auteur", max_length=254)
    acting_as = models.CharField("boîte utilisée", max_length=254, blank=True)
    channel = models.CharField("canal", max_length=16)
    ip = models.GenericIPAddressField("adresse IP", null=True, blank=True)
    structure = models.ForeignKey(
        "structures.Structure", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField("action", max_length=64)
    target_type = models.CharField(max_length=32, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField("cible", max_length=254, blank=True)
    detail = models.JSONField(default=dict)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # How `hash` was computed (caducee/audit/chain.py): NULL for the plain SHA-256 of events
    # written before the chain was keyed, 1 for HMAC-SHA256 with the audit key.
    key_version = models.PositiveSmallIntegerField(null=True, blank=True)
    # Which chain the event belongs to (caducee/audit/chains.py): the structure's id, 0 for
    # the platform chain, NULL for the single global chain of events written before
    # migration 0004_rt_audit_chains. `chain_seq` is its position in that chain (1, 2, …).
    chain = models.PositiveBigIntegerField(null=True, blank=True)
    chain_seq = models.PositiveBigIntegerField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["seq"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["structure", "-seq"]),
            models.Index(fields=["target_type", "target_id"]),
        ]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            # Partial, so that SQLite adds it as an index (no table rebuild: the
            # append-only triggers stay) and the older events (chain NULL) are left out.
            models.UniqueConstraint(
                fields=["chain", "chain_seq"],
                condition=models.Q(chain__isnull=False),
                name="audit_event_chain_position",
            ),
        ]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("Un événement d'audit ne peut pas être modifié.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Un événement d'audit ne peut pas être supprimé.")


class AuditHead(models.Model):
    """The last event of the single global chain written before migration 0004 (frozen
    since: new events go to per-structure chains, whose heads are `AuditChainHead`)."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)


class AuditChainHead(models.Model):
    """The last event of one chain, so that deleting its newest events is detected too.

    One row per chain (structure id, 0 for the platform), created with the chain's first
    event. Locking it serialises the audited actions of that chain only.
    """

    chain = models.PositiveBigIntegerField(primary_key=True)
    length = models.PositiveBigIntegerField(default=0)  # chain_seq of the last event
    seq = models.PositiveBigIntegerField(default=0)  # global seq of the last event
    hash = models.CharField(max_length=64, default="0" * 64)
