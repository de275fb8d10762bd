"""Detection: rules are pure functions of (rule, identity, track, state, now) -> events."""
