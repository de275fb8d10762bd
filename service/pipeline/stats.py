"""What a run of the pipeline counted, for the one-line summary of offline commands."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Stats:
    """Counts of one pipeline's life (the live service reads the metrics instead)."""

    snapshots: int = 0
    skipped_snapshots: int = 0
    positions: int = 0
    notifications: int = 0
    rejected: dict[str, int] = field(default_factory=dict)

    def reject(self, reason: str, count: int = 1) -> None:
        self.rejected[reason] = self.rejected.get(reason, 0) + count

    def summary(self, seconds: float) -> str:
        """One line: snapshots, positions, rejected by reason, notifications, seconds."""
        rejected = ", ".join(f"{k}={v}" for k, v in sorted(self.rejected.items())) or "none"
        skipped = f" ({self.skipped_snapshots} already processed)" if self.skipped_snapshots else ""
        return (
            f"replay: {self.snapshots} snapshots{skipped}, {self.positions} positions, "
            f"rejected: {rejected}, {self.notifications} notifications, {seconds:.1f} s"
        )
