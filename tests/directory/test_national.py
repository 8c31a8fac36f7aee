"""The national directory (issue #18 point 3): import, generations, combined search, MED
rule, pages, autocomplete, API, CLI and the scheduler's refresh over loopback HTTP."""

from __future__ import annotations

import threading
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from caducee.audit.models import AuditEvent
from caducee.core.context import cli_context, system_context
from caducee.core.errors import Forbidden, Invalid
from caducee.directory.models import NationalEntry, NationalGeneration
from caducee.directory.national_load import key_range
from caducee.directory.national_search import directory_page, suggestions
from caducee.directory.operations import assign_mssante_address, import_national_directory
from caducee.people.models import User
from caducee.scheduler import registry, runner
from caducee.scheduler.models import JobState
from caducee.structures.models import Structure
from tests.directory.helpers import listed_account
from tests.directory.national_files import line, write
from tests.helpers import api_headers, client_for, ctx_for, run_cli

pytestmark = pytest.mark.django_db


def _lines() -> list[str]:
    return [
        line("jean.martin@medecin.mssante.fr", "MARTIN", "Jean", rpps="810001234567"),
        line("ines.lefevre@pharma.mssante.fr", "LEFÈVRE", "Inès", profession="Pharmacien"),
        line(
            "secretariat@cabinet.mssante.fr",
            kind="ORG",
            service="Secrétariat de cardiologie",
            city="13005 MARSEILLE",
            department="13",
        ),
        line("x@ch-a.mssante.fr", "DOUBLON", "Local"),  # this platform's domain
        line("jean.martin@medecin.mssante.fr", "MARTIN", "Jean"),  # the same address again
        line("app@logiciel.mssante.fr", "LOGICIEL", kind="APP"),
        line("pas-une-adresse", "SANSADRESSE", "Paul"),
        "PER|trop@peu.fr|de colonnes",
    ]


@pytest.fixture
def national_file(tmp_path: Path, structure_a: Structure) -> Path:
    return write(tmp_path / "Extraction_Correspondance_MSS.txt", _lines())


def _per_user(structure: Structure, kind: str = "PER", **extra: Any) -> User:
    account = listed_account(structure, kind, **extra)
    assert account.user is not None
    return account.user


def test_import_loads_the_other_operators_and_counts_what_it_leaves_out(
    national_file: Path, operator: User
) -> None:
    summary = import_national_directory(ctx_for(operator, channel="cli"), national_file)
    assert summary.lines_read == 8 and summary.entries == 3 and not summary.replaced
    assert summary.skipped == {
        "own_domain": 1,
        "duplicate": 1,
        "type": 1,
        "address": 1,
        "columns": 1,
    }
    assert "Boîtes des autres opérateurs retenues : 3" in summary.lines()
    generation = NationalGeneration.objects.get()
    assert generation.state == NationalGeneration.State.CURRENT and generation.entries == 3
    low, high = key_range(generation.pk)
    rows = list(NationalEntry.objects.order_by("id"))
    assert all(low < r.id < high for r in rows)
    # Keys follow the name order: LEFÈVRE, MARTIN, Secrétariat.
    assert [r.display_name for r in rows] == [
        "LEFÈVRE Inès",
        "MARTIN Jean",
        "Secrétariat de cardiologie",
    ]
    event = AuditEvent.objects.get(action="directory.national_import")
    assert event.detail["entries"] == 3


def test_a_second_import_replaces_the_first_and_deletes_its_rows(
    national_file: Path, tmp_path: Path
) -> None:
    import_national_directory(cli_context(), national_file)
    first = NationalGeneration.objects.get()
    other = write(tmp_path / "next.txt", [line("zoe.roux@autre.mssante.fr", "ROUX", "Zoé")])
    summary = import_national_directory(cli_context(), other)
    assert summary.replaced and summary.entries == 1
    first.refresh_from_db()
    assert first.state == NationalGeneration.State.REPLACED
    assert list(NationalEntry.objects.values_list("address", flat=True)) == [
        "zoe.roux@autre.mssante.fr"
    ]
    assert [h.name for h in directory_page("martin", national=True).entries] == []
    assert [h.name for h in directory_page("roux", national=True).entries] == ["ROUX Zoé"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="FTS5 tables: SQLite only")
def test_sqlite_index_is_one_segment_per_generation_and_goes_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each generation has its own FTS5 table, written in batches without merging, then
    merged into one segment; a replaced generation's table is dropped whole."""
    from caducee.directory import national_load

    monkeypatch.setattr(national_load, "BATCH", 2)
    lines = [line(f"p{n}@autre.mssante.fr", f"NOM{n:02d}", "Paul") for n in range(9)]
    import_national_directory(cli_context(), write(tmp_path / "a.txt", lines))
    first = NationalGeneration.objects.get(state="current").pk
    import_national_directory(cli_context(), write(tmp_path / "b.txt", lines[:5]))
    second = NationalGeneration.objects.get(state="current").pk
    table = national_load.fts_table(second)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(DISTINCT segid) FROM {table}_idx")  # noqa: S608
        assert cursor.fetchone()[0] == 1
        cursor.execute(f"SELECT count(*) FROM {table} WHERE {table} MATCH 'paul'")  # noqa: S608
        assert cursor.fetchone()[0] == 5
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE name LIKE %s",
            [national_load.fts_table(first) + "%"],
        )
        assert cursor.fetchone()[0] == 0
    assert not NationalEntry.objects.filter(id__lt=key_range(second)[0]).exists()
    assert directory_page("nom0", national=True).total == 5


@pytest.mark.skipif(connection.vendor != "postgresql", reason="word list: PostgreSQL only")
def test_postgres_reads_a_typed_word_as_the_whole_words_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The load lists its words; a typed word starting few of them is asked as those words,
    one starting more stays a prefix; a word starting none answers at once. The results
    are the same either way."""
    from caducee.directory import national_load, national_search

    lines = [
        line("a@autre.mssante.fr", "KINEL", "Paul", profession="Masseur-Kinésithérapeute"),
        line("b@autre.mssante.fr", "BREST", "Zoé", profession="Masseur-Kinésithérapeute"),
        line("c@autre.mssante.fr", "KINEAU", "Léa", city="29200 BREST"),
        line("d@autre.mssante.fr", "BRESTOIS", "Noé"),
    ]
    import_national_directory(cli_context(), write(tmp_path / "a.txt", lines))
    first = NationalGeneration.objects.get(state="current").pk
    import_national_directory(cli_context(), write(tmp_path / "b.txt", lines))
    current = NationalGeneration.objects.get(state="current").pk
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT generation_id FROM {national_load.WORDS}")  # noqa: S608
        assert [row[0] for row in cursor.fetchall()] == [current] != [first]
    words = national_search._postgres_words(current, ["kine", "zzz", "brest"])
    assert words == [["kineau", "kinel", "kinesitherapeute"], [], ["brest", "brestois"]]
    expanded = national_search._postgres_query(current, ["kine", "brest"])
    assert expanded == ("(kineau | kinel | kinesitherapeute) & (brest | brestois)", "")
    assert national_search._postgres_query(current, ["zzz", "brest"]) is None
    found = {}
    for expand in (16, 1):
        monkeypatch.setattr(national_search, "EXPAND", expand)
        rows, total, _exact = national_search.national_matches("kine brest", limit=5)
        found[expand] = ([r.display_name for r in rows], total)
    assert found[16] == found[1] == (["BREST Zoé", "KINEAU Léa"], 2)
    assert national_search._postgres_query(current, ["kine", "brest"]) == (
        "kine:* & brest:*",
        "",
    )
    assert national_search._postgres_query(current, ["kinel", "brest"]) == (
        "kinel & brest:*",
        "kinel & brest",
    )
    assert national_search._postgres_query(current, ["kinel", "pa"]) == ("kinel & pa:*", "")


def test_a_refused_file_keeps_the_current_set(national_file: Path, tmp_path: Path) -> None:
    import_national_directory(cli_context(), national_file)
    empty = write(tmp_path / "vide.txt", [line("x@ch-a.mssante.fr", "LOCAL", "Seul")])
    with pytest.raises(Invalid, match="aucune boîte utilisable"):
        import_national_directory(cli_context(), empty)
    with pytest.raises(Invalid, match="Fichier illisible"):
        import_national_directory(cli_context(), tmp_path / "absent.txt")
    assert NationalGeneration.objects.filter(state="current").count() == 1
    assert NationalEntry.objects.count() == 3


def test_only_the_operator_or_the_server_imports(
    national_file: Path, alice: User, charlie: User
) -> None:
    for user in (alice, charlie):
        with pytest.raises(Forbidden):
            import_national_directory(ctx_for(user), national_file)
    assert import_national_directory(system_context("scheduler"), national_file).entries == 3


def test_a_zip_archive_is_read_and_a_bad_one_refused(national_file: Path, tmp_path: Path) -> None:
    archive = tmp_path / "Extraction_Correspondance_MSS.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(national_file, national_file.name)
    assert import_national_directory(cli_context(), archive).entries == 3
    two = tmp_path / "deux.zip"
    with zipfile.ZipFile(two, "w") as out:
        out.writestr("a.txt", "x")
        out.writestr("b.txt", "y")
    with pytest.raises(Invalid, match="un seul"):
        import_national_directory(cli_context(), two)


def test_search_merges_local_and_national_in_name_order(
    national_file: Path, structure_a: Structure
) -> None:
    local = listed_account(structure_a, last_name="MARTIN", first_name="Alice")
    assign_mssante_address(cli_context(), local, None)
    import_national_directory(cli_context(), national_file)
    page = directory_page("martin", national=True)
    assert [(h.name, h.other_operator) for h in page.entries] == [
        ("MARTIN Alice", False),
        ("MARTIN Jean", True),
    ]
    assert page.total == 2 and page.exact
    national = page.entries[1]
    assert national.account_id is None and national.mssante == "jean.martin@medecin.mssante.fr"
    assert ("profession", "Profession", "Médecin") in national.fields
    # Without the national directory: the local account only.
    assert [h.name for h in directory_page("martin").entries] == ["MARTIN Alice"]
    # Accents, prefixes, city, department and type filters.
    assert [h.name for h in directory_page("lefev ines", national=True).entries] == ["LEFÈVRE Inès"]
    assert [h.name for h in directory_page("cardio marseille", national=True).entries] == [
        "Secrétariat de cardiologie"
    ]
    org = directory_page("", type="ORG", national=True).entries
    assert [h.name for h in org] == ["Secrétariat de cardiologie"]
    assert directory_page("martin", department="13", national=True).entries == []
    cardio = directory_page("cardio", department="13", type="ORG", national=True)
    assert [h.name for h in cardio.entries] == ["Secrétariat de cardiologie"]
    assert directory_page("cardio", type="PER", national=True).entries == []
    assert directory_page("martin", type="APP", national=True).entries == []
    assert [h.name for h in directory_page("810001234567", national=True).entries] == [
        "MARTIN Jean"
    ]


def test_suggestions_and_pages_of_the_combined_list(tmp_path: Path, structure_a: Structure) -> None:
    lines = [line(f"p{n}@autre.mssante.fr", "DURAND", f"Prénom{n:02d}") for n in range(30)]
    import_national_directory(cli_context(), write(tmp_path / "f.txt", lines))
    listed_account(structure_a, last_name="DURAND", first_name="Aaron")
    assert len(suggestions("dur", national=True)) == 20
    assert suggestions("d", national=True) == []
    first = suggestions("durand", national=True, limit=3)
    assert [h.name for h in first] == ["DURAND Aaron", "DURAND Prénom00", "DURAND Prénom01"]
    page1 = directory_page("durand", size=25, national=True)
    page2 = directory_page("durand", page=2, size=25, national=True)
    assert page1.total == 31 and page1.pages == 2 and page2.number == 2
    names = [h.name for h in page1.entries + page2.entries]
    assert len(names) == 31 and len(set(names)) == 31 and names == sorted(names)


def test_directory_page_marks_other_operators_and_med_sees_none(
    national_file: Path, structure_a: Structure
) -> None:
    import_national_directory(cli_context(), national_file)
    per = client_for(_per_user(structure_a, last_name="LECTEUR"))
    html = per.get(reverse("directory:search"), {"q": "martin"}).content.decode()
    assert "MARTIN Jean" in html and "autre opérateur" in html
    assert "jean.martin@medecin.mssante.fr" in html
    med = client_for(_per_user(structure_a, "MED", last_name="ADMINISTRATIF"))
    html = med.get(reverse("directory:search"), {"q": "martin"}).content.decode()
    assert "MARTIN Jean" not in html and "autre opérateur" not in html


def test_compose_autocomplete_offers_national_addresses(
    national_file: Path, structure_a: Structure, charlie: User
) -> None:
    import_national_directory(cli_context(), national_file)
    per = client_for(_per_user(structure_a, last_name="LECTEUR"))
    data = per.get(reverse("directory:autocomplete"), {"q": "lefev"}).json()
    assert data["results"] == [
        {
            "name": "LEFÈVRE Inès",
            "email": "",
            "mssante": "ines.lefevre@pharma.mssante.fr",
            "type": "PER",
            "structure": "CABINET MÉDICAL",
            "other_operator": True,
            "label": "LEFÈVRE Inès <ines.lefevre@pharma.mssante.fr> — autre opérateur",
        }
    ]
    webmail = per.get(reverse("mail:autocomplete"), {"q": "lefev"}).json()
    assert webmail["results"][0]["address"] == "ines.lefevre@pharma.mssante.fr"
    html = per.get(
        reverse("directory:autocomplete"), {"q": "lefev"}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "autre opérateur" in html
    med = client_for(_per_user(structure_a, "MED", last_name="ADMINISTRATIF"))
    assert med.get(reverse("directory:autocomplete"), {"q": "lefev"}).json() == {"results": []}
    assert client_for(charlie).get(reverse("mail:autocomplete"), {"q": "lefev"}).json() == {
        "results": []
    }


def test_api_search_returns_other_operators_except_to_med(
    client: Client, national_file: Path, structure_a: Structure
) -> None:
    import_national_directory(cli_context(), national_file)
    per = _per_user(structure_a, last_name="LECTEUR")
    data = client.get("/api/v1/directory", {"q": "martin"}, **api_headers(per)).json()
    assert data["total"] == 1
    result = data["results"][0]
    assert result["other_operator"] is True and result["account_id"] is None
    assert result["mssante"] == "jean.martin@medecin.mssante.fr"
    med = _per_user(structure_a, "MED", last_name="ADMINISTRATIF")
    data = client.get("/api/v1/directory", {"q": "martin"}, **api_headers(med)).json()
    assert data["total"] == 0


def test_cli_national_import(capsys: pytest.CaptureFixture[str], national_file: Path) -> None:
    code, out, _ = run_cli(capsys, "directory", "national-import", str(national_file))
    assert code == 0 and "Boîtes des autres opérateurs retenues : 3" in out
    assert "adresse d'un domaine de cette plateforme" in out
    code, out, _ = run_cli(capsys, "directory", "national-import", str(national_file), "--json")
    assert code == 0 and '"replaced": true' in out and '"entries": 3' in out


@pytest.fixture
def http_file(national_file: Path) -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server: /annuaire.txt is the file, anything else a 404."""
    served: list[str] = []
    body = national_file.read_bytes()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.append(self.path)
            if self.path != "/annuaire.txt":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", served
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _job() -> registry.Job:
    job = registry.get("directory_national")
    assert job is not None
    return job


def test_scheduler_job_is_off_without_a_url() -> None:
    with override_settings(DIRECTORY_NATIONAL_URL=""):
        assert "CADUCEE_DIRECTORY_NATIONAL_URL" in _job().disabled()


def test_scheduler_refreshes_from_the_configured_url(http_file: tuple[str, list[str]]) -> None:
    base, served = http_file
    with override_settings(DIRECTORY_NATIONAL_URL=f"{base}/annuaire.txt"):
        assert _job().disabled() == ""
        assert runner.run_job(_job(), "h")
    assert served == ["/annuaire.txt"]
    state = JobState.objects.get(name="directory_national")
    assert state.last_result.startswith("Annuaire national rechargé : 3 boîte(s)")
    generation = NationalGeneration.objects.get(state="current")
    assert generation.source == f"{base}/annuaire.txt"
    event = AuditEvent.objects.get(action="directory.national_import")
    assert event.channel == "system"
    with override_settings(DIRECTORY_NATIONAL_URL=f"{base}/absent.txt"):
        assert not runner.run_job(_job(), "h")
    state.refresh_from_db()
    assert "HTTP 404" in state.last_error
    assert NationalGeneration.objects.get(state="current") == generation


def test_search_reads_only_the_current_generation(national_file: Path, tmp_path: Path) -> None:
    """Rows of a load still in progress (state « loading ») are never found."""
    import_national_directory(cli_context(), national_file)
    loading = NationalGeneration.objects.create(source="en cours", started_at=generation_time())
    low, _high = key_range(loading.pk)
    NationalEntry.objects.create(
        id=low + 1,
        bal_type="PER",
        address="cache@autre.mssante.fr",
        display_name="CACHÉ Pendant",
        keywords="cache pendant martin",
    )
    names = [h.name for h in directory_page("martin", national=True).entries]
    assert names == ["MARTIN Jean"]
    assert directory_page("pendant", national=True).total == 0


def generation_time() -> Any:
    from django.utils import timezone

    return timezone.now()


def test_many_matches_are_read_in_name_order_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL beyond SORT_IN_MEMORY matches: the bounded walk of the first keys when the
    matches come early in the alphabet, else every match fetched and the first kept (made
    small here so that 12 rows reach both paths; SQLite reads the FTS5 index in key order
    and must give the same pages)."""
    from caducee.directory import national_search

    lines = [
        line(f"a{n}@autre.mssante.fr", f"ALPHA{n:02d}", "Lyon", city="69003 LYON") for n in range(6)
    ]
    lines += [
        line(f"z{n}@autre.mssante.fr", f"ZETA{n:02d}", "Brest", city="29200 BREST")
        for n in range(6)
    ]
    import_national_directory(cli_context(), write(tmp_path / "f.txt", lines))
    monkeypatch.setattr(national_search, "SORT_IN_MEMORY", 2)
    monkeypatch.setattr(national_search, "WALK", 4)
    early = national_search.national_matches("lyon", limit=3)
    late = national_search.national_matches("brest", limit=3)
    every = national_search.national_matches("mssante", limit=8)
    assert [r.display_name for r in early[0]] == ["ALPHA00 Lyon", "ALPHA01 Lyon", "ALPHA02 Lyon"]
    assert [r.display_name for r in late[0]] == ["ZETA00 Brest", "ZETA01 Brest", "ZETA02 Brest"]
    assert [r.display_name for r in every[0]][-2:] == ["ZETA00 Brest", "ZETA01 Brest"]
    assert early[1:] == (6, True) and every[1:] == (12, True)


@pytest.mark.parametrize(("count_limit", "expected"), [(20, (8, True)), (3, (3, False))])
def test_the_count_of_whole_words_and_of_prefixes_agree(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    count_limit: int,
    expected: tuple[int, bool],
) -> None:
    """PostgreSQL counts the whole words first and stops there when they reach the cap;
    below it, the prefixes are counted (« lyon » is the start of « LYONNET » too)."""
    from caducee.directory import national_search, search

    lines = [
        line(f"a{n}@autre.mssante.fr", f"ALPHA{n:02d}", "Paul", city="69003 LYON") for n in range(4)
    ]
    lines += [line(f"l{n}@autre.mssante.fr", f"LYONNET{n:02d}", "Zoé") for n in range(4)]
    import_national_directory(cli_context(), write(tmp_path / "f.txt", lines))
    monkeypatch.setattr(national_search, "COUNT_LIMIT", count_limit)
    monkeypatch.setattr(search, "COUNT_LIMIT", count_limit)  # `search.capped`, shared
    monkeypatch.setattr(national_search, "SORT_IN_MEMORY", count_limit)
    rows, total, exact = national_search.national_matches("lyon", limit=2)
    assert (total, exact) == expected
    assert [r.display_name for r in rows] == ["ALPHA00 Paul", "ALPHA01 Paul"]


def test_each_word_is_indexed_once_and_the_whole_address_still_matches(tmp_path: Path) -> None:
    from caducee.directory.national_file import row_of

    text = line("martin.jean@cabinet-martin.mssante.fr", "MARTIN", "Jean", company="MARTIN")
    row = row_of(text.split("|"))
    assert row.keywords.split().count("martin") == 1
    assert row.keywords.split()[:2] == ["martin", "jean"]
    import_national_directory(cli_context(), write(tmp_path / "f.txt", [text]))
    page = directory_page("martin.jean@cabinet-martin.mssante.fr", national=True)
    assert [h.mssante for h in page.entries] == ["martin.jean@cabinet-martin.mssante.fr"]
