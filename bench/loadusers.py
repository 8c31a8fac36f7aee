"""Loaduser benchmark: import and export N lines on SQLite and on PostgreSQL.

Usage:
    .venv/bin/python bench/loadusers.py [--lines 100000]
        [--postgres postgresql://postgres@127.0.0.1:5432/caducee_bench] [--no-postgres]
        [--no-sqlite]

It writes a deterministic loaduser CSV of N lines of every type (PER, INT, MED, ORG with
connection accounts named before and after them, APP), about 5 % of them faulty (bad RPPS,
bad postal code, missing name, unknown type, unknown connection account, duplicate email).
Then, for each database, on a fresh database (a temporary CADUCEE_HOME with SQLite, or the
PostgreSQL database dropped and created again):

1. import the CSV (fresh database: every valid line is created; the INT, ORG and APP lines,
   and with `--empty-addresses` the PER lines too, have an empty « MSSanté adresse », which
   is generated: 72 first/last name pairs, so many collisions to number);
2. time the address generation alone (`generate_particles`) for the file's names against
   the imported accounts (every name now taken: the worst case), with its query count;
3. export the structure as CSV, then as XLSX;
4. import the exported XLSX again (every line unchanged: the re-import path).

Each step runs in its own process (`--step`), which reports its wall time, its CPU time
(user + system, of the Python process only: PostgreSQL's own work is not in it) and its
peak resident memory (VmHWM: the process's own high-water mark). The machine's
load is printed before and after, with the time of a fixed CPU loop: on a shared machine
the wall time can be several times the CPU time.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# `--code DIR`: the steps import the project from DIR (another checkout, e.g. the code
# before a change), so that old and new code are measured in the same run.
CODE = Path(os.environ.get("CADUCEE_BENCH_CODE") or ROOT)
sys.path.insert(0, str(CODE))

from bench.harness import machine  # noqa: E402

STRUCTURE = "Centre hospitalier du banc d'essai"
PLACES = [("75012", "PARIS", "75", "11"), ("13005", "MARSEILLE", "13", "93")]
PLACES += [("69003", "LYON", "69", "84"), ("31000", "TOULOUSE", "31", "76")]
PLACES += [("01000", "BOURG EN BRESSE", "01", "84"), ("33000", "BORDEAUX", "33", "75")]
FIRST = ["Jeanne", "Paul", "Hélène", "Éric", "Chloé", "Karim", "Inès", "Louis", "Anaïs"]
LAST = ["MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND"]


def luhn(prefix: str) -> str:
    from stdnum import luhn as stdnum_luhn

    return prefix + stdnum_luhn.calc_check_digit(prefix)


def generate(lines: int, seed: int = 42, *, empty_addresses: bool = False) -> bytes:
    """The loaduser CSV (UTF-8 with BOM, ';'), deterministic for a given seed."""
    from caducee.accounts.fields import FIELDS

    rng = random.Random(seed)
    keys = [spec.key for spec in FIELDS]
    kinds = rng.choices(["PER", "INT", "MED", "ORG", "APP"], [40, 15, 30, 10, 5], k=lines)
    nominative = [i for i, k in enumerate(kinds) if k in {"PER", "INT", "MED"}]
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([spec.header for spec in FIELDS])
    for i, kind in enumerate(kinds):
        postal, city, department, region = rng.choice(PLACES)
        row: dict[str, Any] = {
            "email": f"{kind.lower()}{i}@bench.example.org",
            "last_name": rng.choice(LAST) if kind in {"PER", "INT", "MED"} else "SECRETARIAT",
            "first_name": rng.choice(FIRST),
            "company_name": "Centre hospitalier du banc d'essai",
            "address1": f"{rng.randint(1, 200)} rue de la Santé",
            "postal_code": postal,
            "city": city,
            "department": department,
            "region": region if rng.random() < 0.9 else "",
            "phone1": f"06{rng.randint(0, 99_999_999):08d}",
            "liberal": rng.choice(["NON", "OUI", "N"]),
            "type": kind,
            "structure": STRUCTURE,
        }
        if kind == "PER":
            row.update(profession="10", rpps=luhn(f"1{i:09d}"))
            if not empty_addresses:
                row["mssante_particle"] = f"per.{i}"
        elif kind == "INT":
            row.update(
                profession="60",
                resp_structure_id_type=rng.choice(["FINESS", "1"]),
                resp_structure_id=luhn(f"75{i % 1_000_000:06d}"),
            )
        elif kind == "MED":
            row.update(profession="L10", expiry_date=rng.choice(["", "27-12-31", "31/12/2027"]))
        else:
            row.update(
                profession="10",
                resp_structure_id_type="FINESS",
                resp_structure_id=luhn(f"75{i % 1_000_000:06d}"),
                resp_last_name="MARTIN",
                resp_first_name="Paul",
                resp_profession="10",
                resp_identifier=luhn(f"1{(i + 7) % 1_000_000_000:09d}"),
                description=f"Secrétariat du service {i}",
            )
            if kind == "ORG":
                named = rng.sample(nominative, 2) if len(nominative) >= 2 else []
                row["connection_accounts"] = ";".join(
                    f"{kinds[n].lower()}{n}@bench.example.org" for n in named
                )
        if rng.random() < 0.05:
            _spoil(row, rng, i)
        writer.writerow([row.get(key, "") for key in keys])
    return out.getvalue().encode("utf-8")


def _spoil(row: dict[str, Any], rng: random.Random, i: int) -> None:
    fault = rng.randrange(6)
    if fault == 0:
        row["type"] = "XYZ"
    elif fault == 1:
        row["postal_code"] = "ABCDE"
    elif fault == 2:
        row["last_name"] = ""
    elif fault == 3:
        row["email"] = f"med{max(0, i - 1)}@bench.example.org"  # maybe a duplicate
        row["type"] = "MED"
        row["profession"] = "L10"
    elif fault == 4 and row["type"] == "ORG":
        row["connection_accounts"] = "inconnu@bench.example.org"
    else:
        row["phone1"] = "06 12 AB"


def to_xlsx(source: Path, target: Path) -> None:
    """The same lines as an XLSX workbook (inline strings, one sheet)."""
    from caducee.loadusers.xlsx_stream import write_sheet

    with open(source, encoding="utf-8-sig", newline="") as text:
        reader = csv.reader(text, delimiter=";")
        headers = next(reader)
        write_sheet(str(target), headers, reader)


def load() -> str:
    """Load average and a fixed CPU loop, to read the figures against the machine's state."""
    started = time.perf_counter()
    sum(range(20_000_000))
    loop = time.perf_counter() - started
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min) {five:.1f} (5 min); sum(range(2e7)) in {loop:.2f} s"


# --- Steps, each in its own process --------------------------------------------------


def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caducee.settings")
    from caducee.cli.main import setup_django

    setup_django()


def step(name: str, path: str) -> dict[str, Any]:
    _django()
    from caducee.core.context import cli_context
    from caducee.structures.access import find_structure

    ctx = cli_context()
    if name == "setup":
        from caducee.structures.operations import StructureInput, create_structure

        create_structure(
            ctx,
            StructureInput(
                name=STRUCTURE,
                id_type="FINESS_EJ",
                id_number=luhn("75099999"),
                domain="bench.mssante.fr",
                department="75",
            ),
        )
        return {}
    structure = find_structure(STRUCTURE)
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_SELF)
    # The workbook parser and the validation pool (issue #19); ru_maxrss: the largest one.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    answer: dict[str, Any] = {}
    collecting = _gc_clock()
    if name == "import":
        from caducee.loadusers.importing import import_loadusers

        dry_run = os.environ.get("CADUCEE_BENCH_DRY_RUN") == "1"
        profile = os.environ.get("CADUCEE_BENCH_PROFILE")
        if profile:  # `--profile DIR`: cProfile statistics of the import, one file per run
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        visible = os.environ.get("CADUCEE_BENCH_VISIBLE") == "1"
        result = import_loadusers(ctx, structure, Path(path), dry_run=dry_run, visible=visible)
        if profile:
            profiler.disable()
            target = Path(profile) / f"import-{Path(path).suffix[1:]}-{os.getpid()}.prof"
            profiler.dump_stats(target)
        answer = result.counts
        if profile:
            answer["profile"] = str(target)
        answer["problems"] = len(result.problems)
        answer["addresses_generated"] = result.addresses_generated
    elif name == "generation":
        answer = _generation(structure)
    elif name == "export-csv":
        from caducee.loadusers.exporting import export_csv

        with open(path, "wb") as out:
            for chunk in export_csv(ctx, structure):
                out.write(chunk)
    elif name == "export-xlsx":
        from caducee.loadusers.exporting import export_xlsx

        with export_xlsx(ctx, structure) as data, open(path, "wb") as out:
            while block := data.read(1 << 20):
                out.write(block)
    answer["seconds"] = time.perf_counter() - started
    answer["gc"] = collecting()
    after = resource.getrusage(resource.RUSAGE_SELF)
    answer["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    answer["peak_mb"] = _own_peak_mb()
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    answer["child_cpu"] = (child.ru_utime - children.ru_utime) + (
        child.ru_stime - children.ru_stime
    )
    answer["child_peak_mb"] = child.ru_maxrss / 1024
    return answer


def _own_peak_mb() -> float:
    """The step's own peak resident memory: VmHWM, the high-water mark of this process's
    memory since its `exec`. Not `ru_maxrss`: Linux carries the parent's high-water mark
    over a fork and exec, so every step reported at least the benchmark's own peak (about
    730 MB after generating a 1,000,000-line file, whatever the import used)."""
    try:
        for text in Path("/proc/self/status").read_text().splitlines():
            if text.startswith("VmHWM:"):
                return int(text.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _gc_clock() -> Any:
    """The time the garbage collector runs from now on: () -> {generation: [seconds, runs]}."""
    import gc

    spent: dict[int, list[float]] = {0: [0.0, 0], 1: [0.0, 0], 2: [0.0, 0]}
    began: list[float] = [0.0]

    def clock(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            began[0] = time.perf_counter()
        else:
            spent[info["generation"]][0] += time.perf_counter() - began[0]
            spent[info["generation"]][1] += 1

    gc.callbacks.append(clock)

    def stop() -> dict[int, list[float]]:
        gc.callbacks.remove(clock)
        return spent

    return stop


def _generation(structure: Any) -> dict[str, Any]:
    """`generate_particles` for every imported account's name again (all taken)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from caducee.accounts.models import Account
    from caducee.directory.addresses import base_for, generated_base
    from caducee.directory.generation import Wanted, generate_particles

    accounts = Account.objects.filter(structure=structure).exclude(type="MED")
    wanted = [
        Wanted(a.email, base_for(generated_base(a), is_test=False), structure.domain)
        for a in accounts.only("email", "type", "first_name", "last_name", "description")
    ]
    started, cpu = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        generate_particles(wanted)
    return {
        "wanted": len(wanted),
        "queries": len(queries),
        "inner": time.perf_counter() - started,
        "inner_cpu": time.process_time() - cpu,
    }


def _run_step(env: dict[str, str], name: str, path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--step", name, "--file", str(path)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"step {name} failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _postgres_fresh(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _fresh(label: str, database_url: str, source: Path) -> tuple[Any, dict[str, str], str]:
    """A temporary CADUCEE_HOME, a migrated database with the structure; (dir, env, home)."""
    folder = tempfile.TemporaryDirectory(prefix="caducee-bench-")
    home = folder.name
    if database_url:
        _postgres_fresh(database_url)
    env = {**os.environ, "CADUCEE_HOME": home, "CADUCEE_DATABASE_URL": database_url}
    env["PYTHONPATH"] = str(CODE)
    env["CADUCEE_BENCH_CODE"] = str(CODE)
    # 100,000 filled lines weigh about 21 MB: above the 20 MB default upload limit.
    env["CADUCEE_UPLOAD_MAX_MB"] = str(max(20, int(source.stat().st_size / 2**20) + 5))
    subprocess.run(
        [sys.executable, "-m", "caducee.cli.main", "migrate"],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    _run_step(env, "setup", source)
    return folder, env, home


def bench_import_only(label: str, database_url: str, sources: list[Path], lines: int) -> None:
    """Only the first import of each file, each on a fresh database."""
    print(f"\n== {label} (code: {CODE}) ==")
    for source in sources:
        folder, env, _home = _fresh(label, database_url, source)
        with folder:
            imported = _run_step(env, "import", source)
            what = f"import {source.suffix[1:].upper()} (fresh database)"
            _report(what, lines, imported)
            counts = {k: imported[k] for k in ("created", "updated", "unchanged", "rejected")}
            print(f"   {counts}, {imported['problems']} problems in the report")
            collected = ", ".join(
                f"gen {g}: {seconds:.2f} s in {runs:.0f}"
                for g, (seconds, runs) in imported["gc"].items()
            )
            print(f"   garbage collector (import process): {collected}")
            if "profile" in imported:
                print(f"   profile: {imported['profile']}")
    print(f"Load: {load()}")


def bench_database(label: str, database_url: str, source: Path, lines: int) -> None:
    with tempfile.TemporaryDirectory(prefix="caducee-bench-") as home:
        env = {**os.environ, "CADUCEE_HOME": home, "CADUCEE_DATABASE_URL": database_url}
        env["PYTHONPATH"] = str(CODE)
        env["CADUCEE_BENCH_CODE"] = str(CODE)
        # 100,000 filled lines weigh about 21 MB: above the 20 MB default upload limit.
        env["CADUCEE_UPLOAD_MAX_MB"] = str(max(20, int(source.stat().st_size / 2**20) + 5))
        subprocess.run(  # the only command that migrates; the steps refuse a fresh database
            [sys.executable, "-m", "caducee.cli.main", "migrate"],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        _run_step(env, "setup", source)
        print(f"\n== {label} ==")
        imported = _run_step(env, "import", source)
        _report("import CSV (fresh database)", lines, imported)
        counts = {k: imported[k] for k in ("created", "updated", "unchanged", "rejected")}
        print(f"   {counts}, {imported['problems']} problems in the report")
        print(f"   {imported['addresses_generated']} MSSanté addresses generated")
        gen = _run_step(env, "generation", source)
        print(
            f"{'address generation alone (all names taken)':<46} {gen['inner']:7.2f} s  "
            f"{gen['wanted'] / gen['inner']:8.0f} lines/s  CPU {gen['inner_cpu']:6.2f} s  "
            f"{gen['queries']} queries for {gen['wanted']} addresses"
        )
        exported_csv = Path(home) / "export.csv"
        _report("export CSV", imported["created"], _run_step(env, "export-csv", exported_csv))
        exported_xlsx = Path(home) / "export.xlsx"
        xlsx = _run_step(env, "export-xlsx", exported_xlsx)
        _report("export XLSX", imported["created"], xlsx)
        again = _run_step(env, "import", exported_xlsx)
        _report("re-import of the XLSX export (all unchanged)", imported["created"], again)
        print(f"   unchanged={again['unchanged']} updated={again['updated']}")
        print(f"Load: {load()}")


def _report(what: str, lines: int, figures: dict[str, Any]) -> None:
    seconds = figures["seconds"]
    print(
        f"{what:<46} {seconds:7.1f} s  {lines / seconds:8.0f} lines/s  "
        f"CPU {figures['cpu']:6.1f} s  peak {figures['peak_mb']:6.0f} MB"
        + (
            f"  (children, workbook parser and validation pool: CPU {figures['child_cpu']:.1f} s, "
            f"peak {figures['child_peak_mb']:.0f} MB)"
            if figures.get("child_cpu")
            else ""
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/caducee_bench")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--empty-addresses",
        action="store_true",
        help="PER lines without « MSSanté adresse » too (generated)",
    )
    parser.add_argument(
        "--code",
        help="import the project from this directory (e.g. a checkout of the code before a "
        "change, to measure both in the same run); default: this checkout",
    )
    parser.add_argument(
        "--import-only",
        action="store_true",
        help="only the first import, of the CSV and of the same lines as XLSX, each on a "
        "fresh database (no exports, no re-import)",
    )
    parser.add_argument("--no-xlsx", action="store_true", help="with --import-only: CSV only")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="with --import-only: a dry run (the validation pass and the address plan, "
        "nothing written), e.g. to see the memory of a 1,000,000-line file",
    )
    parser.add_argument(
        "--visible",
        action="store_true",
        help="with --import-only: import the accounts visible in the directory (every new "
        "account gets its search row, not only the ORG and APP ones)",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="with --import-only: write the cProfile statistics of each import in DIR "
        "(read them with `python -m pstats`); the figures are then not comparable",
    )
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(step(args.step, args.file)))
        return 0
    if args.code:
        global CODE
        CODE = Path(args.code).resolve()
    print(f"Machine: {machine()}")
    print(f"Load: {load()}")
    with tempfile.TemporaryDirectory(prefix="caducee-bench-file-") as folder:
        source = Path(folder) / "loaduser.csv"
        started = time.perf_counter()
        source.write_bytes(generate(args.lines, empty_addresses=args.empty_addresses))
        print(
            f"File: {args.lines} lines, {source.stat().st_size / 1024 / 1024:.1f} MB "
            f"(generated in {time.perf_counter() - started:.1f} s)"
        )
        if args.import_only:
            if args.dry_run:
                os.environ["CADUCEE_BENCH_DRY_RUN"] = "1"
            if args.visible:
                os.environ["CADUCEE_BENCH_VISIBLE"] = "1"
            if args.profile:
                os.environ["CADUCEE_BENCH_PROFILE"] = str(Path(args.profile).resolve())
            sources = [source]
            if not args.no_xlsx:
                workbook = Path(folder) / "loaduser.xlsx"
                to_xlsx(source, workbook)
                print(f"Same lines as XLSX: {workbook.stat().st_size / 1024 / 1024:.1f} MB")
                sources.append(workbook)
            if not args.no_sqlite:
                bench_import_only("SQLite (file, WAL)", "", sources, args.lines)
            if not args.no_postgres:
                bench_import_only("PostgreSQL", args.postgres, sources, args.lines)
            return 0
        if not args.no_sqlite:
            bench_database("SQLite (file, WAL)", "", source, args.lines)
        if not args.no_postgres:
            _postgres_fresh(args.postgres)
            bench_database("PostgreSQL", args.postgres, source, args.lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
