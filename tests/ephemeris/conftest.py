"""Shared fixtures of the ephemeris tests: real JPL Horizons answers for (1) Ceres.

The files ship with astroquery's wheel (``astroquery/jplhorizons/tests/data``):
Horizons API output for Ceres, 2022-06-10 to 2022-07-10 every 10 days
(osculating elements, heliocentric ecliptic vectors, geocentric observer
table) and a single epoch 2000-01-01.
"""

from importlib import resources

import pytest


def _horizons_dir():
    try:
        root = resources.files("astroquery.jplhorizons") / "tests" / "data"
    except ModuleNotFoundError:
        return None
    if not (root / "ceres_ephemerides_range.txt").is_file():
        return None
    return root


def read_horizons(name):
    """Header names and rows (lists of stripped strings) of a Horizons CSV block."""
    root = _horizons_dir()
    if root is None:
        pytest.skip("astroquery's JPL Horizons test data (ceres_*.txt) are not installed")
    lines = (root / name).read_text().splitlines()
    start = lines.index("$$SOE")
    stop = lines.index("$$EOE")
    header = [h.strip() for h in lines[start - 2].split(",")]
    rows = [[c.strip() for c in line.split(",")] for line in lines[start + 1 : stop]]
    return header, rows


@pytest.fixture
def horizons():
    """Function ``name -> (header, rows)`` reading astroquery's Horizons test files."""
    return read_horizons
