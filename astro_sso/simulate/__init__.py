"""Shared simulation pieces: synthetic populations of orbits and survey detections.

Instrument simulators (Euclid VIS, HST) live in their plugins; what several
methods share (a synthetic known-object catalogue, a night of survey
detections from a ground site) lives here, on top of the ephemeris engine.
"""

from .population import DEFAULT_MIX, mean_anomaly_for_longitude, synthetic_orbits
from .survey import (
    DEMO_NIGHT,
    demo_survey,
    opposition_catalogue,
    opposition_point,
    simulate_survey,
    survey_fields,
)

__all__ = [
    "DEFAULT_MIX",
    "synthetic_orbits",
    "mean_anomaly_for_longitude",
    "opposition_point",
    "survey_fields",
    "simulate_survey",
    "DEMO_NIGHT",
    "opposition_catalogue",
    "demo_survey",
]
