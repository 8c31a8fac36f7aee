"""RPPS extraction benchmark: `caducee referentials rpps-import` on 1,000,000 lines.

Usage:
    .venv/bin/python bench/rpps_import.py [--lines 1000000]
        [--postgres postgresql://postgres@127.0.0.1:5432/caducee_bench] [--no-postgres]
        [--no-sqlite]

It writes a temporary PS_LibreAcces_Personne_activite file as the ANS publishes it (the
52-column header, `|`-separated, a trailing `|`, UTF-8 with accented names): one to three
activity lines per person (about 1.5 on average), about 2 % ADELI lines (skipped), 0.3 %
numbers with a wrong key (skipped). Then, for each database, on a fresh database (a
temporary CADUCEE_HOME with SQLite, or the PostgreSQL database dropped and created
again), one process (`--step`) imports it twice: into an empty platform, then again over
itself (the replacement path: the old rows are deleted after the swap).

Each import reports its wall time, lines per second, the process's CPU time (user +
system; PostgreSQL's own work is not in it) and the process's peak resident memory
(getrusage ru_maxrss). The machine's load is printed before and after: on a shared
machine the wall time can be several times the CPU time. The file is deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import fresh_database, machine  # noqa: E402

PROFESSIONS = [("10", "Médecin", 45), ("21", "Pharmacien", 12), ("60", "Infirmier", 25)]
PROFESSIONS += [("70", "Masseur-Kinésithérapeute", 10), ("40", "Chirurgien-Dentiste", 5)]
PROFESSIONS += [("50", "Sage-Femme", 3)]
LAST = ["MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND"]
LAST += ["LEFÈVRE", "MOREAU", "GARÇON", "LE GOFF", "N'DIAYE", "D'ALMEIDA"]
FIRST = ["Jeanne", "Paul", "Hélène", "Éric", "Chloé", "Karim", "Inès", "Louis", "Anaïs"]
FIRST += ["Jean-Pierre", "Marie-Noëlle", "Zoé"]
CITIES = [("81000", "ALBI", "81"), ("75012", "PARIS", "75"), ("13005", "MARSEILLE", "13")]
CITIES += [("69003", "LYON", "69"), ("31000", "TOULOUSE", "31"), ("97400", "SAINT DENIS", "974")]


def luhn(prefix: str) -> str:
    from stdnum import luhn as stdnum_luhn

    return prefix + stdnum_luhn.calc_check_digit(prefix)


def generate(path: Path, lines: int, seed: int = 16) -> None:
    """The extraction file, deterministic for a given seed, written as it is generated."""
    from tests.referentials.extraction_files import HEADER, WIDTH

    rng = random.Random(seed)
    codes = [p for p in PROFESSIONS for _ in range(p[2])]
    written = 0
    person = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        out.write(HEADER + "\n")
        while written < lines:
            person += 1
            roll = rng.random()
            if roll < 0.02:
                kind, ident = "0", luhn(f"75{person % 1_000_000:06d}")
            else:
                kind, ident = "8", luhn(f"1{person:09d}")
                if roll < 0.023:  # a wrong key
                    ident = ident[:-1] + str((int(ident[-1]) + 1) % 10)
            code, label, _ = rng.choice(codes)
            last, first = rng.choice(LAST), rng.choice(FIRST)
            for _ in range(min(rng.choice((1, 1, 1, 2, 2, 3)), lines - written)):
                postal, city, department = rng.choice(CITIES)
                fields = [""] * WIDTH
                fields[0], fields[1], fields[2] = kind, ident, kind + ident
                fields[3], fields[4] = ("DR", "Docteur") if code == "10" else ("", "")
                fields[5], fields[6] = rng.choice((("M", "Monsieur"), ("MME", "Madame")))
                fields[7], fields[8], fields[9], fields[10] = last, first, code, label
                fields[11], fields[12] = "C", "Civil"
                fields[17], fields[18] = rng.choice((("L", "Libéral"), ("S", "Salarié")))
                fields[19] = luhn(f"{rng.randrange(10**12):012d}") + "0"
                fields[23] = f"R{rng.randrange(10**14):014d}"
                fields[24] = f"CABINET {last}"
                fields[28], fields[30], fields[31] = str(rng.randint(1, 200)), "R", "Rue"
                fields[32] = "DE LA SANTÉ"
                fields[34], fields[35] = f"{postal} {city}", postal
                fields[37], fields[38], fields[39] = city, "99000", "France"
                fields[40] = f"05{rng.randrange(10**8):08d}"
                fields[44] = department
                fields[47], fields[48] = "CNOM/CNOM/CNOM", "SA07"
                fields[49] = "Cabinet individuel"
                out.write("|".join(fields) + "\n")
                written += 1


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def step(kind: str, path: Path, pg_url: str) -> dict[str, object]:
    """In a fresh process: a fresh database, then two imports of the file."""
    fresh_database(kind, pg_url, "rpps")
    from caducee.core.context import cli_context
    from caducee.referentials.operations import import_rpps_extraction

    runs = []
    archive = path.with_name("PS_LibreAcces_202612070000.zip")
    for label, source in (("empty", path), ("replace", path), ("zip", archive)):
        if not source.exists():
            continue
        usage = resource.getrusage(resource.RUSAGE_SELF)
        started = time.perf_counter()
        summary = import_rpps_extraction(cli_context(), source)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (after.ru_utime - usage.ru_utime) + (after.ru_stime - usage.ru_stime)
        runs.append(
            {
                "run": label,
                "lines": summary.lines_read,
                "professionals": summary.professionals,
                "skipped": summary.lines_skipped,
                "wall_s": round(wall, 1),
                "lines_per_s": round(summary.lines_read / wall),
                "cpu_s": round(cpu, 1),
                "peak_rss_mib": round(after.ru_maxrss / 1024),
            }
        )
    return {"database": kind, "runs": runs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument(
        "--postgres", default="postgresql://postgres@127.0.0.1:5432/caducee_bench_rpps"
    )
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument(
        "--zip", action="store_true", help="also import the file zipped, as downloaded"
    )
    parser.add_argument("--step", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(step(args.step, Path(args.file), args.postgres)))
        return 0
    print(machine())
    print(f"load average before: {load_average()}")
    with tempfile.TemporaryDirectory(prefix="caducee-bench-rpps-") as folder:
        path = Path(folder) / "PS_LibreAcces_Personne_activite_202612070000.txt"
        started = time.perf_counter()
        generate(path, args.lines)
        if args.zip:
            with zipfile.ZipFile(
                path.with_name("PS_LibreAcces_202612070000.zip"), "w", zipfile.ZIP_DEFLATED
            ) as archive:
                archive.write(path, path.name)
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
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--step",
                    kind,
                    "--file",
                    str(path),
                    "--postgres",
                    args.postgres,
                ],
                capture_output=True,
                text=True,
                check=False,
                cwd=ROOT,
            )
            if done.returncode != 0:
                print(f"{kind}: failed\n{done.stderr}")
                return 1
            result = json.loads(done.stdout.strip().splitlines()[-1])
            for run in result["runs"]:
                print(
                    f"{kind:10} {run['run']:8} {run['lines']} lines → {run['professionals']} "
                    f"professionals ({run['skipped']} skipped): {run['wall_s']} s wall, "
                    f"{run['lines_per_s']} lines/s, {run['cpu_s']} s CPU, "
                    f"peak RSS {run['peak_rss_mib']} MiB"
                )
    print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
