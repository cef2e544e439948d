"""The memory bank of normal patch features and exact nearest-neighbour distances (numpy BLAS, no index)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from smartinspect.anomaly.types import AnomalyPackageError

QUERY_CHUNK = 2048  # queries per distance matrix: 2048 x 16k float32 = 128 MB at most


@dataclass(frozen=True)
class MemoryBank:
    """bank: (M, d) float32 coreset of normal patch features, already projected. projection: (D, d) float32
    applied to centred network features ``(f - mean) @ projection``; mean: (D,) float32."""

    bank: np.ndarray
    mean: np.ndarray
    projection: np.ndarray

    def __post_init__(self) -> None:
        if self.bank.ndim != 2 or self.projection.ndim != 2 or self.mean.ndim != 1:
            raise AnomalyPackageError("memory bank arrays have the wrong rank (bank 2, projection 2, mean 1)")
        if self.projection.shape != (self.mean.shape[0], self.bank.shape[1]):
            msg = (f"projection {self.projection.shape} does not map mean {self.mean.shape} to the bank's "
                   f"{self.bank.shape[1]} dims")
            raise AnomalyPackageError(msg)
        if len(self.bank) == 0:
            raise AnomalyPackageError("the memory bank is empty")
        object.__setattr__(self, "_bank_sq", np.einsum("ij,ij->i", self.bank, self.bank))

    @property
    def feature_dim(self) -> int:
        return int(self.mean.shape[0])

    def project(self, features: np.ndarray) -> np.ndarray:
        """(N, D) network features -> (N, d) bank space."""
        return (features - self.mean) @ self.projection

    def nearest_distance(self, features: np.ndarray) -> np.ndarray:
        """(N, D) network features -> (N,) float32 Euclidean distance to the nearest bank entry."""
        if features.ndim != 2 or features.shape[1] != self.feature_dim:
            raise AnomalyPackageError(f"features of shape {features.shape} do not match the bank's {self.feature_dim}")
        queries = self.project(features.astype(np.float32, copy=False))
        out = np.empty(len(queries), dtype=np.float32)
        bank_t = np.ascontiguousarray(self.bank.T)
        for start in range(0, len(queries), QUERY_CHUNK):
            q = queries[start:start + QUERY_CHUNK]
            d2 = q @ bank_t
            d2 *= -2.0
            d2 += self._bank_sq[None, :]  # type: ignore[attr-defined]
            out[start:start + len(q)] = d2.min(axis=1) + np.einsum("ij,ij->i", q, q)
        return np.sqrt(np.maximum(out, 0.0))

    def save(self, path: Path) -> None:
        np.savez(path, bank=self.bank.astype(np.float16), mean=self.mean, projection=self.projection)

    @classmethod
    def load(cls, path: Path) -> MemoryBank:
        try:
            with np.load(path, allow_pickle=False) as data:
                return cls(bank=data["bank"].astype(np.float32), mean=data["mean"].astype(np.float32),
                           projection=data["projection"].astype(np.float32))
        except (OSError, KeyError, ValueError) as exc:
            raise AnomalyPackageError(f"{path}: not a readable memory bank ({exc})") from exc
