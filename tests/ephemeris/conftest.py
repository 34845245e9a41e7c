"""Shared fixtures of the ephemeris tests: real JPL Horizons answers for (1) Ceres.

The files ship with astroquery's wheel (``astroquery/jplhorizons/tests/data``):
Horizons API output for Ceres, 2022-06-10 to 2022-07-10 every 10 days
(osculating elements, heliocentric ecliptic vectors, geocentric observer
table) and a single epoch 2000-01-01.
"""

import pytest

from astro_sso.testing import recorded_horizons


def read_horizons(name):
    """Header names and rows (lists of stripped strings) of a Horizons CSV block."""
    try:
        return recorded_horizons(name)
    except FileNotFoundError as exc:
        pytest.skip(f"astroquery's JPL Horizons test data are not installed ({exc})")


@pytest.fixture
def horizons():
    """Function ``name -> (header, rows)`` reading astroquery's Horizons test files."""
    return read_horizons
