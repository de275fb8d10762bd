"""Identify stage: who an aircraft is (military, government, police, civil or unknown),
its state of registry (ISO alpha-2) and the evidence for both.

Layers, most specific first: the user's watch list, plane-alert-db lists and watch
regexes, registration patterns (CBP-113), operator designators in the callsign
(GAF881, RCH245), the feed's military flag and military address ranges; the state
comes from the pattern, the designator, the military range or the ICAO allocation
block of the address. Every verdict carries a confidence (see `evidence.py`). The
reference tables ship in `data/` and name their sources in their header comments;
docs/identification.md describes it all.
"""

from service.identify.identify import Identifier

__all__ = ["Identifier"]
