"""The loaduser import: one operation, `import_loadusers`, for the console, API and CLI.

Two passes:

1. Validation (nothing written, validation_pass.py): the file is read as a stream, in
   chunks of lines, each checked by the one field spec; problems name the file's line and
   column header. File-level refusals (size, format, missing columns) come from reading.py.
2. Writing (skipped for a dry run, writing_pass.py): every valid line is applied in ONE
   transaction with bulk inserts and updates; an interruption leaves the database as it was.
   New accounts with an empty « MSSanté adresse » get a generated one in that transaction
   (address_generation.py; a dry run computes them too, for the preview's count).

Same results as `create_account` / `update_account` for each line (tested): the private
helpers of accounts.operations that hold those rules are reused, not copied.
"""

from __future__ import annotations

import gc
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from caducee.core.context import Context
from caducee.directory.loading import check_file_quotas
from caducee.loadusers import address_generation
from caducee.loadusers.import_state import (
    CHUNK,
    NOMINATIVE,
    SHARED,
    STORED_KEYS,
    ImportResult,
    ImportState,
    Progress,
)
from caducee.loadusers.reading import (
    MANDATORY_COLUMNS,
    Table,
    check_columns,
    header_warnings,
    open_table,
    opened,
)
from caducee.loadusers.validation_pass import validate
from caducee.loadusers.validation_pool import POOL_THRESHOLD
from caducee.loadusers.whole_file import check_links, new_accounts_by_type
from caducee.loadusers.writing_pass import write
from caducee.referentials.text import fold
from caducee.structures.access import admin_scope, require_admin
from caducee.structures.models import Structure

__all__ = [
    "CHUNK",
    "MANDATORY_COLUMNS",
    "NOMINATIVE",
    "SHARED",
    "STORED_KEYS",
    "ImportResult",
    "Progress",
    "import_loadusers",
]


def import_loadusers(
    ctx: Context,
    structure: Structure,
    source: bytes | str | Path | BinaryIO,
    *,
    notify: bool = False,
    visible: bool = False,
    dry_run: bool = False,
    file_name: str = "",
    import_id: str = "",
    progress: Progress | None = None,
    before_commit: Callable[[ImportResult], None] | None = None,
    pool_threshold: int = POOL_THRESHOLD,
) -> ImportResult:
    """Structure admins (or the server): create or update one account per line of a
    loaduser file (CSV, XLS, XLSX); audit `account.create` / `account.update` per line and
    `loadusers.import` for the file (none for a dry run).

    Raises FileRefused when the file itself cannot be used (nothing is changed then).
    Otherwise returns the counts and the report; invalid lines are skipped, every valid
    line is applied in one transaction (or none, with `dry_run`).

    `progress("writing", 0, total)` is called just before the writing transaction opens.
    `before_commit(result)` is called last inside that transaction: what it writes commits
    with the accounts or not at all, and an exception it raises rolls the import back (an
    import job records its outcome there, so a committed import is never shown failed).
    From `pool_threshold` lines the field rules run in a process pool (validation_pool.py).
    """
    require_admin(ctx, structure)
    with frozen_heap(), opened(source, file_name) as (data, name):
        table = open_table(data, name)
        check_columns(table.header)
        scope = {s.pk: s for s in admin_scope(ctx)}
        scope.setdefault(structure.pk, structure)
        state = ImportState(
            ctx=ctx,
            structure=structure,
            header=table.header,
            scope=scope,
            by_name={fold(s.name): s for s in scope.values()},
            result=ImportResult(
                import_id=import_id or uuid.uuid4().hex[:12], file_name=name, dry_run=dry_run
            ),
        )
        state.problems += header_warnings(table.header)
        try:
            _run(state, table, progress, pool_threshold, notify, visible, before_commit)
        finally:
            state.close()
    return state.result


# The young generation's threshold while an import runs (CPython's default is 700).
IMPORT_GC_THRESHOLD0 = 20_000
_gc_lock = threading.Lock()
_gc_imports = 0  # imports running in this process (threads of `caducee serve`)
_gc_saved: tuple[int, int, int] = (0, 0, 0)  # the thresholds before the first of them


@contextmanager
def frozen_heap() -> Iterator[None]:
    """The garbage collector during an import, restored on the way out, however it ends.

    - The objects that exist before the import (Django, the application: several hundred
      thousand) are left out of its full passes (`gc.freeze`): the import allocates many
      objects, and each full pass scanned them all again (issue #19: 0.07 s for a
      3,000-line file). They are still freed when no longer used; only a reference cycle
      among them waits for the end of the import.
    - The young generation is collected once IMPORT_GC_THRESHOLD0 more container objects
      are alive instead of 700 (issue #19: about 4,000 young, 370 middle and 33 full
      passes for 100,000 lines, 3 s of the import process's time; about 15, 2 and 0
      after). Objects are still freed by their reference counts; only cyclic garbage
      waits a little longer. The thresholds are process-wide: the first of concurrent
      imports sets them, the last one restores what was there before.
    """
    _raise_gc_threshold()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()
        _restore_gc_threshold()


def _raise_gc_threshold() -> None:
    global _gc_imports, _gc_saved
    with _gc_lock:
        if _gc_imports == 0:
            _gc_saved = gc.get_threshold()
            first, *older = _gc_saved
            if first:  # 0: automatic collection is off, and stays so
                gc.set_threshold(max(first, IMPORT_GC_THRESHOLD0), *older)
        _gc_imports += 1


def _restore_gc_threshold() -> None:
    global _gc_imports
    with _gc_lock:
        _gc_imports -= 1
        if _gc_imports == 0:
            gc.set_threshold(*_gc_saved)


def _run(
    state: ImportState,
    table: Table,
    progress: Progress | None,
    pool_threshold: int,
    notify: bool,
    visible: bool,
    before_commit: Callable[[ImportResult], None] | None,
) -> None:
    validate(state, table, progress, pool_threshold=pool_threshold)
    check_links(state)
    by_type = new_accounts_by_type(state)
    check_file_quotas(state.scope, by_type)  # directory quotas: before anything is written
    wanted = address_generation.plan(state)  # empty « MSSanté adresse » of new accounts
    result = state.result
    result.created = len(state.creates)
    result.updated = len(state.updates)
    result.problems = state.problems  # read in line order, in order of finding per line
    result.rejected = state.rejected
    if result.dry_run:
        address_generation.resolve(state, wanted)  # the preview's count and sample
    else:
        write(
            state,
            by_type,
            wanted,
            notify=notify,
            visible=visible,
            progress=progress,
            before_commit=before_commit,
        )
