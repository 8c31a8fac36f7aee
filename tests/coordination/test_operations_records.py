"""Coordination operations — Records, liaison log and documents, and the audit of internal reads."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from caducee.audit.models import AuditEvent
from caducee.coordination import operations
from caducee.coordination.models import (
    LiaisonEntry,
    Record,
)
from caducee.core.context import Context, cli_context
from caducee.core.errors import Forbidden, Invalid, NotFound
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.coordination.conftest import last_event
from tests.helpers import ctx_for


class TestRecords:
    def test_coordinator_creates_and_searches(self, camille: User, structure_a: Structure) -> None:
        record = operations.create_record(
            ctx_for(camille),
            structure_a,
            operations.RecordInput(
                last_name="  martin ",
                first_name="Jeanne",
                birth_date="12/03/1941",
                postal_code="81000",
                city="albi",
                phone="05 63 00 00 00",
                team=[camille.pk],
            ),
        )
        assert record.last_name == "MARTIN" and record.city == "ALBI"
        assert record.phone == "0563000000"
        assert list(record.team.all()) == [camille]
        event = last_event()
        assert event.action == "coordination.record_create" and event.actor == camille
        ctx = ctx_for(camille)
        assert list(operations.search_records(ctx, "mart")) == [record]
        assert list(operations.search_records(ctx, "12/03/1941")) == [record]
        assert list(operations.search_records(ctx, "durand")) == []
        # A command on the server sees every record; a context without a person does not.
        assert list(operations.search_records(cli_context(), "mart")) == [record]
        assert list(operations.search_records(Context(user=None, channel="api"))) == []

    def test_bad_input_is_explained(self, camille: User, structure_a: Structure) -> None:
        with pytest.raises(Invalid) as exc:
            operations.create_record(
                ctx_for(camille),
                structure_a,
                operations.RecordInput(
                    last_name="", first_name="A", birth_date="31/02/1990", postal_code="810"
                ),
            )
        fields = {p.field for p in exc.value.problems}
        assert fields == {"last_name", "birth_date", "postal_code"}
        assert Record.objects.count() == 0
        # The platform's one postal-code rule: 4 digits get their leading zero back.
        record = operations.create_record(
            ctx_for(camille),
            structure_a,
            operations.RecordInput(
                last_name="Petit", first_name="Léa", birth_date="02/01/1950", postal_code="1000"
            ),
        )
        assert record.postal_code == "01000"

    def test_team_must_be_of_the_structure(
        self, camille: User, bob: User, structure_a: Structure
    ) -> None:
        with pytest.raises(Invalid):
            operations.create_record(
                ctx_for(camille),
                structure_a,
                operations.RecordInput(
                    last_name="X", first_name="Y", birth_date="01/01/1950", team=[bob.pk]
                ),
            )

    def test_reader_cannot_create(self, lucas: User, structure_a: Structure) -> None:
        with pytest.raises(Forbidden):
            operations.create_record(
                ctx_for(lucas),
                structure_a,
                operations.RecordInput(last_name="X", first_name="Y", birth_date="01/01/1950"),
            )

    def test_other_structure_gets_404(self, bob: User, structure_a: Structure) -> None:
        with pytest.raises(NotFound):
            operations.create_record(
                ctx_for(bob),
                structure_a,
                operations.RecordInput(last_name="X", first_name="Y", birth_date="01/01/1950"),
            )

    def test_update_is_audited_with_changes(self, camille: User, record_a: Record) -> None:
        operations.update_record(
            ctx_for(camille),
            record_a,
            operations.RecordInput(
                last_name="Martin", first_name="Jeanne", birth_date="12/03/1941", city="Castres"
            ),
        )
        event = last_event()
        assert event.action == "coordination.record_update"
        assert event.detail["changes"] == {"city": ["", "CASTRES"]}


class TestLiaison:
    def test_entry_names_the_person(self, camille: User, record_a: Record) -> None:
        entry = operations.add_liaison_entry(
            ctx_for(camille), record_a, "Passage infirmier : tension stable.", "01/02/2024"
        )
        assert entry.author == camille
        assert "camille.coord@ch-a.fr" in entry.author_label
        assert str(entry.occurred_on) == "2024-02-01"
        assert last_event().action == "coordination.liaison_add"
        entry.text = "changé"
        with pytest.raises(ValueError, match="ne peut pas être modifiée"):
            entry.save()

    def test_empty_or_future_entry_is_refused(self, camille: User, record_a: Record) -> None:
        with pytest.raises(Invalid):
            operations.add_liaison_entry(ctx_for(camille), record_a, "   ")
        with pytest.raises(Invalid):
            operations.add_liaison_entry(ctx_for(camille), record_a, "texte", "01/01/2999")
        assert LiaisonEntry.objects.count() == 0

    def test_reader_reads_but_does_not_write(self, lucas: User, record_a: Record) -> None:
        assert list(operations.liaison_entries(ctx_for(lucas), record_a)) == []
        with pytest.raises(Forbidden):
            operations.add_liaison_entry(ctx_for(lucas), record_a, "texte")


class TestDocuments:
    def test_stored_under_home_with_safe_name(self, camille: User, record_a: Record) -> None:
        document = operations.attach_document(
            ctx_for(camille),
            record_a,
            "Ordonnance",
            "../../etc/ordo donnance.PDF",
            io.BytesIO(b"%PDF-1.4 contenu"),
            "application/pdf",
        )
        # The default storage keeps today's layout: CADUCEE_HOME/files/coordination/…
        path = Path(settings.MEDIA_ROOT) / "coordination" / document.stored_name
        assert path.read_bytes() == b"%PDF-1.4 contenu"
        assert not [p for p in path.parent.iterdir() if p != path]  # no temporary left
        assert path.suffix == ".pdf" and ".." not in document.stored_name
        assert document.original_name == "ordo donnance.PDF"
        assert document.size == 16 and len(document.sha256) == 64
        assert last_event().action == "coordination.document_add"

    @override_settings(COORDINATION_MAX_UPLOAD_MB=1)
    def test_size_limit(self, camille: User, record_a: Record) -> None:
        with pytest.raises(Invalid) as exc:
            operations.attach_document(
                ctx_for(camille), record_a, "Gros", "gros.bin", io.BytesIO(b"x" * (1024 * 1024 + 1))
            )
        assert "1 Mo" in exc.value.message
        assert record_a.documents.count() == 0
        folder = Path(settings.MEDIA_ROOT) / "coordination" / str(record_a.structure_id)
        leftovers = list(folder.rglob("*")) if folder.exists() else []
        assert not [p for p in leftovers if p.is_file()]

    def test_empty_file_is_refused(self, camille: User, record_a: Record) -> None:
        with pytest.raises(Invalid):
            operations.attach_document(ctx_for(camille), record_a, "", "vide.txt", io.BytesIO(b""))

    def test_reader_cannot_add(self, lucas: User, record_a: Record) -> None:
        with pytest.raises(Forbidden):
            operations.attach_document(ctx_for(lucas), record_a, "", "a.txt", io.BytesIO(b"a"))


class TestReadsAreAudited:
    """Security review M5: internal reads are traced too; lists in one event."""

    def test_internal_read_of_a_record_and_a_document(
        self, camille: User, record_a: Record
    ) -> None:
        operations.read_record(ctx_for(camille), record_a, "liaison")
        event = last_event("coordination.record_read")
        assert event.actor == camille and event.detail["page"] == "liaison"
        document = operations.attach_document(
            cli_context(), record_a, "Bilan", "bilan.pdf", io.BytesIO(b"%PDF")
        )
        operations.open_document(ctx_for(camille), document).close()
        read = last_event("coordination.document_read")
        assert read.actor == camille and read.detail["document"] == document.pk

    def test_a_list_is_one_event_per_structure(
        self, camille: User, record_a: Record, record_b: Record, structure_a: Structure
    ) -> None:
        before = AuditEvent.objects.count()
        operations.read_record_list(ctx_for(camille), [record_a, record_b], "api", "")
        assert AuditEvent.objects.count() == before + 1
        event = last_event()
        assert event.action == "coordination.records_list" and event.structure == structure_a
        assert event.detail["count"] == 2
        assert sorted(event.detail["records"]) == sorted([record_a.pk, record_b.pk])
        operations.read_record_list(ctx_for(camille), [], "api", "zzz")
        assert AuditEvent.objects.count() == before + 1
