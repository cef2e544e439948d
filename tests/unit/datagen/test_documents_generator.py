"""The synthetic document generator: seeded and reproducible, ground truth consistent with what was printed."""

from __future__ import annotations

import json

import numpy as np
import pytest

from smartinspect.documents.datagen.consignment import sample_consignment
from smartinspect.documents.datagen.dataset import generate_dataset, load_truths
from smartinspect.documents.datagen.generate import DocGenConfig, generate_consignment, reading_order
from smartinspect.documents.datagen.layouts import DEVELOPMENT_LAYOUTS, HELD_OUT_LAYOUTS, LAYOUTS
from smartinspect.documents.datagen.plants import DOC_TYPES, PLANT_KINDS, plant
from smartinspect.documents.normalise import norm_name
from smartinspect.domain.codes import verify_uscc
from smartinspect.domain.containers import InvalidContainerNumber, verify_container_number
from smartinspect.domain.customs import verify_declaration_number


@pytest.fixture(scope="session")
def tiny_documents(tmp_path_factory) -> tuple:
    out = tmp_path_factory.mktemp("docs") / "ds"
    generate_dataset(out, n_consignments=2, seed=5, progress=False)
    return out, load_truths(out)


def test_consignment_invariants():
    for seed in range(30):
        c = sample_consignment(np.random.default_rng(seed), f"c{seed}")
        for k in c.containers:
            verify_container_number(k.number)
        party = c.consignee if c.direction == "import" else c.consignor
        assert verify_uscc(party.uscc) == party.uscc
        assert verify_declaration_number(c.declaration_no, direction=c.direction) == c.declaration_no
        assert all(i.net_kg <= i.gross_kg for i in c.items) and c.total_net_kg <= c.total_gross_kg
        assert sum(k.packages for k in c.containers) == c.total_packages
        assert abs(sum(k.gross_kg for k in c.containers) - c.total_gross_kg) < 0.02
        assert c.total_value == pytest.approx(sum(i.amount for i in c.items), abs=0.01)


def test_same_seed_same_documents():
    config = DocGenConfig(plant_fraction=0.5)
    a = generate_consignment(np.random.default_rng(9), "x", config)[2]
    b = generate_consignment(np.random.default_rng(9), "x", config)[2]
    assert [d.truth for d in a] == [d.truth for d in b]
    assert all(np.array_equal(x.image, y.image) for x, y in zip(a, b, strict=True))
    c = generate_consignment(np.random.default_rng(10), "x", config)[2]
    assert [d.truth["fields"] for d in a] != [d.truth["fields"] for d in c]


def test_dataset_files_and_truth(tiny_documents):
    out, truths = tiny_documents
    assert len(truths) == 8 and {t["doc_type"] for t in truths} == set(DOC_TYPES)
    info = json.loads((out / "dataset.json").read_text())
    assert info["seed"] == 5 and info["n_documents"] == 8 and info["held_out_layouts"] == []
    for t in truths:
        assert (out / t["image"]).is_file()
        assert t["layout"] in DEVELOPMENT_LAYOUTS and t["text_lines"]
        assert all(len(line["polygon"]) == 4 for line in t["text_lines"])
        assert t["doc_type"] != "declaration" or t["language"] == "zh"
        printed = norm_name(" ".join(line["text"] for line in t["text_lines"]))
        for name in ("bl_no", "invoice_no", "declaration_no", "consignee_uscc", "consignor_uscc"):
            if name in t["fields"]:
                assert norm_name(str(t["fields"][name])) in printed, f"{name} not printed on {t['doc_id']}"
        for number in t["fields"].get("container_numbers", []):
            assert number in printed


def test_text_lines_are_in_reading_order():
    boxes = [(500, 100, 600, 120), (10, 102, 90, 121), (10, 50, 300, 70), (10, 140, 60, 160)]
    assert reading_order(boxes) == [2, 1, 0, 3]


@pytest.mark.parametrize("kind", sorted(PLANT_KINDS))
def test_plants_change_exactly_one_document(kind):
    c = sample_consignment(np.random.default_rng(4), "c")
    views, record = plant(c, np.random.default_rng(1), kind)
    changed = [d for d in DOC_TYPES if views[d].to_dict() != c.to_dict()]
    assert changed == [record.document] and record.kind == kind and record.original != record.planted
    v = views[record.document]
    if kind == "invalid_container":
        bad = [k.number for k in v.containers if k.number not in {x.number for x in c.containers}]
        with pytest.raises(InvalidContainerNumber):
            verify_container_number(bad[0])
    if kind == "net_over_gross":
        assert v.total_net_kg > v.total_gross_kg


def test_planted_record_goes_to_the_planted_document():
    config = DocGenConfig(plant_fraction=1.0, plant_kinds=("weight_mismatch",), degradation_mix=(1.0, 0, 0))
    _, planted, docs = generate_consignment(np.random.default_rng(2), "p", config)
    marked = [d.doc_type for d in docs if d.truth["planted"]]
    assert marked == [planted.document] == ["bill_of_lading"]


def test_held_out_layout_is_never_in_development():
    assert set(HELD_OUT_LAYOUTS) and not set(HELD_OUT_LAYOUTS) & set(DEVELOPMENT_LAYOUTS)
    assert set(LAYOUTS) == set(HELD_OUT_LAYOUTS) | set(DEVELOPMENT_LAYOUTS)
    assert DocGenConfig().layouts == DEVELOPMENT_LAYOUTS


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"layouts": ("nope",)}, "layouts"), ({"plant_fraction": 1.5}, "plant_fraction"),
    ({"degradation_mix": (0, 0, 0)}, "degradation_mix"), ({"strength": (0.8, 0.2)}, "strength"),
    ({"plant_kinds": ("nope",)}, "plant_kinds"),
])
def test_config_rejects_bad_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        DocGenConfig(**kwargs)
