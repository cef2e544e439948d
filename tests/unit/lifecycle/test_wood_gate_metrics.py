"""The wood gate's metrics on hand-made outcomes, judged with the shipped promotion config (training/promote-wood.yaml):
a non-wood photo given a call is its own gated row, and one more of them refuses a challenger that is better on
everything else."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from smartinspect.config import REPO_ROOT
from smartinspect.lifecycle.gate import compare_models
from smartinspect.lifecycle.promote import PromotionConfig
from smartinspect.wood.evaluate import PhotoOutcome
from smartinspect.wood.kind import gate_metrics
from smartinspect.wood.taxa import load_taxa

TAXA = ("Pinus", "Acer")
PARAMS = SimpleNamespace(taxa=TAXA, genera=TAXA)


def _photo(name: str, kind: str, *, call: str | None, p_pinus: float = 0.9) -> PhotoOutcome:
    return PhotoOutcome(name, kind, np.array([p_pinus, 1 - p_pinus]), 0.0, 0.0, 0.0, abstained=call is None,
                        abstain_reason=None if call else "unlike_known_taxa", call=call)


def _outcomes(nonwood_calls: int, *, unknown_calls: int = 0) -> list[PhotoOutcome]:
    known = [_photo("Pinus", "known", call="Pinus") for _ in range(10)]
    known += [_photo("Acer", "known", call="Acer", p_pinus=0.1) for _ in range(10)]
    ood = [_photo("skin", "ood", call="Pinus" if i < nonwood_calls else None) for i in range(8)]
    unseen = [_photo("Betula", "open_set", call="Acer" if i < unknown_calls else None) for i in range(8)]
    return known + ood + unseen


def _metrics(outcomes):
    # summarise() wants the shipped open-set score of unseen photos; the gated rows do not use it
    params = SimpleNamespace(**vars(PARAMS), open_set_value=lambda scores, probs: 0.0)
    return gate_metrics(outcomes, params, load_taxa())


def test_nonwood_rate_counts_only_the_nonwood_photos():
    m = _metrics(_outcomes(2, unknown_calls=3))
    assert m["nonwood_accepted_rate"] == 2 / 8
    assert [e for e in m["nonwood_accepted_rate"].events if e is not None] == [1, 1, 0, 0, 0, 0, 0, 0]
    assert m["unknown_accepted_rate"] == 5 / 16  # non-wood photos still count among the unknown ones too


def test_one_more_accepted_nonwood_photo_refuses_a_challenger_better_on_open_set_photos():
    config = PromotionConfig.from_yaml(REPO_ROOT / "training" / "promote-wood.yaml")
    gates = [g for g in config.gates if g.name in {"nonwood_accepted_rate", "unknown_accepted_rate",
                                                    "misidentification_rate"}]
    champion = _metrics(_outcomes(0, unknown_calls=6))
    challenger = _metrics(_outcomes(1, unknown_calls=0))  # 6 unseen photos fixed, one non-wood photo broken
    decision = compare_models(gates, challenger=challenger, champion=champion)
    assert not decision.passed and decision.failed_metrics == ["nonwood_accepted_rate"]
    # the same challenger without the non-wood photo passes
    assert compare_models(gates, challenger=_metrics(_outcomes(0)), champion=champion).passed
