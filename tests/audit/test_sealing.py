"""Migration 0004_rt_audit_chains on a journal written by the global chain: the old events
stay where they were written, frozen, sealed by the platform chain's first event.

Runs as a real process on a database of its own (a SQLite file, or a dedicated PostgreSQL
database when the tests run on PostgreSQL): the migration is applied to the real schema.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.databases import fresh_database_url

SCRIPT = """
import json, os
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caducee.settings")
import django
django.setup()
from datetime import UTC, datetime
from django.core.management import call_command
from django.db import connection

call_command("migrate", "audit", "0003", verbosity=0)
call_command("migrate", "structures", verbosity=0)

# The journal as the global chain wrote it (key_version 1, no chain columns yet).
from caducee.audit.chain import GENESIS, event_hash, hashed_fields

class Fields:
    def __init__(self, values):
        self.__dict__.update(values)

prev = GENESIS
with connection.cursor() as cursor:
    for seq in (1, 2, 3):
        values = {
            "seq": seq, "created_at": datetime(2026, 1, seq, tzinfo=UTC), "actor_id": None,
            "actor_label": "cli:root", "acting_as": "", "channel": "cli", "ip": None,
            "structure_id": None, "action": "test.legacy", "target_type": "",
            "target_id": "", "target_label": f"old{seq}", "detail": {},
        }
        digest = event_hash(prev, hashed_fields(Fields(values)))
        cursor.execute(
            "INSERT INTO audit_auditevent (seq, created_at, actor_label, acting_as, channel,"
            " action, target_type, target_id, target_label, detail, prev_hash, hash,"
            " key_version) VALUES (%s, %s, 'cli:root', '', 'cli', 'test.legacy', '', '',"
            " %s, '{}', %s, %s, 1)",
            [seq, values["created_at"], f"old{seq}", prev, digest],
        )
        prev = digest
    cursor.execute("INSERT INTO audit_audithead (id, seq, hash) VALUES (1, 3, %s)", [prev])

call_command("migrate", verbosity=0)

from caducee.audit.chains import PLATFORM
from caducee.audit.log import record_event
from caducee.audit.models import AuditChainHead, AuditEvent
from caducee.audit.verify import verify_chain
from caducee.core.context import system_context
from caducee.structures.models import Structure

structure = Structure.objects.create(name="CH Migration", id_type="FINESS_EJ", id_number="1")
ctx = system_context("tests")
new = [record_event(ctx, "test.new", structure=structure), record_event(ctx, "test.platform")]
report = verify_chain()
result = {
    "ok": report.ok,
    "problems": report.problems,
    "checked": report.checked,
    "legacy": list(AuditEvent.objects.filter(chain__isnull=True).values_list("seq", flat=True)),
    "split": list(
        AuditEvent.objects.filter(chain=PLATFORM).values_list("action", "chain_seq", "prev_hash")
    ),
    "new": [(e.seq, e.chain, e.chain_seq) for e in new],
    "structure": structure.pk,
    "last_legacy_hash": prev,
}

# The append-only triggers survived the migration (no table rebuild).
from django.db import transaction
try:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET action = 'forged' WHERE seq = 1")
    result["update_refused"] = False
except Exception:
    result["update_refused"] = True

# A database writer cuts the newest old event and moves the old head back: the seal's
# keyed link to it breaks.
with connection.cursor() as cursor:
    if connection.vendor == "sqlite":
        cursor.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = 3")
    else:
        cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        cursor.execute("DELETE FROM audit_auditevent WHERE seq = 3")
    cursor.execute(
        "UPDATE audit_audithead SET seq = 2,"
        " hash = (SELECT hash FROM audit_auditevent WHERE seq = 2)"
    )
result["after_cut"] = verify_chain().problems
print(json.dumps(result))
"""


def _database_url(home: Path) -> str:
    return fresh_database_url(home, "caducee_audit_chains_migration")


def test_migration_freezes_the_global_chain_and_seals_it(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "CADUCEE_HOME": str(tmp_path),
        "CADUCEE_DATABASE_URL": _database_url(tmp_path),
        "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["ok"], result["problems"]
    assert result["legacy"] == [1, 2, 3]  # not rewritten, still in the global chain
    assert result["split"] == [
        ["audit.chains_split", 1, result["last_legacy_hash"]],
        ["test.platform", 2, result["split"][1][2]],
    ]
    # New events: numbered after the old ones (and the seal, n° 4), in their own chains.
    assert result["new"] == [[5, result["structure"], 1], [6, 0, 2]]
    assert result["checked"] == 6
    assert result["update_refused"]
    assert any(
        "n° 4 : le lien vers l'événement précédent est rompu" in p for p in result["after_cut"]
    ), result["after_cut"]
