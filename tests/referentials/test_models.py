"""The stored form of a professional's professions."""

from __future__ import annotations

from caducee.referentials.models import profession_map


def test_profession_pairs_are_read_back_in_order() -> None:
    assert profession_map("10=Médecin|21=Pharmacien") == {"10": "Médecin", "21": "Pharmacien"}
    assert list(profession_map("21=Pharmacien|10=Médecin")) == ["21", "10"]
    assert profession_map("60=") == {"60": ""}
    assert profession_map("") == {}
