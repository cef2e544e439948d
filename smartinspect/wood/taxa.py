"""The CITES table (``wood/data/taxa.yaml``): which calls are listed, reference notes, declared-species lookup."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

import yaml

APPENDIX_ORDER = {"I": 0, "II": 1, "III": 2}
CitesState = Literal["listed", "possibly_listed", "not_listed", "unknown"]


@dataclass(frozen=True)
class CitesStatus:
    """CITES status of a call or a declared species. ``appendix``: the strictest that applies, or None."""

    state: CitesState
    appendix: str | None
    note: str = ""

    @property
    def flagged(self) -> bool:
        """Listed or possibly listed: never auto-cleared."""
        return self.state in ("listed", "possibly_listed")


@dataclass(frozen=True)
class DeclaredSpecies:
    text: str
    genus: str | None  # recognised genus (in the table), else None
    species: str | None  # "Genus epithet" when an epithet was given


def _strictest(appendices: list[str | None]) -> str | None:
    present = [a for a in appendices if a]
    return min(present, key=APPENDIX_ORDER.__getitem__) if present else None


class TaxonTable:
    """Read-only view of taxa.yaml."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.classes: dict[str, dict[str, Any]] = raw["classes"]
        self.genera: dict[str, dict[str, Any]] = raw["genera"]
        missing = sorted({c["genus"] for c in self.classes.values()} - set(self.genera))
        if missing:
            raise ValueError(f"taxa.yaml: classes name genera without an entry: {missing}")

    def genus_of(self, taxon: str) -> str:
        if taxon in self.classes:
            return self.classes[taxon]["genus"]
        genus = taxon.split()[0]
        if genus not in self.genera:
            raise KeyError(f"unknown taxon {taxon!r}; classes: {sorted(self.classes)}")
        return genus

    def cites_of(self, name: str) -> CitesStatus:
        """Status of a call or declaration: a species ("Genus epithet"), a class name, or a genus."""
        genus = name.split()[0]
        entry = self.genera.get(genus)
        if entry is None or entry.get("cites_unknown"):
            return CitesStatus("unknown", None, f"{genus} is not in the CITES table; an expert must check")
        species_map: dict[str, str] = entry.get("species") or {}
        note = str(entry.get("note", "")).strip()
        if " " in name.strip():  # a species
            appendix = species_map.get(name.strip(), None if entry.get("listed_species_only") else entry["appendix"])
            return CitesStatus("listed" if appendix else "not_listed", appendix, note)
        if entry.get("listed_species_only") and species_map:
            return CitesStatus("possibly_listed", _strictest(list(species_map.values())), note)
        appendix = entry.get("appendix")
        return CitesStatus("listed" if appendix else "not_listed", appendix, note)

    def parse_declared(self, text: str) -> DeclaredSpecies:
        """``"Swietenia macrophylla"`` -> genus Swietenia, species "Swietenia macrophylla"; "spp." is no epithet."""
        words = text.strip().replace("_", " ").split()
        if not words:
            return DeclaredSpecies(text, None, None)
        genus = words[0].capitalize()
        epithet = words[1].lower() if len(words) > 1 and words[1].lower() not in ("spp.", "spp", "sp.", "sp") else None
        known = genus if genus in self.genera else None
        return DeclaredSpecies(text, known, f"{genus} {epithet}" if epithet and known else None)

    def with_taxa(self, taxa: list[str] | tuple[str, ...]) -> TaxonTable:
        """This table plus the classes of an enrolled reference collection (``smartinspect.wood.enrolled``): a
        taxon (genus or binomial) the table does not list becomes a class, and a genus it does not list gets an
        entry whose CITES state is ``unknown`` (never cleared) until taxa.yaml names it."""
        classes, genera = dict(self.classes), dict(self.genera)
        for taxon in taxa:
            words = taxon.split()
            genus = words[0]
            if genus not in genera:
                genera[genus] = {"role": "enrolled", "call_level": "species" if len(words) > 1 else "genus",
                                 "cites_unknown": True, "appendix": None,
                                 "note": f"{genus} is enrolled from the lab's references but not in the CITES "
                                         "table; an expert must check its status"}
            if taxon not in classes:
                classes[taxon] = {"genus": genus, **({"species": taxon} if len(words) > 1 else {})}
        return TaxonTable({"classes": classes, "genera": genera})

    def reference(self, genus: str) -> dict[str, Any]:
        """Notes for the expert UI: family, CITES, look-alikes, key features."""
        entry = self.genera[genus]
        status = self.cites_of(genus)
        return {"genus": genus, "family": entry.get("family"), "role": entry.get("role"),
                "call_level": entry.get("call_level", "genus"), "cites_state": status.state,
                "cites_appendix": status.appendix, "listed_species": entry.get("species") or {},
                "annotation": entry.get("annotation"), "note": str(entry.get("note", "")).strip(),
                "look_alikes": list(entry.get("look_alikes") or []),
                "key_features": str(entry.get("key_features", "")).strip()}


@lru_cache(maxsize=1)
def load_taxa() -> TaxonTable:
    text = resources.files("smartinspect.wood").joinpath("data/taxa.yaml").read_text(encoding="utf-8")
    return TaxonTable(yaml.safe_load(text))
