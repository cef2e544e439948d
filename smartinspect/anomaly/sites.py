"""Which anomaly model scores a scan: the one fitted on the scanning site's normal traffic, else the default site's.

A site is where a scanner stands (a port, a lane group); its normal traffic is what its anomaly model learnt.
Settings map scanner ids to sites (``anomaly_sites``); a package names its site in ``params.site``
(``smartinspect anomaly fit --site``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

from smartinspect.anomaly.scorer import AnomalyScorer
from smartinspect.domain.tasks import ANOMALY_TASK
from smartinspect.runtime import LoadedModel

DEFAULT_SITE = "default"

_lock = threading.Lock()
_scorers: dict[str, AnomalyScorer] = {}  # by model name; rebuilt when the registry loads another artifact


def site_of(scanner_id: str | None, sites: Mapping[str, str]) -> str:
    """The site a scanner belongs to (``DEFAULT_SITE`` when the settings do not name one)."""
    return sites.get(scanner_id or "", DEFAULT_SITE)


def model_for_site(models: Mapping[str, LoadedModel], site: str) -> LoadedModel | None:
    """The anomaly model of ``site``, else the default site's, else None (no anomaly stage). Several models of one
    site: the one whose name sorts first (a deployment keeps one per site; the choice is only made stable)."""
    by_site: dict[str, LoadedModel] = {}
    for name in sorted(models):
        loaded = models[name]
        if loaded.spec.task == ANOMALY_TASK:
            by_site.setdefault(str(loaded.spec.params.get("site", DEFAULT_SITE)), loaded)
    return by_site.get(site) or by_site.get(DEFAULT_SITE)


def scorer_for(loaded: LoadedModel) -> AnomalyScorer:
    """An :class:`AnomalyScorer` for a loaded package, its memory bank read (and sha256-checked) once per artifact."""
    with _lock:
        scorer = _scorers.get(loaded.spec.name)
        if scorer is not None and scorer.loaded is loaded:
            return scorer
    scorer = AnomalyScorer.from_loaded(loaded)
    with _lock:
        _scorers[loaded.spec.name] = scorer
    return scorer


def scorer_for_site(models: Mapping[str, LoadedModel], site: str) -> AnomalyScorer | None:
    loaded = model_for_site(models, site)
    return scorer_for(loaded) if loaded is not None else None
