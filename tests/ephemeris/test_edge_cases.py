"""Inputs a user plausibly gets wrong, and empty inputs."""

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.time import Time

from astro_sso.catalog import KnownObjects
from astro_sso.ephemeris import as_tdb, ephemeris
from astro_sso.exceptions import InputError
from astro_sso.simulate import synthetic_orbits


def test_no_times_gives_a_typed_empty_table():
    eph = ephemeris(synthetic_orbits(3), Time([], format="jd"), method="twobody")
    assert len(eph) == 0 and eph["ra"].unit == u.deg and eph["V"].unit == u.mag


def test_orbit_inside_the_sun_says_to_check_units():
    orb = synthetic_orbits(2)
    orb["a"] = orb["a"].value * u.m
    with pytest.raises(InputError, match="inside the Sun; check the units"):
        ephemeris(orb, Time("2024-01-01"), method="twobody")


def test_known_objects_checks_its_observer_and_center():
    orb = synthetic_orbits(5)
    with pytest.raises(InputError, match="unknown MPC observatory code 'QQQ'"):
        KnownObjects(orb, observer="QQQ")
    with pytest.raises(InputError, match="not a finite sky position"):
        KnownObjects(orb).cone_search(
            SkyCoord(np.nan, 20, unit="deg"), 5 * u.deg, Time("2024-01-01")
        )


def test_as_tdb_matches_astropy_with_repeated_times():
    t = Time("2024-01-15T06:00:00") + np.repeat(np.arange(3), 4) * u.h
    assert np.abs((as_tdb(t) - t.tdb).to_value(u.ns)).max() < 1
    assert as_tdb(t).scale == "tdb"
