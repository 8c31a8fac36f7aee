"""The problems of an import on disk beyond a bound (issue #19, point 3): read back in line
order, in order of finding for one line, exactly as the list sorted at the end was."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from caducee.loadusers.problem_log import ProblemLog
from caducee.loadusers.report import ReportRow


def row(line: int, n: int = 0, value: str = "") -> ReportRow:
    return ReportRow(line, "RPPS", f"l{line}@ch-a.fr", "error", f"code{n}", f"message é {n}", value)


@given(
    st.lists(st.integers(min_value=0, max_value=12), max_size=60),
    st.sampled_from([0, 1, 3, 7, 1000]),
)
def test_the_rows_come_back_as_the_sorted_list_gives_them(lines: list[int], bound: int) -> None:
    rows = [row(n, i, value="x" * (i % 3)) for i, n in enumerate(lines)]
    log = ProblemLog(in_memory=bound)
    for item in rows:
        log.append(item)
    expected = sorted(rows, key=lambda r: r.line)  # stable
    assert len(log) == len(rows) and bool(log) == bool(rows)
    assert list(log) == expected
    assert list(log) == expected  # as often as needed
    assert log == expected and log == ProblemLog(rows)
    assert all(a == b for a, b in zip(log, log, strict=True))  # two readings at once
    if rows:
        assert log[0] == expected[0] and log[-1] == expected[-1]
        assert log[1:3] == expected[1:3]
    if bound == 0:
        assert log.on_disk == len(rows)  # every row written as soon as it came
    log.close()


def test_a_small_log_writes_nothing_and_rows_added_later_are_in_order() -> None:
    log = ProblemLog([row(5), row(2)], in_memory=10)
    assert [r.line for r in log] == [2, 5] and log.on_disk == 0
    log += [row(3, 1), row(2, 2), row(0)]
    assert [(r.line, r.code) for r in log] == [
        (0, "code0"),
        (2, "code0"),
        (2, "code2"),
        (3, "code1"),
        (5, "code0"),
    ]
    assert log != [row(0)] and not ProblemLog()


def test_a_large_log_keeps_a_bounded_number_of_rows_in_memory() -> None:
    log = ProblemLog(in_memory=100)
    for n in range(1050, 0, -1):  # in reverse order: every run is sorted on its own
        log.append(row(n))
    assert log.on_disk == 1010 and len(log._rows) == 40
    assert [r.line for r in log] == list(range(1, 1051))
    assert log[0] == row(1)
