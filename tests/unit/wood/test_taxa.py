"""The CITES table: statuses of calls and declarations, declared-species parsing, reference notes."""

from __future__ import annotations

import pytest

from smartinspect.wood.datagen import KNOWN_TAXA, OPEN_SET_TAXA
from smartinspect.wood.taxa import load_taxa

TABLE = load_taxa()


@pytest.mark.parametrize(("name", "state", "appendix"), [
    ("Dalbergia nigra", "listed", "I"),
    ("Dalbergia latifolia", "listed", "II"),  # every Dalbergia is Appendix II
    ("Dalbergia", "listed", "II"),
    ("Pterocarpus santalinus", "listed", "II"),
    ("Pterocarpus soyauxii", "not_listed", None),  # African padauk: only named species are listed
    ("Pterocarpus", "possibly_listed", "II"),  # a genus call cannot say which species
    ("Swietenia", "listed", "II"),
    ("Swietenia macrophylla", "listed", "II"),
    ("Aquilaria", "listed", "II"),
    ("Gonystylus", "listed", "II"),
    ("Pericopsis elata", "listed", "II"),
    ("Pericopsis", "possibly_listed", "II"),
    ("Cedrela", "listed", "II"),
    ("Khaya", "not_listed", None),
    ("Khaya ivorensis", "not_listed", None),
    ("Quercus", "not_listed", None),
    ("Pinus", "not_listed", None),
    ("Tilia", "unknown", None),
])
def test_cites_status(name: str, state: str, appendix: str | None) -> None:
    status = TABLE.cites_of(name)
    assert (status.state, status.appendix) == (state, appendix)
    assert status.flagged == (state in ("listed", "possibly_listed"))


def test_the_issue_cites_genera_are_all_flagged() -> None:
    for genus in ("Dalbergia", "Pterocarpus", "Swietenia", "Aquilaria", "Gonystylus", "Pericopsis", "Cedrela"):
        assert TABLE.cites_of(genus).flagged, genus
    assert TABLE.genera["Swietenia"]["call_level"] == "genus"


def test_every_model_class_and_open_set_genus_is_in_the_table() -> None:
    assert set(TABLE.classes) == set(KNOWN_TAXA)
    assert {TABLE.genus_of(t) for t in KNOWN_TAXA} <= set(TABLE.genera)
    assert set(OPEN_SET_TAXA) <= set(TABLE.genera)
    assert all(TABLE.genera[g]["role"] == "open_set" for g in OPEN_SET_TAXA)


@pytest.mark.parametrize(("text", "genus", "species"), [
    ("Swietenia macrophylla", "Swietenia", "Swietenia macrophylla"),
    ("  khaya IVORENSIS ", "Khaya", "Khaya ivorensis"),
    ("Quercus spp.", "Quercus", None),
    ("Tilia cordata", None, None),
    ("", None, None),
])
def test_parse_declared(text: str, genus: str | None, species: str | None) -> None:
    declared = TABLE.parse_declared(text)
    assert (declared.genus, declared.species) == (genus, species)


def test_reference_notes_for_the_expert() -> None:
    ref = TABLE.reference("Dalbergia")
    assert ref["cites_appendix"] == "II" and ref["listed_species"] == {"Dalbergia nigra": "I"}
    assert "Pterocarpus" in ref["look_alikes"] and ref["key_features"]


def test_enrolled_taxa_extend_the_table_with_cites_unknown() -> None:
    from smartinspect.wood.taxa import load_taxa

    table = load_taxa().with_taxa(["Tilia cordata", "Swietenia macrophylla", "Fagus"])
    assert table.genus_of("Tilia cordata") == "Tilia" and table.cites_of("Tilia cordata").state == "unknown"
    assert table.cites_of("Fagus").state == "unknown" and not table.cites_of("Fagus").flagged
    assert table.cites_of("Swietenia macrophylla").appendix == "II"
    assert "Tilia" not in load_taxa().genera  # the shared table is not changed
