"""The garbage collector during an import (issue #19): the young generation's threshold
raised and the heap frozen while it runs, both restored however it ends, also when
imports overlap in the threads of one process."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from caducee.core.context import cli_context
from caducee.loadusers.importing import IMPORT_GC_THRESHOLD0, frozen_heap, import_loadusers
from caducee.structures.models import Structure
from tests.loadusers.builders import csv_bytes, line


@pytest.fixture
def thresholds() -> Iterator[tuple[int, int, int]]:
    saved = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield gc.get_threshold()
    gc.set_threshold(*saved)


def test_the_threshold_is_raised_during_an_import_and_restored(
    structure_a: Structure, thresholds: tuple[int, int, int]
) -> None:
    seen: list[tuple[int, int, int]] = []
    frozen: list[int] = []

    def progress(phase: str, done: int, total: int) -> None:
        seen.append(gc.get_threshold())
        frozen.append(gc.get_freeze_count())

    data = csv_bytes([line("PER", f"p{i}@ch-a.fr") for i in range(3)])
    result = import_loadusers(cli_context(), structure_a, data, progress=progress)
    assert result.created == 3
    assert seen and all(t == (IMPORT_GC_THRESHOLD0, 10, 10) for t in seen)
    assert all(count > 0 for count in frozen)
    assert gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == 0


def test_the_threshold_is_restored_when_the_import_fails(
    thresholds: tuple[int, int, int],
) -> None:
    inside: list[tuple[int, int, int]] = []

    def interrupted() -> None:
        with frozen_heap():
            inside.append(gc.get_threshold())
            raise RuntimeError("interrompu")

    with pytest.raises(RuntimeError):
        interrupted()
    assert inside == [(IMPORT_GC_THRESHOLD0, 10, 10)]
    assert gc.get_threshold() == thresholds
    assert gc.get_freeze_count() == 0


def test_overlapping_imports_restore_the_threshold_when_the_last_one_ends(
    thresholds: tuple[int, int, int],
) -> None:
    first, second = frozen_heap(), frozen_heap()
    first.__enter__()
    second.__enter__()
    first.__exit__(None, None, None)  # the first one ends while the second still runs
    assert gc.get_threshold() == (IMPORT_GC_THRESHOLD0, 10, 10)
    second.__exit__(None, None, None)
    assert gc.get_threshold() == thresholds


def test_a_higher_threshold_is_kept_and_a_disabled_collector_stays_off() -> None:
    saved = gc.get_threshold()
    try:
        gc.set_threshold(50_000, 5, 5)
        with frozen_heap():
            assert gc.get_threshold() == (50_000, 5, 5)
        gc.set_threshold(0, 10, 10)
        with frozen_heap():
            assert gc.get_threshold()[0] == 0
        assert gc.get_threshold() == (0, 10, 10)
    finally:
        gc.set_threshold(*saved)
