"""The poll cycle's p99 and max are reported per period, the max also as a gauge."""

from __future__ import annotations

from service.metrics import Metrics
from service.runtime.cycles import CycleReport, CycleSummary, summarise


def test_summary_takes_nearest_rank_quantiles_and_the_max() -> None:
    assert summarise([float(n) for n in range(100, 0, -1)]) == CycleSummary(100, 50.0, 99.0, 100.0)
    assert summarise([0.2]) == CycleSummary(1, 0.2, 0.2, 0.2)


def test_each_period_is_reported_once_then_starts_afresh() -> None:
    now = [0.0]
    metrics = Metrics()
    report = CycleReport(metrics, period_s=60.0, clock=lambda: now[0])
    for seconds in (0.02, 0.03, 4.5):  # a stall within the period
        now[0] += 10.0
        assert report.observe(seconds) is None
    now[0] = 60.0
    assert report.observe(0.01) == CycleSummary(4, 0.02, 4.5, 4.5)
    assert metrics.registry.get_sample_value("borderwatch_poll_cycle_max_seconds") == 4.5
    assert metrics.registry.get_sample_value("borderwatch_poll_cycle_duration_seconds_count") == 4
    now[0] = 120.0
    assert report.observe(0.05) == CycleSummary(1, 0.05, 0.05, 0.05)
    assert metrics.registry.get_sample_value("borderwatch_poll_cycle_max_seconds") == 0.05
