"""Matching keys: what HR files write and the list's label reduce to the same key."""

from __future__ import annotations

import pytest

from caducee.referentials.matching import Ambiguity, LabelIndex, label_key, neutral_word


@pytest.mark.parametrize(
    ("written", "label"),
    [
        ("Secrétaires médicales", "Secrétaire médical(e)"),
        ("secrétaire médicale", "Secrétaire médical(e)"),
        ("Secrétaire médical", "Secrétaire médical(e)"),
        ("SECRETAIRE MEDICALE", "Secrétaire médical(e)"),
        ("secrétaires médicaux", "Secrétaire médical(e)"),
        ("infirmière", "Infirmier(ère)"),
        ("infirmier", "Infirmier(ère)"),
        ("Infirmiers", "Infirmier(ère)"),
        ("infirmier(e)s", "Infirmier"),  # seed 001's own wording
        ("Infirmier·ère", "Infirmier"),
        ("infirmier.e", "Infirmier"),
        ("infirmier/ère", "Infirmier"),
        ("Infirmières", "Infirmier"),
        ("sage femme", "Sage-Femme"),
        ("Sages-femmes", "Sage-Femme"),
        ("sagefemme", "Sage-Femme"),
        ("medecin", "Médecin"),
        ("Chirurgienne-dentiste", "Chirurgien-Dentiste"),
        ("chirurgiens dentistes", "Chirurgien-Dentiste"),
        ("Masseuse-kinésithérapeute", "Masseur-Kinésithérapeute"),
        ("Manipulatrice ERM", "Manipulateur ERM"),
        ("Pharmacienne", "Pharmacien"),
        ("Opticienne-lunetière", "Opticien-Lunetier"),
        ("Assistante de service social", "Assistant de service social"),
        ("Professionnelle médico-sociale", "Professionnel médico-social"),
        ("Puéricultrices diplômées d'Etat", "Puéricultrice diplômée d'État"),
        ("Infirmière anesthésiste diplômée d’État", "Infirmier anesthésiste diplômé d'État"),
        ("radiothérapie", "Radio-thérapie"),
        ("otorhinolaryngologie", "Oto-rhino-laryngologie"),
        ("Gastro entérologie et hépatologie", "Gastro-entérologie et hépatologie"),
        ("medecine d urgence", "Médecine d'urgence"),
    ],
)
def test_written_forms_share_the_label_key(written: str, label: str) -> None:
    assert label_key(written) == label_key(label)


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Médecin", "Pharmacien"),
        ("Infirmier", "Infirmier psychiatrique"),
        ("Médecine générale", "Qualifié en Médecine générale"),
        ("Chirurgie vasculaire", "Chirurgie viscérale et digestive"),
        ("Psychologue", "Psychomotricien"),
    ],
)
def test_distinct_labels_keep_distinct_keys(one: str, other: str) -> None:
    assert label_key(one) != label_key(other)


@pytest.mark.parametrize(
    ("word", "neutral"),
    [
        ("infirmieres", "infirmier"),
        ("medicaux", "medical"),
        ("medicales", "medical"),
        ("pharmacienne", "pharmacien"),
        ("directrice", "directeur"),
        ("masseuses", "masseur"),
        ("diplomee", "diplome"),
        ("administrative", "administratif"),
        ("classe", "classe"),  # "-ss" is not a plural
        ("des", "des"),  # short words are left alone
    ],
)
def test_neutral_word(word: str, neutral: str) -> None:
    assert neutral_word(word) == neutral


def test_an_empty_value_matches_nothing() -> None:
    index = LabelIndex([("Médecin", "10")])
    assert index.get("") is None
    assert index.get(" - ") is None


def test_a_key_shared_by_two_values_is_ambiguous_not_resolved() -> None:
    index = LabelIndex([("Infirmier", "A"), ("Infirmière", "B"), ("Médecin", "C")])
    assert index.ambiguous == {"infirmier": Ambiguity("infirmier", ("A", "B"))}
    assert index.get("infirmiers") == Ambiguity("infirmier", ("A", "B"))
    assert index.get("medecins") == "C"


def test_two_labels_of_one_value_are_not_ambiguous() -> None:
    index = LabelIndex([("Infirmier", "A"), ("Infirmière", "A")])
    assert index.ambiguous == {}
    assert index.get("INFIRMIERES") == "A"


def test_nearest_suggests_close_labels_up_to_the_limit() -> None:
    index = LabelIndex(
        [
            ("Infirmier anesthésiste", "IA"),
            ("Infirmier de bloc", "IB"),
            ("Infirmier puériculteur", "IP"),
            ("Infirmier scolaire", "IS"),
            ("Médecin", "M"),
        ]
    )
    assert index.nearest("Infirmiére anesthésite")[0] == "IA"
    assert len(index.nearest("Infirmier", limit=3)) == 3
    assert index.nearest("Infirmier", limit=2) == ["IA", "IB"]
    assert index.nearest("astronaute") == []


def test_nearest_finds_a_part_or_a_whole_label() -> None:
    index = LabelIndex([("Masseur-Kinésithérapeute", "70"), ("Médecin", "10")])
    assert index.nearest("kiné") == ["70"]
    assert index.nearest("Médecin généraliste") == ["10"]
