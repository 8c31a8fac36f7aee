"""Small PS_LibreAcces_Personne_activite files for the RPPS tests (the real header)."""

from __future__ import annotations

from pathlib import Path

from tests.factories import rpps

HEADER = (
    "Type d'identifiant PP|Identifiant PP|Identification nationale PP|Code civilité d'exercice|"
    "Libellé civilité d'exercice|Code civilité|Libellé civilité|Nom d'exercice|Prénom d'exercice|"
    "Code profession|Libellé profession|Code catégorie professionnelle|"
    "Libellé catégorie professionnelle|Code type savoir-faire|Libellé type savoir-faire|"
    "Code savoir-faire|Libellé savoir-faire|Code mode exercice|Libellé mode exercice|"
    "Numéro SIRET site|Numéro SIREN site|Numéro FINESS site|"
    "Numéro FINESS établissement juridique|Identifiant technique de la structure|"
    "Raison sociale site|Enseigne commerciale site|"
    "Complément destinataire (coord. structure)|"
    "Complément point géographique (coord. structure)|Numéro Voie (coord. structure)|"
    "Indice répétition voie (coord. structure)|Code type de voie (coord. structure)|"
    "Libellé type de voie (coord. structure)|Libellé Voie (coord. structure)|"
    "Mention distribution (coord. structure)|Bureau cedex (coord. structure)|"
    "Code postal (coord. structure)|Code commune (coord. structure)|"
    "Libellé commune (coord. structure)|Code pays (coord. structure)|"
    "Libellé pays (coord. structure)|Téléphone (coord. structure)|"
    "Téléphone 2 (coord. structure)|Télécopie (coord. structure)|"
    "Adresse e-mail (coord. structure)|Code Département (structure)|"
    "Libellé Département (structure)|Ancien identifiant de la structure|"
    "Autorité d'enregistrement|Code secteur d'activité|Libellé secteur d'activité|"
    "Code section tableau pharmaciens|Libellé section tableau pharmaciens|"
)
WIDTH = HEADER.count("|") + 1


def line(
    national: str,
    last: str,
    first: str,
    code: str,
    label: str,
    *,
    city: str = "ALBI",
    kind: str = "8",
) -> str:
    """One activity line, as the ANS writes it (a trailing "|")."""
    fields = [""] * WIDTH
    fields[0], fields[2] = kind, national
    fields[1] = national[1:] if kind == "8" else national
    fields[7], fields[8], fields[9], fields[10] = last, first, code, label
    fields[37] = city
    return "|".join(fields)


def write(path: Path, lines: list[str], header: str = HEADER) -> Path:
    path.write_text("\n".join([header, *lines]) + "\n", encoding="utf-8")
    return path


DUPONT, MARTIN, DURAND = rpps(201), rpps(202), rpps(203)
BAD_KEY = MARTIN[:-1] + str((int(MARTIN[-1]) + 1) % 10)


def first_file(tmp_path: Path) -> Path:
    """Seven lines: DUPONT (three activities, two professions), MARTIN, one ADELI line,
    a wrong key and a line with too few columns."""
    return write(
        tmp_path / "PS_LibreAcces_Personne_activite_202612010000.txt",
        [
            line("8" + DUPONT, "DUPONT", "Marie", "21", "Pharmacien"),
            line("8" + DUPONT, "DUPONT", "Marie", "21", "Pharmacien", city="CASTRES"),
            line("8" + DUPONT, "DUPONT", "Marie", "10", "Médecin", city="GAILLAC"),
            line("8" + MARTIN, "MARTIN", "Jean-Pierre", "10", "Médecin"),
            line("0759124159", "DE RUIJTER", "ISABELLE", "91", "Orthophoniste", kind="0"),
            line("8" + BAD_KEY, "X", "Y", "10", ""),
            "8|incomplete",
        ],
    )
