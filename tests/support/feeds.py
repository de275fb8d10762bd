"""Feed settings shared by the tests that serve recordings through the live path."""

from __future__ import annotations

from typing import Any, Final

# A local server replaying a recording answers with the recording's old dates on
# purpose; the live freshness check (`feeds[].max_age_s`) is widened to let them in.
RECORDING_AS_LIVE: Final[dict[str, Any]] = {"max_age_s": 20 * 365 * 86400.0}
