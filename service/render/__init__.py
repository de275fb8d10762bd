"""Offline images: the alert map (track, border, entry point, orbit) and the card."""
