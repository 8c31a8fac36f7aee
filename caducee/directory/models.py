"""Directory state: the search table, per-mailbox publication state and structure quotas.

`Account.mssante_particle` (accounts app) holds the MSSanté correspondence itself; these
models hold only what the directory adds around it.
"""

from __future__ import annotations

from django.db import models


class DirectoryEntry(models.Model):
    """One listed account, denormalised for search (rebuilt by `caducee directory rebuild`).

    `keywords` holds every searchable value folded (lower case, no accents, separators as
    spaces); SQLite indexes it with an FTS5 table, PostgreSQL with a GIN tsvector index
    (migration 0002). `data` holds the displayed fields, derived from the field table.
    """

    account = models.OneToOneField(
        "accounts.Account", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.CASCADE, related_name="+"
    )
    type = models.CharField(max_length=3)
    sort_key = models.CharField(max_length=320)
    display_name = models.CharField(max_length=320)
    email = models.CharField(max_length=254)
    mssante_address = models.CharField(max_length=320, blank=True)
    department = models.CharField(max_length=3, blank=True)
    keywords = models.TextField()
    data = models.JSONField(default=dict)
    # SQLite: FTS5 rowid, increasing with sort_key (see entries.py); NULL on PostgreSQL.
    search_rowid = models.BigIntegerField(null=True, unique=True)

    class Meta:
        indexes = [
            models.Index(fields=["sort_key"], name="directory_sort"),
            models.Index(fields=["type", "sort_key"], name="directory_type_sort"),
            models.Index(fields=["department", "sort_key"], name="directory_dept_sort"),
        ]


class MailboxListing(models.Model):
    """Directory choices and national publication state of one mailbox."""

    account = models.OneToOneField(
        "accounts.Account", on_delete=models.CASCADE, primary_key=True, related_name="listing"
    )
    red_list = models.BooleanField("liste rouge", default=False)
    dematerialisation = models.BooleanField("dématérialisation", default=True)
    published_address = models.CharField(max_length=320, blank=True)
    published_type = models.CharField(max_length=3, blank=True)
    published_carrier = models.CharField(max_length=400, blank=True)
    published_hash = models.CharField(max_length=64, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)


class QuotaGroup(models.TextChoices):
    PERSONAL = "PER_INT", "Personnel et personnel interne"
    ORGANISATIONAL = "ORG", "Organisationnel"
    APPLICATIVE = "APP", "Applicatif"


class Quota(models.Model):
    """A limit on the accounts of one group in one structure; no row means unlimited."""

    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.CASCADE, related_name="quotas"
    )
    group = models.CharField(max_length=8, choices=QuotaGroup.choices)
    limit = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["structure", "group"], name="one_quota")]
