"""Directory state: the search table, per-mailbox publication state and structure quotas.

`Account.mssante_particle` (accounts app) holds the MSSanté correspondence itself; these
models hold only what the directory adds around it.
"""

from __future__ import annotations

from typing import ClassVar

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
        indexes: ClassVar[list[models.Index]] = [
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
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["structure", "group"], name="one_quota")
        ]


class PushState(models.TextChoices):
    QUEUED = "queued", "En file d'attente"
    RUNNING = "running", "En cours"
    RETRYING = "retrying", "Nouvel essai prévu"
    DONE = "done", "Terminée"
    FAILED = "failed", "Échec"


PENDING_PUSH_STATES = (PushState.QUEUED, PushState.RUNNING, PushState.RETRYING)


class PushRequest(models.Model):
    """A push to the national directory asked from the console or the API, run by a task
    (caducee/directory/push_requests.py); the console shows its state and result."""

    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.CASCADE, related_name="+"
    )
    requested_by = models.ForeignKey(
        "people.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    requested_label = models.CharField(max_length=254)
    channel = models.CharField(max_length=16)
    state = models.CharField(max_length=16, choices=PushState.choices, default=PushState.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    http_status = models.PositiveIntegerField(default=0)
    inserted = models.PositiveIntegerField(default=0)
    replaced = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["structure", "-created_at"], name="push_request_recent")
        ]

    @property
    def pending(self) -> bool:
        return self.state in PENDING_PUSH_STATES


class NationalGeneration(models.Model):
    """One load of the national MSSanté extraction (`caducee directory national-import`).

    Its entries are written while it is « loading » (invisible to searches); one short
    transaction then makes it current and the previous one « replaced », whose entries are
    deleted afterwards (caducee/directory/national_load.py).
    """

    class State(models.TextChoices):
        LOADING = "loading", "En cours de chargement"
        CURRENT = "current", "En service"
        REPLACED = "replaced", "Remplacée"
        FAILED = "failed", "Échec du chargement"

    source = models.CharField(max_length=1000)
    state = models.CharField(max_length=10, choices=State.choices, default=State.LOADING)
    started_at = models.DateTimeField()
    loaded_at = models.DateTimeField(null=True, blank=True)
    lines_read = models.PositiveIntegerField(default=0)
    entries = models.PositiveIntegerField(default=0)
    lines_skipped = models.PositiveIntegerField(default=0)
    # {reason code: number of lines}, see national_file.SKIP_REASONS.
    skipped = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["state"],
                condition=models.Q(state="current"),
                name="directory_one_current_national_generation",
            )
        ]

    def __str__(self) -> str:
        return f"Annuaire national {self.source}"


class NationalEntry(models.Model):
    """One mailbox of another MSSanté operator, from the national extraction.

    The primary key is `generation << 32 | rank`, the rank following the name order: one
    generation is one range of keys, and the keys are the result order (the generation's
    SQLite FTS5 table `directory_national_fts_<generation>` and the PostgreSQL GIN index
    on `search_vector` return its matches by key; migrations 0006 and 0007).
    """

    id = models.BigIntegerField(primary_key=True)
    bal_type = models.CharField(max_length=3)
    address = models.CharField(max_length=320)
    display_name = models.CharField(max_length=320)
    rpps = models.CharField(max_length=20, blank=True)
    profession = models.CharField(max_length=200, blank=True)
    specialty = models.CharField(max_length=200, blank=True)
    organisation = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=200, blank=True)
    department = models.CharField(max_length=3, blank=True)
    keywords = models.TextField()

    class Meta:
        # The list filtered by type or department without a search walks the keys of
        # that type or department in order (a walk of every row read about 100 ms for
        # ORG at 1,000,000 entries: docs/PERFORMANCE.md).
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["bal_type", "id"], name="national_type_key"),
            models.Index(fields=["department", "id"], name="national_dept_key"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} <{self.address}>"
