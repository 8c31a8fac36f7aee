from __future__ import annotations

import re

import pytest

from caducee.referentials import lists
from caducee.referentials.text import fold, strip_accents


def test_departments_and_regions_are_complete() -> None:
    assert len(lists.departments()) == 101
    assert len(lists.regions()) == 18


@pytest.mark.parametrize(
    "value", ["13", "Bouches-du-Rhône", "bouches du rhone", "BOUCHES-DU-RHONE"]
)
def test_department_by_code_or_label(value: str) -> None:
    entry = lists.departments().lookup(value)
    assert entry is not None and entry.code == "13"


def test_department_without_leading_zero() -> None:
    entry = lists.departments().lookup("1")
    assert entry is not None and entry.code == "01"


def test_corsica_and_overseas() -> None:
    assert lists.departments().lookup("2a").code == "2A"  # type: ignore[union-attr]
    assert lists.departments().lookup("La Réunion").code == "974"  # type: ignore[union-attr]


def test_region_of_department() -> None:
    assert lists.region_of_department("81") == "76"


@pytest.mark.parametrize("value", ["10", "Médecin", "medecin", "MÉDECIN"])
def test_profession_by_code_or_label(value: str) -> None:
    entry = lists.professions().lookup(value)
    assert entry is not None and entry.code == "10"


def test_non_health_professions_for_med_accounts() -> None:
    labels = {e.label for e in lists.professions()}
    assert {
        "Secrétaire médical(e)",
        "Personnel administratif",
        "Personnel informatique",
        "Professionnel médico-social",
    } <= labels


def test_unknown_value() -> None:
    assert lists.professions().lookup("astronaute") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Bouches-du-Rhône", "bouches du rhone"),
        ("  SAINT_DENIS (93) ", "saint denis 93"),
        ("Côtes-d’Armor", "cotes d armor"),
        ("ﬁnistère", "finistere"),  # a compatibility ligature
        ("Straße", "strasse"),
    ],
)
def test_fold_ignores_case_accents_and_separators(value: str, expected: str) -> None:
    assert fold(value) == expected


@pytest.mark.parametrize(
    ("value", "code"),
    [
        # Seed 002's wording for MED accounts, and the others HR files use.
        ("Secrétaires médicales", "L10"),
        ("secrétaire médicale", "L10"),
        ("Secrétaire médical", "L10"),
        ("Secrétaire médical(e)", "L10"),
        ("L10", "L10"),
        ("infirmière", "60"),
        ("Infirmiers", "60"),
        ("infirmier(e)s", "60"),
        ("Infirmières psychiatriques", "69"),
        ("medecin", "10"),
        ("Médecins", "10"),
        ("sage femme", "50"),
        ("Sages-Femmes", "50"),
        ("chirurgienne dentiste", "40"),
        ("Masseuse-kinésithérapeute", "70"),
        ("pharmacienne", "21"),
        ("Assistante dentaire", "31"),
        ("Diététiciennes", "95"),
        ("Manipulatrice ERM", "98"),
        ("Technicienne de laboratoire médical", "86"),
        ("Personnels administratifs", "L11"),
    ],
)
def test_professions_as_hr_files_write_them(value: str, code: str) -> None:
    entry = lists.professions().lookup(value)
    assert entry is not None and entry.code == code


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("SM54", "SM54"),
        ("medecine generale", "SM54"),
        ("Infirmière anesthésiste diplômée d'État", "SI01"),
        ("infirmieres de bloc operatoire diplomees d etat", "SI02"),
        ("Puériculteur diplômé d'État", "SI03"),
        ("Gynécologie obstétrique", "SM20"),
        ("gastroenterologie et hepatologie", "SM23"),
        ("Radiothérapie", "SM42"),
        ("oto rhino laryngologie", "SM36"),
        ("Médecine d urgence", "SM53"),
    ],
)
def test_specialties_as_hr_files_write_them(value: str, code: str) -> None:
    entry = lists.specialties().lookup(value)
    assert entry is not None and entry.code == code


@pytest.mark.parametrize(
    ("referential", "value", "code"),
    [
        ("civilites", "docteur", "DR"),
        ("civilites", "Pharmacienne cheffe", None),  # « cheffe » is not a rule: suggested
        ("civilites", "Médecins généraux", "MG"),
        ("diplomes", "diplome d etat d educatrice specialisee", "DE-ES"),
        ("departements", "Côtes d'Armor", "22"),
        ("departements", "cotes-darmor", "22"),
        ("regions", "Provence Alpes Côte d'Azur", "93"),
    ],
)
def test_the_other_lists_match_the_same_way(referential: str, value: str, code: str | None) -> None:
    entry = lists.by_name(referential).lookup(value)
    assert (entry.code if entry else None) == code


@pytest.mark.parametrize("name", sorted(lists.BY_NAME))
def test_no_shipped_list_has_ambiguous_labels(name: str) -> None:
    # A data change that gives two codes the same label key fails here.
    assert lists.by_name(name).ambiguous == {}


def test_a_code_wins_over_a_label() -> None:
    referential = lists.Referential(
        "t", "Test", [lists.Entry("A", "B"), lists.Entry("B", "Autre")], feminine=False
    )
    assert referential.lookup("b").code == "B"  # type: ignore[union-attr]
    assert referential.lookup("autres").code == "B"  # type: ignore[union-attr]


def _ambiguous_list() -> lists.Referential:
    return lists.Referential(
        "t",
        "Profession",
        [
            lists.Entry("1", "Infirmier"),
            lists.Entry("2", "Infirmière"),
            lists.Entry("3", "Aide soignant"),
            lists.Entry("4", "Aide-soignant"),
        ],
        feminine=True,
    )


def test_ambiguous_labels_are_detected_when_the_list_is_built() -> None:
    referential = _ambiguous_list()
    codes = {key: [e.code for e in entries] for key, entries in referential.ambiguous.items()}
    assert codes == {
        "infirmier": ["1", "2"],  # a key: gender
        "aide soignant": ["3", "4"],  # a folded label: separators
        "aidesoignant": ["3", "4"],  # its key
    }


def test_an_ambiguous_value_names_no_entry() -> None:
    referential = _ambiguous_list()
    # The labels as written still name their own entry…
    assert referential.lookup("Infirmière").code == "2"  # type: ignore[union-attr]
    assert referential.lookup("INFIRMIER").code == "1"  # type: ignore[union-attr]
    # … but a form shared by two codes is never resolved to one of them.
    match = referential.match("Infirmières")
    assert match.entry is None and match.ambiguous
    assert [e.code for e in match.candidates] == ["1", "2"]
    assert referential.lookup("aide soignante") is None
    assert referential.ambiguous_message("Infirmières", match.candidates) == (
        "Profession « Infirmières » ambiguë : correspond à « Infirmier » (code 1) et "
        "« Infirmière » (code 2). Indiquez le code ou le libellé exact."
    )


def test_unknown_value_gets_the_nearest_labels() -> None:
    message = lists.specialties().unknown_message("Infirmiére anesthésite")
    assert message.startswith(
        "Spécialité « Infirmiére anesthésite » inconnue. Vouliez-vous dire : "
        "« Infirmier anesthésiste diplômé d'État » ?"
    )
    assert "onglet « Listes » du modèle loaduser" in message


def test_at_most_three_suggestions() -> None:
    message = lists.specialties().unknown_message("Chirurgie")
    suggestions = message.split("Vouliez-vous dire : ")[1].split(" ? ")[0]
    assert suggestions.count("« Chirurgie ") == 3  # 8 labels start so
    assert suggestions.count(", « ") == 1 and suggestions.count(" ou « ") == 1


def test_unknown_value_without_suggestion_says_what_to_do() -> None:
    message = lists.departments().unknown_message("Zzyzx")
    assert message == (
        "Département « Zzyzx » inconnu. Indiquez un code ou un libellé de la liste. "
        + lists.FULL_LIST_HINT
    )


def test_repeated_values_give_the_same_answer() -> None:
    professions = lists.professions()
    first = professions.match("Secrétaires médicales")
    assert professions.match("Secrétaires médicales") is first
    assert professions.match("inconnue") == professions.match("inconnue") == lists.Match(None)


def _plural(label: str) -> str:
    """Every word of more than 3 letters with an « s » (« Médecins généraux » style)."""
    return re.sub(
        r"[^\W\d_]{4,}", lambda m: m.group() + ("" if m.group()[-1] in "sx" else "s"), label
    )


def _variants(label: str) -> list[str]:
    return [
        label,
        label.upper(),
        label.lower(),
        strip_accents(label),
        label.replace("-", " "),
        label.replace(" ", "-"),
        label.replace("'", " "),
        _plural(label),
    ]


@pytest.mark.parametrize("name", sorted(lists.BY_NAME))
def test_every_label_of_every_list_matches_in_its_usual_variants(name: str) -> None:
    referential = lists.by_name(name)
    for entry in referential:
        for variant in _variants(entry.label):
            found = referential.lookup(variant)
            assert found == entry, (variant, found)
