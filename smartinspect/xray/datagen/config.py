"""Settings of the synthetic X-ray generator: geometry, scan mix and detector. Validated on construction."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class XrayGenConfig:
    """How scans are drawn. Fractions are probabilities per scan; ranges are (low, high) drawn uniformly."""

    pitch_mm: float = 5.0  # pixel pitch, both axes
    dual_energy: bool = True  # also produce the low-energy image
    empty_fraction: float = 0.2  # scans declared empty
    contraband_fraction: float = 0.5  # loaded scans carrying 1-3 threats
    declared_empty_hidden_fraction: float = 0.25  # declared-empty scans that are not empty
    hidden_concealment_fraction: float = 0.45  # of those: a concealed compartment (else loose items)
    container_40ft_fraction: float = 0.6
    tractor_fractions: tuple[float, float, float] = (0.3, 0.4, 0.3)  # full tractor, partial (cab-exempt), none
    threat_weights: tuple[float, float, float, float] = (0.3, 0.3, 0.25, 0.15)  # per class in CLASS_NAMES order
    clutter_per_unit: float = 0.8  # mean everyday dense objects (tools, bottles, parts) per cargo unit; 0: none
    second_lane_fraction: float = 0.4  # units with a second unit of other goods beside them across the width
    i0_range: tuple[float, float] = (50_000.0, 60_000.0)  # open-beam counts
    blur_sigma_px: tuple[float, float] = (0.6, 0.9)  # detector response, Gaussian sigma in pixels
    dark_noise_counts: float = 8.0  # electronic noise (std, counts): sets the ~300 mm steel penetration limit
    pulse_jitter: float = 0.003  # residual linac dose fluctuation per column (relative std)
    row_gain_jitter: float = 0.002  # residual detector gain error per row (relative std)
    scan_height_mm: float = 4500.0
    margin_mm: tuple[float, float] = (400.0, 1500.0)  # open beam before and after the vehicle

    def __post_init__(self) -> None:
        if not 0.5 <= self.pitch_mm <= 50.0:
            raise ValueError(f"pitch_mm must be in [0.5, 50] mm, got {self.pitch_mm}")
        if not 0.0 <= self.clutter_per_unit <= 10.0:
            raise ValueError(f"clutter_per_unit must be in [0, 10] objects per unit, got {self.clutter_per_unit}")
        for name in ("empty_fraction", "contraband_fraction", "declared_empty_hidden_fraction",
                     "hidden_concealment_fraction", "container_40ft_fraction", "second_lane_fraction"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a probability in [0, 1], got {value}")
        for name, size in (("tractor_fractions", 3), ("threat_weights", 4)):
            values = getattr(self, name)
            if len(values) != size or min(values) < 0 or sum(values) <= 0:
                raise ValueError(f"{name} needs {size} non-negative weights with a positive sum, got {values}")
        for name in ("i0_range", "blur_sigma_px", "margin_mm"):
            lo, hi = getattr(self, name)
            if not 0 <= lo <= hi:
                raise ValueError(f"{name} must be (low, high) with 0 <= low <= high, got {(lo, hi)}")
        if self.i0_range[1] > 65_535:
            raise ValueError(f"i0_range must fit 16 bits (<= 65535), got {self.i0_range}")
        if self.scan_height_mm < 4200.0:
            raise ValueError(f"scan_height_mm must clear a loaded truck (>= 4200 mm), got {self.scan_height_mm}")

    @classmethod
    def with_overrides(cls, overrides: dict | None) -> XrayGenConfig:
        """The defaults with some settings replaced (from YAML or JSON: lists become tuples); unknown names refused."""
        unknown = sorted(set(overrides or {}) - set(cls.__dataclass_fields__))
        if unknown:
            raise ValueError(f"unknown generator settings {unknown}; known: {sorted(cls.__dataclass_fields__)}")
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in (overrides or {}).items()})

    def to_dict(self) -> dict:
        """JSON-ready (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}
