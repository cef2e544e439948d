"""Dynamic batching's core: run several concurrent model calls as one stacked call, and split the outputs back.

Each call is what a kind's code passes to ``model.run``: positional arrays whose first axis is a batch (X-ray
tiles, OCR line crops, wood patches). Calls whose other axes and dtypes agree are concatenated along the batch
axis and run once; calls of another shape (a page of another size, crops padded to another width) run in their
own group, so every call gets exactly the numbers it would get alone. No Ray here: the Serve deployment
(``runtime/ray_engine.py``) calls :func:`run_stacked` on each batch it collects.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

ModelCall = tuple[np.ndarray, ...]
RunFn = Callable[..., Sequence[np.ndarray]]


@dataclass(frozen=True)
class StackedRun:
    """Outputs per call (in the calls' order) and the number of graph runs it took (1 when all calls stacked)."""

    outputs: list[list[np.ndarray]]
    graph_runs: int


def stack_key(call: ModelCall) -> tuple:
    """Calls with the same key can be concatenated: same per-item shape and dtype of every input."""
    return tuple((a.shape[1:], a.dtype.str) for a in call)


def run_stacked(run: RunFn, calls: Sequence[ModelCall], *, batch_axis_dynamic: bool) -> StackedRun:
    """Run ``calls`` (each a tuple of (N_i, ...) arrays) with as few graph runs as their shapes allow.

    ``batch_axis_dynamic``: the model accepts any batch size (its manifest names the first axis); a model with a
    fixed batch runs each call alone. A graph whose outputs do not keep the batch axis also runs calls alone.
    """
    outputs: list[list[np.ndarray] | None] = [None] * len(calls)
    groups: dict[tuple, list[int]] = {}
    for index, call in enumerate(calls):
        groups.setdefault(stack_key(call), []).append(index)
    graph_runs = 0
    for members in groups.values():
        if batch_axis_dynamic and len(members) > 1:
            split = _run_group(run, [calls[i] for i in members])
            graph_runs += 1
            if split is not None:
                for index, result in zip(members, split, strict=True):
                    outputs[index] = result
                continue
        for index in members:
            outputs[index] = list(run(*calls[index]))
            graph_runs += 1
    return StackedRun([o for o in outputs if o is not None], graph_runs)


def _run_group(run: RunFn, calls: list[ModelCall]) -> list[list[np.ndarray]] | None:
    """One graph run on the concatenated calls; None when an output lost the batch axis (run them alone)."""
    sizes = [call[0].shape[0] for call in calls]
    stacked = [np.concatenate([call[k] for call in calls]) for k in range(len(calls[0]))]
    result = run(*stacked)
    total = sum(sizes)
    if any(out.ndim == 0 or out.shape[0] != total for out in result):
        return None
    bounds = np.cumsum(sizes)[:-1]
    per_output = [np.split(out, bounds) for out in result]
    return [[parts[i] for parts in per_output] for i in range(len(calls))]
