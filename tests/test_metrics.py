"""Every exported metric is documented, with bounded labels only."""

from __future__ import annotations

import re

from prometheus_client.metrics import MetricWrapperBase
from prometheus_client.metrics_core import Metric

from service.metrics import Metrics
from tests.support.paths import ROOT

DOC = (ROOT / "docs" / "metrics.md").read_text()
FORBIDDEN_LABELS = {"hex", "callsign", "registration", "address", "icao"}


def ours(metrics: Metrics) -> list[Metric]:
    """The borderwatch_ families (the process_ and python_ ones are the client's)."""
    return [f for f in metrics.registry.collect() if f.name.startswith("borderwatch_")]


def test_every_metric_is_documented_with_its_labels() -> None:
    metrics = Metrics()
    documented = dict(re.findall(r"^\| `(borderwatch_[a-z_]+)` \| [a-z]+ \|([^|]*)\|", DOC, re.M))
    for family in ours(metrics):
        name = family.name + ("_total" if family.type == "counter" else "")
        assert name in documented, f"{name} is not in docs/metrics.md"
        collector = metrics.registry._names_to_collectors[name]
        assert isinstance(collector, MetricWrapperBase), name
        labels = set(collector._labelnames)
        assert labels == set(re.findall(r"`([a-z_]+)`", documented[name])), name
        assert not labels & FORBIDDEN_LABELS
    names = {f.name + ("_total" if f.type == "counter" else "") for f in ours(metrics)}
    assert set(documented) == names


def test_process_and_runtime_metrics_are_exported_and_named_in_the_docs() -> None:
    names = {family.name for family in Metrics().registry.collect()}
    for name in ("process_resident_memory_bytes", "process_cpu_seconds", "python_info",
                 "python_gc_collections"):  # fmt: skip
        assert name in names
    assert "process_resident_memory_bytes" in DOC
