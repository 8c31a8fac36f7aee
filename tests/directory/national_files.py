"""National extraction files for the tests: the 31-column `|` format of pipe.py."""

from __future__ import annotations

from pathlib import Path

from caducee.directory.pipe_columns import PIPE_COLUMNS

INDEX = {name: i for i, name in enumerate(PIPE_COLUMNS)}


def line(
    address: str,
    last: str = "",
    first: str = "",
    *,
    kind: str = "PER",
    profession: str = "Médecin",
    city: str = "75012 PARIS",
    department: str = "75",
    service: str = "",
    company: str = "CABINET MÉDICAL",
    rpps: str = "",
) -> str:
    cells = [""] * len(PIPE_COLUMNS)
    cells[INDEX["Type de BAL"]] = kind
    cells[INDEX["Adresse BAL"]] = address
    cells[INDEX["Identification nationale PP"]] = rpps
    cells[INDEX["Nom d'exercice"]] = last
    cells[INDEX["Prénom d'exercice"]] = first
    cells[INDEX["Libellé Profession"]] = profession if kind == "PER" else ""
    cells[INDEX["Service de rattachement"]] = service
    cells[INDEX["Raison Sociale structure BAL"]] = company
    cells[INDEX["L6LIGNEACHEMINEMENT structure BAL"]] = city
    cells[INDEX["Département structure BAL"]] = department
    cells[INDEX["Pays structure BAL"]] = "France"
    return "|".join(cells)


def write(path: Path, lines: list[str], header: bool = True) -> Path:
    text = "\n".join((["|".join(PIPE_COLUMNS)] if header else []) + lines) + "\n"
    path.write_text(text, encoding="utf-8")
    return path
