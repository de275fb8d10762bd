"""Feed settings shared by the tests that serve recordings through the live path."""

from __future__ import annotations

from typing import Any, Final

# A local server replaying a recording answers with the recording's old dates on
# purpose; the live freshness check (`feeds[].max_age_s`) is widened to let them in.
# It has no request budget either: with the ADS-B Exchange default (10,000 a day) budget
# pacing stretches the cadence to what is left of the UTC day / 10,000 (8.6 s just after
# midnight), so a test polling every 0.25 s would pass or fail by the time of day.
RECORDING_AS_LIVE: Final[dict[str, Any]] = {"max_age_s": 20 * 365 * 86400.0, "daily_budget": None}
