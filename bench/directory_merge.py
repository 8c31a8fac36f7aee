"""The combined directory list (local and national) at deep pages: the merge of whole
entries as it was against the merge on keys, in the same run, on a database filled by
bench/directory.py.

Usage:
    .venv/bin/python bench/directory_merge.py --database sqlite --home DIR
    .venv/bin/python bench/directory_merge.py --database postgresql
        --pg-url postgresql://postgres@127.0.0.1:5432/caducee_directory_bench
    [--national 100000] [--repeat 20]

DIR is the CADUCEE_HOME printed by `bench/directory.py --keep` (SQLite); on PostgreSQL the
database of a `bench/directory.py` run is reused. `--national N` first imports an
extraction of N national lines (bench/directory_national.py's generator), so that both
sides have matches to merge. For each case (a query and a page of 25), it times
`--repeat` times, alternately, `directory_page(…, national=True)` (keys of the window
merged, the page's 25 entries loaded) and the former merge (the window's entries of both
sides loaded, turned into hits, sorted, sliced; an untimed garbage collection before each
call), checks that both give the same page, and prints p50/p95 of the wall and CPU time
in ms and the number of queries of each.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.directory import prepare_database  # noqa: E402
from bench.harness import machine  # noqa: E402

CASES = [("medecin", 1), ("medecin", 10), ("medecin", 40), ("", 40), ("marseille", 20)]


def former_page(query: str, page: int, size: int = 25) -> Any:
    """`national_search.directory_page(…, national=True)` before issue #19 point 2's second
    pass (2026-12-07): the first `page * size` entries of each side loaded and merged."""
    from caducee.directory.national_search import local_hit, national_hit, national_matches
    from caducee.directory.search import COUNT_LIMIT, Page, first_matches

    number = max(1, min(page, -(-COUNT_LIMIT // size)))
    window = number * size
    local = first_matches(query, size=window)
    rows, matches, exact = national_matches(query, limit=window)
    total = local.total + matches
    exact = exact and local.exact and total <= COUNT_LIMIT
    total = min(total, COUNT_LIMIT)
    number = min(number, max(1, -(-total // size)))
    hits = [local_hit(e) for e in local.entries]
    addresses = {h.mssante for h in hits if h.mssante}
    others = [h for h in map(national_hit, rows) if h.mssante not in addresses]
    merged = sorted([*hits, *others], key=lambda h: (h.sort_key, h.other_operator))
    start = (number - 1) * size
    return Page(merged[start : start + size], total, number, size, exact)


def _import_national(lines: int) -> None:
    from bench.directory_national import generate
    from caducee.core.context import cli_context
    from caducee.directory.operations import import_national_directory

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "Extraction_Correspondance_MSS.txt"
        generate(path, lines)
        started = time.perf_counter()
        import_national_directory(cli_context(), path)
        print(f"national import: {lines} lines in {time.perf_counter() - started:.1f} s")


def _p(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return f"{statistics.median(ordered):7.1f} {p95:7.1f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--home", default="")
    parser.add_argument(
        "--pg-url", default="postgresql://postgres@127.0.0.1:5432/caducee_directory_bench"
    )
    parser.add_argument("--national", type=int, default=0)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    prepare_database(args.database, args.pg_url, reuse=True, home=args.home)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from caducee.directory.national_search import directory_page

    print(machine(), f"database={args.database}")
    if args.national:
        _import_national(args.national)
    calls = {
        "former": lambda q, p: former_page(q, p),
        "keys": lambda q, p: directory_page(q, page=p, national=True),
    }
    head = f"{'case':22} {'merge':7} {'queries':>7} {'wall p50':>8} {'p95':>7}"
    print(f"{head} {'CPU p50':>8} {'p95':>7}")
    for query, page in CASES:
        pages = {}
        counts = {}
        for name, call in calls.items():
            with CaptureQueriesContext(connection) as captured:
                pages[name] = call(query, page)
            counts[name] = len(captured)
        assert pages["former"] == pages["keys"], (query, page)
        walls: dict[str, list[float]] = {name: [] for name in calls}
        cpus: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(args.repeat):
            for name, call in calls.items():
                gc.collect()  # neither pays for the other's garbage
                wall, cpu = time.perf_counter(), time.process_time()
                call(query, page)
                walls[name].append((time.perf_counter() - wall) * 1000)
                cpus[name].append((time.process_time() - cpu) * 1000)
        found = pages["keys"]
        label = f"« {query} » p{page} ({found.total})"
        for name in calls:
            print(f"{label:22} {name:7} {counts[name]:>7} {_p(walls[name])}  {_p(cpus[name])}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
