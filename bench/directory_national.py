"""National directory benchmark: `caducee directory national-import` on 1,000,000 lines,
then the combined directory search at that size.

Usage:
    .venv/bin/python bench/directory_national.py [--lines 1000000] [--searches 400]
        [--postgres postgresql://postgres@127.0.0.1:5432/caducee_bench_national]
        [--no-postgres] [--no-sqlite]

It writes a temporary extraction in the 31-column `|` format of the directory export
(caducee/directory/pipe.py, with its header line): 92 % PER mailboxes (names drawn from
lists of 400 last names and 120 first names with accents, a profession, a city) and 8 %
ORG mailboxes, each on one of 40 operator domains. Then, for each database, on a fresh
database (a temporary CADUCEE_HOME with SQLite, or the PostgreSQL database dropped and
created again), one process (`--step`) imports it twice: into an empty platform, then
again over itself (the replacement path: the old generation is deleted after the swap).

It then times `directory_page(…, national=True)` (the directory page and API, first page
of 25 with its count) and `suggestions(…, national=True)` (the compose autocomplete) on a
mix of queries: a last name prefix of 3 letters, a full last name, last name + first
name, name + city, a profession + city, an exact national identifier, an address prefix.
Each query kind runs `--searches / 7` times with different words; p50, p95 and max are
printed in milliseconds, with this process's CPU time (on SQLite the search's own work; on
PostgreSQL the server's work is not in it). The machine and its load are printed before
and after. `--searches-only HOME` times the searches again on the database a previous run
left (its CADUCEE_HOME is printed; PostgreSQL: the `--postgres` database), without
importing.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import fresh_database, machine  # noqa: E402

SYLLABLES = ["ma", "ber", "du", "tho", "ro", "ri", "pe", "lef", "mo", "gar", "lé", "goff"]
SYLLABLES += ["dia", "al", "mei", "da", "chau", "vin", "fon", "tai", "né", "ç", "bou", "lan"]
FIRST = ["Jeanne", "Paul", "Hélène", "Éric", "Chloé", "Karim", "Inès", "Louis", "Anaïs"]
FIRST += ["Jean-Pierre", "Marie-Noëlle", "Zoé", "Léa", "Noé", "Maëlle", "François"]
PROFESSIONS = [("10", "Médecin"), ("21", "Pharmacien"), ("60", "Infirmier")]
PROFESSIONS += [("70", "Masseur-Kinésithérapeute"), ("40", "Chirurgien-Dentiste")]
PROFESSIONS += [("50", "Sage-Femme"), ("91", "Orthophoniste")]
CITIES = [("81000", "ALBI", "81"), ("75012", "PARIS", "75"), ("13005", "MARSEILLE", "13")]
CITIES += [("69003", "LYON", "69"), ("31000", "TOULOUSE", "31"), ("97400", "SAINT DENIS", "974")]
CITIES += [("29200", "BREST", "29"), ("67000", "STRASBOURG", "67"), ("59000", "LILLE", "59")]
CITIES += [("20000", "AJACCIO", "2A"), ("44000", "NANTES", "44"), ("33000", "BORDEAUX", "33")]


def names(rng: random.Random, count: int) -> list[str]:
    found: set[str] = set()
    while len(found) < count:
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4)))
        found.add(word.upper())
    return sorted(found)


def generate(path: Path, lines: int, seed: int = 18) -> dict[str, list[str]]:
    """The extraction file (deterministic for a seed); returns words to search for."""
    from caducee.directory.pipe_columns import PIPE_COLUMNS

    index = {name: i for i, name in enumerate(PIPE_COLUMNS)}
    rng = random.Random(seed)
    last_names = names(rng, 400)
    domains = [f"op{n}.mssante.fr" for n in range(40)]
    sample: dict[str, list[str]] = {"last": last_names, "rpps": [], "address": []}
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write("|".join(PIPE_COLUMNS) + "\n")
        for n in range(lines):
            cells = [""] * len(PIPE_COLUMNS)
            postal, city, department = rng.choice(CITIES)
            domain = domains[n % len(domains)]
            last, first = rng.choice(last_names), rng.choice(FIRST)
            if rng.random() < 0.92:
                code, label = rng.choice(PROFESSIONS)
                rpps = f"1{n:010d}"
                cells[index["Type de BAL"]] = "PER"
                particle = f"{first}.{last}.{n}".lower().replace(" ", "")
                cells[index["Type Identifiant PP"]] = "8"
                cells[index["Identifiant PP"]] = rpps
                cells[index["Identification nationale PP"]] = "8" + rpps
                cells[index["Nom d'exercice"]], cells[index["Prénom d'exercice"]] = last, first
                cells[index["Code Profession"]], cells[index["Libellé Profession"]] = code, label
                if n % 997 == 0:
                    sample["rpps"].append("8" + rpps)
            else:
                particle = f"secretariat.{n}"
                cells[index["Type de BAL"]] = "ORG"
                cells[index["Service de rattachement"]] = f"Secrétariat {last.title()}"
            address = f"{particle}@{domain}"
            if n % 1009 == 0:
                sample["address"].append(address.split("@")[0][:12])
            cells[index["Adresse BAL"]] = address
            cells[index["Raison Sociale structure BAL"]] = f"CABINET {last}"
            cells[index["L6LIGNEACHEMINEMENT structure BAL"]] = f"{postal} {city}"
            cells[index["Code postal structure BAL"]] = postal
            cells[index["Département structure BAL"]] = department
            cells[index["Pays structure BAL"]] = "France"
            out.write("|".join(cells) + "\n")
    return sample


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def _queries(sample: dict[str, list[str]], per_kind: int, seed: int = 7) -> dict[str, list[str]]:
    rng = random.Random(seed)
    last = sample["last"]
    cities = [c[1].split()[0].lower() for c in CITIES]
    professions = ["medecin", "pharmacien", "infirmier", "kine", "sage", "orthophoniste"]
    pick = [rng.randrange(len(last)) for _ in range(per_kind)]
    return {
        "prefix 3": [last[i][:3].lower() for i in pick],
        "last name": [last[i].lower() for i in pick],
        "name first": [f"{last[i].lower()} {rng.choice(FIRST)[:4]}" for i in pick],
        "name city": [f"{last[i].lower()} {rng.choice(cities)}" for i in pick],
        "prof city": [f"{rng.choice(professions)} {rng.choice(cities)}" for _ in pick],
        "rpps": [rng.choice(sample["rpps"]) for _ in pick],
        "address": [rng.choice(sample["address"]) for _ in pick],
    }


def _timed(func: object, queries: list[str]) -> dict[str, float]:
    """Wall time of each query, and this process's CPU time (SQLite works in the process;
    PostgreSQL's own work is not in it), in milliseconds."""
    times, cpu = [], []
    for query in queries:
        started, cpu_started = time.perf_counter(), time.process_time()
        func(query)  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    times.sort()
    cpu.sort()
    p95 = max(0, int(len(times) * 0.95) - 1)
    return {
        "p50": round(statistics.median(times), 1),
        "p95": round(times[p95], 1),
        "max": round(times[-1], 1),
        "cpu_p50": round(statistics.median(cpu), 1),
        "cpu_p95": round(cpu[p95], 1),
    }


def step(
    kind: str, path: Path, pg_url: str, sample_file: Path, searches: int, home: str = ""
) -> dict[str, object]:
    """In a fresh process: a fresh database, two imports of the file, then the searches
    (with `home`: only the searches, on the database a previous run left there)."""
    if home:
        os.environ["CADUCEE_HOME"] = home
        if kind == "postgresql":
            os.environ["CADUCEE_DATABASE_URL"] = pg_url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caducee.settings")
        import django

        django.setup()
    else:
        fresh_database(kind, pg_url, "national")
    from caducee.core.context import cli_context
    from caducee.directory.national_search import directory_page, suggestions
    from caducee.directory.operations import import_national_directory

    runs = []
    labels = ("empty",) if os.environ.get("BENCH_NO_REPLACE") else ("empty", "replace")
    for label in () if home else labels:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        summary = import_national_directory(cli_context(), path)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
        runs.append(
            {
                "run": label,
                "lines": summary.lines_read,
                "entries": summary.entries,
                "wall_s": round(wall, 1),
                "lines_per_s": round(summary.lines_read / wall),
                "cpu_s": round(cpu, 1),
                "peak_rss_mib": round(after.ru_maxrss / 1024),
            }
        )
    sample = json.loads(sample_file.read_text())
    queries = _queries(sample, max(1, searches // 7))
    timings: dict[str, dict[str, dict[str, float]]] = {}
    for name, words in queries.items():
        directory_page(words[0], national=True)  # warm the caches once
        timings[name] = {
            "page": _timed(lambda q: directory_page(q, national=True), words),
            "suggest": _timed(lambda q: suggestions(q, national=True), words),
        }
    home_used = os.environ["CADUCEE_HOME"]
    return {"database": kind, "runs": runs, "searches": timings, "home": home_used}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--searches", type=int, default=700)
    parser.add_argument(
        "--postgres", default="postgresql://postgres@127.0.0.1:5432/caducee_bench_national"
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--searches-only",
        metavar="CADUCEE_HOME",
        default="",
        help="no import: time the searches on the database left by a previous run "
        "(SQLite: its CADUCEE_HOME, printed at the end; PostgreSQL: --postgres)",
    )
    parser.add_argument(
        "--no-replace", action="store_true", help="one import only (no replacing run)"
    )
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--sample", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        result = step(
            args.step,
            Path(args.file),
            args.postgres,
            Path(args.sample),
            args.searches,
            args.searches_only,
        )
        print(json.dumps(result))
        return 0
    if args.no_replace:
        os.environ["BENCH_NO_REPLACE"] = "1"  # read by the --step processes
    print(machine())
    print(f"load average before: {load_average()}")
    with tempfile.TemporaryDirectory(prefix="caducee-bench-national-") as folder:
        path = Path(folder) / "Extraction_Correspondance_MSS.txt"
        sample_file = Path(folder) / "sample.json"
        started = time.perf_counter()
        sample_file.write_text(json.dumps(generate(path, args.lines)))
        size = path.stat().st_size / 1024 / 1024
        print(
            f"file: {args.lines} lines, {size:.0f} MiB, generated in "
            f"{time.perf_counter() - started:.0f} s"
        )
        kinds = [
            k
            for k, off in (("sqlite", args.no_sqlite), ("postgresql", args.no_postgres))
            if not off
        ]
        for kind in kinds:
            command = [sys.executable, __file__, "--step", kind, "--file", str(path)]
            command += ["--postgres", args.postgres, "--sample", str(sample_file)]
            command += ["--searches", str(args.searches), "--searches-only", args.searches_only]
            done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
            if done.returncode != 0:
                print(f"{kind}: failed\n{done.stderr}")
                return 1
            result = json.loads(done.stdout.strip().splitlines()[-1])
            for run in result["runs"]:
                print(
                    f"{kind:10} import {run['run']:8} {run['lines']} lines → {run['entries']} "
                    f"entries: {run['wall_s']} s wall, {run['lines_per_s']} lines/s, "
                    f"{run['cpu_s']} s CPU, peak RSS {run['peak_rss_mib']} MiB"
                )
            for name, timing in result["searches"].items():
                page, suggest = timing["page"], timing["suggest"]
                print(
                    f"{kind:10} search {name:11} page p50 {page['p50']} p95 {page['p95']} "
                    f"max {page['max']} ms (CPU p50 {page['cpu_p50']} p95 {page['cpu_p95']}) | "
                    f"autocomplete p50 {suggest['p50']} p95 {suggest['p95']} max {suggest['max']} "
                    f"ms (CPU p50 {suggest['cpu_p50']} p95 {suggest['cpu_p95']})"
                )
            print(f"{kind:10} database left in CADUCEE_HOME={result['home']}")
    print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
