"""Every exported metric is documented, with bounded labels only."""

from __future__ import annotations

import re

from prometheus_client.metrics import MetricWrapperBase

from service.metrics import Metrics
from tests.support.paths import ROOT

DOC = (ROOT / "docs" / "metrics.md").read_text()
FORBIDDEN_LABELS = {"hex", "callsign", "registration", "address", "icao"}


def test_every_metric_is_documented_with_its_labels() -> None:
    metrics = Metrics()
    documented = dict(re.findall(r"^\| `(borderwatch_[a-z_]+)` \| [a-z]+ \|([^|]*)\|", DOC, re.M))
    for family in metrics.registry.collect():
        name = family.name + ("_total" if family.type == "counter" else "")
        assert name in documented, f"{name} is not in docs/metrics.md"
        collector = metrics.registry._names_to_collectors[name]
        assert isinstance(collector, MetricWrapperBase), name
        labels = set(collector._labelnames)
        assert labels == set(re.findall(r"`([a-z_]+)`", documented[name])), name
        assert not labels & FORBIDDEN_LABELS
    names = {f.name + ("_total" if f.type == "counter" else "") for f in metrics.registry.collect()}
    assert set(documented) == names
