"""Serving-side pieces of the anomaly model: metrics, memory bank, coreset, view, region. numpy only, fast."""

from __future__ import annotations

import numpy as np
import pytest

from smartinspect.anomaly.evaluate import auroc, detection_at_false_alarm
from smartinspect.anomaly.memory import MemoryBank
from smartinspect.anomaly.preprocess import to_network_input
from smartinspect.anomaly.scorer import image_score, peak_region
from smartinspect.anomaly.types import AnomalyInputError, AnomalyPackageError, ScoreParams, ViewParams


def test_auroc_and_detection_at_false_alarm() -> None:
    labels = np.array([False] * 10 + [True] * 4)
    scores = np.array([*range(10), 9.5, 20, 30, 5.5], dtype=float)  # one positive below 4 negatives
    assert auroc(scores, labels) == pytest.approx((3 * 10 + 6) / 40)
    # 10 % of 10 negatives: one negative (9) may lie above the threshold, so it is the next one (8);
    # 9.5, 20 and 30 exceed it, 5.5 does not
    assert detection_at_false_alarm(scores, labels, 0.10) == pytest.approx(3 / 4)
    assert np.isnan(auroc(scores[:10], labels[:10]))


def test_memory_bank_nearest_distance_is_exact() -> None:
    rng = np.random.default_rng(0)
    bank = rng.normal(size=(300, 8)).astype(np.float32)
    queries = rng.normal(size=(5000, 8)).astype(np.float32)
    mb = MemoryBank(bank=bank, mean=np.zeros(8, np.float32), projection=np.eye(8, dtype=np.float32))
    expected = np.sqrt(((queries[:, None, :] - bank[None]) ** 2).sum(-1)).min(1)
    np.testing.assert_allclose(mb.nearest_distance(queries), expected, rtol=1e-4, atol=1e-4)
    with pytest.raises(AnomalyPackageError, match="do not match"):
        mb.nearest_distance(queries[:, :4])


def test_memory_bank_round_trips_through_npz(tmp_path) -> None:
    rng = np.random.default_rng(1)
    mb = MemoryBank(bank=rng.normal(size=(50, 4)).astype(np.float32), mean=rng.normal(size=6).astype(np.float32),
                    projection=rng.normal(size=(6, 4)).astype(np.float32))
    mb.save(tmp_path / "bank.npz")
    back = MemoryBank.load(tmp_path / "bank.npz")
    np.testing.assert_allclose(back.bank, mb.bank, rtol=1e-3, atol=1e-3)  # float16 storage
    (tmp_path / "bad.npz").write_bytes(b"not a bank")
    with pytest.raises(AnomalyPackageError, match="not a readable memory bank"):
        MemoryBank.load(tmp_path / "bad.npz")


def test_greedy_coreset_keeps_the_rare_cluster() -> None:
    pytest.importorskip("torch", reason="train extra")  # the coreset lives in train/ beside the torch code
    from smartinspect.anomaly.train.coreset import greedy_coreset

    rng = np.random.default_rng(2)
    common = rng.normal(0, 0.1, size=(2000, 40))
    rare = rng.normal(5, 0.1, size=(3, 40))
    features = np.concatenate([common, rare]).astype(np.float32)
    chosen = greedy_coreset(features, 10, seed=0)
    assert len(set(chosen.tolist())) == 10 and (chosen >= 2000).any()
    random_pick = np.random.default_rng(0).choice(len(features), 10, replace=False)
    assert not (random_pick >= 2000).any()  # what random subsampling would have lost


def test_view_pads_to_the_stride_and_keeps_air_bright() -> None:
    att = np.zeros((100, 150), np.float32)
    att[40:60, 50:90] = 3.0
    batch, factor, (h, w) = to_network_input(att, ViewParams(scale=0.5, window=6.0, pad_multiple=16))
    assert batch.shape == (1, 3, 64, 80) and (h, w) == (50, 75) and factor == pytest.approx(0.5)
    assert batch.dtype == np.float32 and batch[0, 0, 0, 0] == pytest.approx(1.0)  # air is white
    assert batch[0, 0, 25, 35] < 0.6  # the dense block is darker
    with pytest.raises(AnomalyInputError, match="attenuation map"):
        to_network_input(np.zeros((3, 4, 5), np.float32), ViewParams())


def test_image_score_top_k_and_peak_region() -> None:
    patch = np.ones((20, 30), np.float32)
    patch[5:8, 10:14] = 9.0
    assert image_score(patch, ScoreParams(top_k=1, smooth_sigma=0)) == 9.0
    assert image_score(patch, ScoreParams(top_k=24, smooth_sigma=0)) == pytest.approx((12 * 9 + 12) / 24)
    box, peak = peak_region(patch)
    assert box == (10, 5, 14, 8) and peak == 9.0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"scale": 0.0}, "scale"), ({"window": 40.0}, "window"), ({"input_mode": "rainbow"}, "input_mode"),
])
def test_view_params_refuse_bad_values(kwargs, message) -> None:
    with pytest.raises(AnomalyPackageError, match=message):
        ViewParams(**kwargs)
