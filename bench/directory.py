"""Regional directory search benchmark: 200,000 entries, latency percentiles.

Usage:
    .venv/bin/python bench/directory.py [--entries 200000] [--database sqlite|postgresql]
        [--pg-url postgresql://postgres@127.0.0.1:5432/caducee_directory_bench]
        [--repeat 20] [--reuse] [--keep] [--home DIR] [--pages-only]

It builds a fresh database (a temporary SQLite file, or drops and recreates the PostgreSQL
database named in --pg-url), fills accounts and their DirectoryEntry rows in bulk (the same
`build_entry` the application uses), then times `search_page` (count + first page, as the
web page and API do) and `autocomplete` for typical queries, and prints p50/p95/p99.

Then (issue #19, point 2) it requests the directory page itself through Django's test
client as a professional with a PER mailbox (login, national flag, local and national
search, count, one page of 25, template) and prints, for each page, the number of SQL
queries and p50/p95 of the wall time and of the process's CPU time: a query matching
nothing (the reference: what the page costs), the list, typical searches, a deep page and
the type and department filters. `--pages-only` skips the function timings.

`--keep` (SQLite) keeps the database and prints its CADUCEE_HOME; `--home DIR --reuse`
measures again on it without filling. `--reuse` (PostgreSQL) reuses the database of
`--pg-url`.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.harness import fresh_database, machine  # noqa: E402

SYLLABLES = [
    "ber",
    "mar",
    "tin",
    "du",
    "pont",
    "le",
    "roux",
    "fa",
    "ure",
    "gi",
    "rard",
    "mo",
    "reau",
    "lam",
    "bert",
    "ro",
    "sseau",
    "bla",
    "nc",
    "gar",
    "nier",
    "che",
    "val",
    "lier",
    "fon",
    "taine",
    "dé",
    "pré",
    "lé",
    "vê",
    "que",
    "bou",
    "cher",
    "mer",
    "cier",
    "na",
    "dal",
]
FIRST = [
    "Jeanne",
    "Paul",
    "Hélène",
    "Élise",
    "Noé",
    "Inès",
    "Léo",
    "Zoé",
    "Marc",
    "Anaïs",
    "Louis",
    "Camille",
    "Chloé",
    "Hugo",
    "Manon",
    "Lucas",
    "Léa",
    "Jules",
    "Emma",
    "Théo",
]
CITIES = [
    ("MARSEILLE", "13005", "13"),
    ("NICE", "06000", "06"),
    ("TOULON", "83000", "83"),
    ("AVIGNON", "84000", "84"),
    ("PARIS", "75012", "75"),
    ("LYON", "69003", "69"),
    ("NANTES", "44000", "44"),
    ("LILLE", "59000", "59"),
    ("AJACCIO", "20000", "2A"),
    ("BASTIA", "20200", "2B"),
    ("TOULOUSE", "31000", "31"),
    ("ALBI", "81000", "81"),
]
KINDS = ["PER"] * 70 + ["INT"] * 5 + ["MED"] * 15 + ["ORG"] * 8 + ["APP"] * 2


def prepare_database(kind: str, pg_url: str, reuse: bool = False, home: str = "") -> None:
    if home:  # SQLite: the database kept by an earlier run (--keep)
        os.environ["CADUCEE_HOME"] = home
        os.environ.pop("CADUCEE_DATABASE_URL", None)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caducee.settings")
        import django

        django.setup()
    else:
        fresh_database(kind, pg_url, "directory", reuse)
    from django.conf import settings

    # The test client's host; no template instrumentation (that would slow rendering).
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    logging.getLogger("caducee.access").setLevel(logging.WARNING)  # one line per request


def fill(entries: int, rng: random.Random) -> tuple[float, float]:
    from django.db import transaction
    from stdnum import luhn

    from caducee.directory.entries import rebuild_entries
    from caducee.referentials import lists
    from caducee.structures.models import Structure

    specialties = [e.code for e in lists.specialties()]
    professions = [e.code for e in lists.professions()]
    started = time.perf_counter()
    structures = Structure.objects.bulk_create(
        [
            Structure(
                name=f"Établissement {i:03d} {rng.choice(CITIES)[0].title()}",
                id_type="FINESS_EJ",
                id_number=f"75{i:06d}" + luhn.calc_check_digit(f"75{i:06d}"),
                domain=f"etab{i:03d}.mssante.fr",
                department="13",
            )
            for i in range(200)
        ]
    )
    with transaction.atomic():
        _fill_accounts(structures, entries, 5000, rng, specialties, professions)
    print()
    accounts_done = time.perf_counter()
    listed = rebuild_entries()
    assert listed == entries, listed
    return accounts_done - started, time.perf_counter() - accounts_done


def _fill_accounts(
    structures: list[Any],
    entries: int,
    batch: int,
    rng: random.Random,
    specialties: list[str],
    professions: list[str],
) -> int:
    from stdnum import luhn

    from caducee.accounts.models import Account, AccountState

    made = 0
    while made < entries:
        accounts: list[Account] = []
        for n in range(made, min(entries, made + batch)):
            kind = rng.choice(KINDS)
            last = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).upper()
            first = rng.choice(FIRST)
            city, postal, dept = rng.choice(CITIES)
            rpps = luhn.calc_check_digit(f"1{n:09d}")
            accounts.append(
                Account(
                    structure=structures[n % len(structures)],
                    state=AccountState.VALID,
                    visible=True,
                    email=f"u{n}@bench.example.org",
                    last_name=last if kind not in ("ORG", "APP") else "SECRETARIAT",
                    first_name=first,
                    description=f"Secrétariat {last.title()}" if kind in ("ORG", "APP") else "",
                    rpps=f"1{n:09d}{rpps}" if kind == "PER" else "",
                    city=city,
                    postal_code=postal,
                    department=dept,
                    profession=rng.choice(professions),
                    specialty=rng.choice(specialties) if rng.random() < 0.7 else "",
                    type=kind,
                    mssante_particle=f"{first.lower()}.{last.lower()}{n}" if kind != "MED" else "",
                )
            )
        made += len(Account.objects.bulk_create(accounts))
        print(f"  {made} comptes…", end="\r", flush=True)
    return made


def percentiles(samples: list[float]) -> tuple[float, float, float]:
    ordered = sorted(samples)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def timed(call: Callable[[], Any], repeat: int) -> list[float]:
    out: list[float] = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        out.append((time.perf_counter() - started) * 1000)
    return out


def run(
    kind: str,
    entries: int,
    pg_url: str,
    repeat: int,
    reuse: bool = False,
    *,
    home: str = "",
    keep: bool = False,
    pages_only: bool = False,
) -> None:
    rng = random.Random(42)
    prepare_database(kind, pg_url, reuse, home)
    from django.db import connection

    print(f"Base : {kind} ({connection.vendor}) — {machine()}")
    print(f"Charge : {os.getloadavg()}")
    if reuse:
        print("Base existante réutilisée (--reuse) : pas de remplissage.")
    else:
        seconds, rebuild = fill(entries, rng)
        print(
            f"Remplissage : {entries} comptes en {seconds:.1f} s, "
            f"table de recherche (caducee directory rebuild) en {rebuild:.1f} s"
        )
    if connection.vendor == "postgresql":
        # What autovacuum does after a bulk load: statistics and the visibility map.
        connection.ensure_connection()
        connection.connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    if not pages_only:
        time_functions(kind, entries, repeat, rng)
    time_pages(repeat)
    print(f"Charge après : {os.getloadavg()}")
    if kind == "sqlite":
        connection.close()
        if keep or home:
            print(f"Base conservée : --home {os.environ['CADUCEE_HOME']}")
        else:
            shutil.rmtree(os.environ["CADUCEE_HOME"], ignore_errors=True)


def time_functions(kind: str, entries: int, repeat: int, rng: random.Random) -> None:
    from caducee.directory.models import DirectoryEntry
    from caducee.directory.search import autocomplete, search_page

    sample = (
        list(DirectoryEntry.objects.order_by("?")[:12])
        if kind == "postgresql"
        else [DirectoryEntry.objects.get(pk=pk) for pk in rng.sample(range(1, entries + 1), 12)]
    )
    people = [e for e in sample if e.type in ("PER", "INT", "MED")][:6] or sample[:6]
    with_rpps = list(DirectoryEntry.objects.filter(type="PER").values_list("data", flat=True)[:4])
    rpps = [next(v for k, _t, v in data["fields"] if k == "rpps") for data in with_rpps]
    queries: dict[str, list[str]] = {
        "nom (préfixe)": [e.display_name.split()[0][:4] for e in people],
        "nom + prénom": [
            f"{e.display_name.split()[0][:5]} {e.display_name.split()[1][:3]}" for e in people
        ],
        "ville + profession": ["marseille medecin", "nice infirmier", "lyon pharmacien"],
        "code postal": ["13005", "06000", "2000"],
        "RPPS exact": rpps,
        "adresse MSSanté": [e.mssante_address.split("@")[0] for e in sample if e.mssante_address][
            :4
        ],
        "très fréquent": ["medecin", "paris", "jeanne", "s"],
        "page vide (liste)": [""],
    }
    print(f"{'requête':<22}{'résultats':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    overall: list[float] = []
    for label, terms in queries.items():
        samples: list[float] = []
        total = 0
        for term in terms:
            total = search_page(term).total
            samples += timed(lambda t=term: search_page(t), repeat)
        overall += samples
        p50, p95, p99 = percentiles(samples)
        print(f"{label:<22}{total:>10}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}")
    auto: list[float] = []
    for term in ["be", "ma", "marseille", "jeanne.b", "130", *queries["nom (préfixe)"]]:
        auto += timed(lambda t=term: autocomplete(t), repeat)
    p50, p95, p99 = percentiles(auto)
    print(f"{'autocomplétion (20)':<22}{'':>10}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}")
    p50, p95, p99 = percentiles(overall)
    print(f"{'toutes recherches':<22}{'':>10}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}")
    from caducee.accounts.models import Account
    from caducee.directory.entries import refresh_entry

    renamed = list(
        Account.objects.select_related("structure").filter(
            pk__in=rng.sample(range(1, entries), 100)
        )
    )
    writes: list[float] = []
    for account in renamed:  # a renamed account moves in the name order
        account.last_name = rng.choice(SYLLABLES).upper() + account.last_name
        writes += timed(lambda a=account: refresh_entry(a), 1)
    p50, p95, p99 = percentiles(writes)
    print(f"{'mise à jour entrée':<22}{'':>10}{p50:>9.1f}{p95:>9.1f}{p99:>9.1f}")


class QueryCounter(list[str]):
    """An execute wrapper keeping the SQL of each query run."""

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.append(sql)
        return execute(sql, params, many, context)


def page_user() -> Any:
    """A professional whose own mailbox is a PER account of the directory (the national
    results are asked for too, as for any such person)."""
    from caducee.accounts.models import Account
    from caducee.people.models import User

    user = User.objects.filter(email="lecteur@bench.example.org").first()
    if user is None:
        user = User.objects.create_user("lecteur@bench.example.org", first_name="Léa")
        account = Account.objects.filter(type="PER", user=None).order_by("pk").first()
        assert account is not None
        Account.objects.filter(pk=account.pk).update(user=user)
    return user


def time_pages(repeat: int) -> None:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    client = Client()
    client.force_login(page_user(), backend="django.contrib.auth.backends.ModelBackend")
    url = reverse("directory:search")
    cases: dict[str, dict[str, str]] = {
        "référence (aucun résultat)": {"q": "zzzqxw"},
        "liste (sans recherche)": {},
        "nom (préfixe « mart »)": {"q": "mart"},
        "nom + prénom": {"q": "martin jea"},
        "ville + profession": {"q": "marseille medecin"},
        "code postal": {"q": "13005"},
        "très fréquent « s »": {"q": "s"},
        "très fréquent, page 40": {"q": "medecin", "page": "40"},
        "type PER + département 06": {"q": "jeanne", "type": "PER", "departement": "06"},
        "liste, type ORG, page 20": {"type": "ORG", "page": "20"},
    }
    print(f"{'page annuaire':<28}{'req.':>5}{'p50 ms':>8}{'p95 ms':>8}{'CPU p50':>9}{'CPU p95':>9}")
    cpu_started = time.process_time()
    for label, params in cases.items():
        client.get(url, params)  # warm-up
        queries = QueryCounter()
        with connection.execute_wrapper(queries):
            response = client.get(url, params)
        assert response.status_code == 200, (label, response.status_code)
        walls: list[float] = []
        cpus: list[float] = []
        for _ in range(repeat):
            started, cpu = time.perf_counter(), time.process_time()
            client.get(url, params)
            cpus.append((time.process_time() - cpu) * 1000)
            walls.append((time.perf_counter() - started) * 1000)
        p50, p95, _ = percentiles(walls)
        c50, c95, _ = percentiles(cpus)
        print(f"{label:<28}{len(queries):>5}{p50:>8.1f}{p95:>8.1f}{c50:>9.1f}{c95:>9.1f}")
    print(f"CPU du processus pendant les pages : {time.process_time() - cpu_started:.1f} s")


def luhn_rpps(n: int) -> str:
    from stdnum import luhn

    return f"1{n:09d}" + luhn.calc_check_digit(f"1{n:09d}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=200_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument(
        "--pg-url", default="postgresql://postgres@127.0.0.1:5432/caducee_directory_bench"
    )
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="réutiliser la base d'une exécution précédente (PostgreSQL, ou SQLite avec --home)",
    )
    parser.add_argument("--keep", action="store_true", help="SQLite : garder la base")
    parser.add_argument("--home", default="", help="SQLite : CADUCEE_HOME gardé par --keep")
    parser.add_argument("--pages-only", action="store_true", help="seulement les pages web")
    args = parser.parse_args()
    home = args.home if args.database == "sqlite" and args.reuse else ""
    run(
        args.database,
        args.entries,
        args.pg_url,
        args.repeat,
        args.reuse and (args.database == "postgresql" or bool(home)),
        home=home,
        keep=args.keep,
        pages_only=args.pages_only,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
