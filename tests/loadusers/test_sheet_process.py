"""Workbooks are parsed in a child process: a parser that dies never takes the server down."""

from __future__ import annotations

import datetime
import io
import json
import os
import pickle
import smtplib
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
import xlsxwriter

from caducee.loadusers.sheet_process import Budget, ParseFailed, _Frames, _rows, read_sheet
from tests.factories import finess
from tests.loadusers.builders import ods_cell, ods_row, ods_table, xls_cells, xlsx_corners

ROOT = Path(__file__).resolve().parents[2]


def test_rows_and_types_come_back_from_the_child() -> None:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["Adresse mail", "Date de péremption", "CP"])
    sheet.write_string(1, 0, "a@b.fr")
    day = datetime.datetime(2027, 3, 1)  # noqa: DTZ001 - a spreadsheet date has no zone
    sheet.write_datetime(1, 1, day, book.add_format({"num_format": "d"}))
    sheet.write_number(1, 2, 75012)
    for row in range(2, 5000):  # more than one frame of rows
        sheet.write_string(row, 0, f"x{row}@b.fr")
    book.close()
    rows, height = read_sheet(buffer.getvalue())
    assert height == 5000
    lines = list(rows)
    assert lines[0] == (1, ["Adresse mail", "Date de péremption", "CP"])
    assert lines[1][0] == 2 and lines[1][1][0] == "a@b.fr" and lines[1][1][2] == 75012
    assert lines[1][1][1] in (day, day.date())
    assert lines[-1] == (5000, ["x4999@b.fr", "", ""])


ODS_BOMB = ods_table(
    ods_row(ods_cell("Adresse mail")) + ods_row(ods_cell("1", repeat=16384), repeat=1048575)
)


@pytest.mark.parametrize(
    ("bomb", "words"),
    [
        (
            xlsx_corners(),
            "Le fichier n'a pas pu être lu : sa lecture a dépassé les limites de mémoire (512 Mo)",
        ),  # calamine aborts (SIGABRT)
        (ODS_BOMB, "Classeur illisible (CalamineError)"),  # calamine reports the failure
    ],
    ids=["xlsx", "ods"],
)
def test_a_parser_that_runs_out_of_memory_is_a_refusal(bomb: bytes, words: str) -> None:
    """Given straight to calamine (no measuring first): it fails in the child, not here."""
    with pytest.raises(ParseFailed) as caught:
        read_sheet(bomb, Budget(memory_mb=512, seconds=120), limits=None)
    assert caught.value.message.startswith(words)
    rows, _ = read_sheet(xls_cells([(0, 0, "Adresse mail")]))  # this process still works
    assert list(rows) == [(1, ["Adresse mail"])]


def test_the_child_measures_before_calamine_reads() -> None:
    with pytest.raises(ParseFailed) as caught:
        read_sheet(xlsx_corners(), Budget(memory_mb=512, seconds=120))
    assert "« Comptes » de 1\u202f048\u202f576 lignes" in caught.value.message


def test_a_parse_that_takes_too_long_is_a_refusal() -> None:
    with pytest.raises(ParseFailed) as caught:
        read_sheet(xls_cells([(0, 0, "Adresse mail")]), Budget(seconds=0))
    assert "en 0 secondes" in caught.value.message


def test_a_failure_after_the_first_rows_is_a_refusal() -> None:
    output = tempfile.TemporaryFile()  # noqa: SIM115 - handed to _rows, which closes it
    for frame in [("rows", [["Adresse mail"], ["a@b.fr"]]), ("error", "Classeur illisible (X).")]:
        pickle.dump(frame, output)
    output.seek(0)
    rows = _rows(output)
    assert next(rows) == (1, ["Adresse mail"])
    assert next(rows) == (2, ["a@b.fr"])
    with pytest.raises(ParseFailed) as caught:
        next(rows)
    assert caught.value.message == "Classeur illisible (X)."
    assert output.closed


def test_only_datetime_types_can_come_back() -> None:
    frames = _Frames(io.BytesIO(pickle.dumps(("rows", [[os.getcwd]]))))
    with pytest.raises(pickle.UnpicklingError):
        frames.load()
    frames = _Frames(io.BytesIO(pickle.dumps(("rows", [[datetime.date(2027, 1, 2), 1.5, None]]))))
    assert frames.load() == ("rows", [[datetime.date(2027, 1, 2), 1.5, None]])


# --- The whole platform process survives the bomb ----------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CADUCEE_")}
    env.update(CADUCEE_HOME=str(home), DJANGO_SETTINGS_MODULE="caducee.settings", **extra)
    env.setdefault("CADUCEE_IMAP", "off")  # `caducee serve` below: no IMAP on the default port
    return env


def _cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "caducee.cli.main", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _upload(url: str, token: str, name: str, data: bytes) -> tuple[int, dict[str, object]]:
    boundary = uuid.uuid4().hex
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode() + data
    body += (
        f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="dry_run"\r\n\r\ntrue\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    request = urllib.request.Request(url, body, method="POST")  # noqa: S310 - http://127.0.0.1
    request.add_header("Authorization", f"Bearer {token}")
    request.add_header("Content-Type", f"multipart/form-data; boundary={boundary}")
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def test_caducee_serve_survives_the_bomb_uploads(tmp_path: Path) -> None:
    """Issue #11: the two-cell XLSX used to abort `caducee serve` (exit 134)."""
    http, smtp, submission = _free_port(), _free_port(), _free_port()
    env = _env(
        tmp_path, CADUCEE_SMTP=f"127.0.0.1:{smtp}", CADUCEE_SUBMISSION=f"127.0.0.1:{submission}"
    )
    _cli(env, "migrate")
    _cli(env, "structure", "create", "--name", "CH Bombe", "--finess", finess(911))
    _cli(env, "admin", "create", "--email", "admin@ch-bombe.fr", "--structure", "CH Bombe")
    token = _cli(env, "token", "create", "--email", "admin@ch-bombe.fr").strip().split()[-1]
    process = subprocess.Popen(
        [sys.executable, "-m", "caducee.cli.main", "serve", "--http", f"127.0.0.1:{http}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{http}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{base}/connexion/", timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.2)
        url = f"{base}/api/v1/structures/1/loadusers/import"
        bombs = {
            "coins.xlsx": xlsx_corners(),
            "coins-sans-dimension.xlsx": xlsx_corners(dimension=False),
            "repetee.ods": ODS_BOMB,
            "coin.xls": xls_cells([(0, 0, "Adresse mail"), (65535, 255, 2)]),
        }
        for name, bomb in bombs.items():
            status, body = _upload(url, token, name, bomb)
            assert status == 422, (name, body)
            assert "la limite est de" in str(body["detail"]), (name, body)
        assert process.poll() is None, "caducee serve died"
        with urllib.request.urlopen(f"{base}/connexion/", timeout=10) as response:  # noqa: S310
            assert response.status == 200
        with smtplib.SMTP("127.0.0.1", smtp, timeout=10) as client:
            assert client.ehlo()[0] == 250
    finally:
        process.terminate()
        process.wait(timeout=30)
