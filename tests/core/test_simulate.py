"""Shared simulation pieces: synthetic orbits and a night of survey detections."""

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.time import Time

from astro_sso.exceptions import InputError
from astro_sso.simulate import (
    mean_anomaly_for_longitude,
    opposition_point,
    simulate_survey,
    synthetic_orbits,
)


def test_synthetic_orbits_are_reproducible_and_plausible():
    a = synthetic_orbits(2000, seed=3)
    b = synthetic_orbits(2000, seed=3)
    assert (a["a"] == b["a"]).all() and (a["designation"] == b["designation"]).all()
    assert a["epoch"].scale == "tdb"
    frac = {c: np.mean(a["class"] == c) for c in set(a["class"])}
    assert 0.8 < frac["MBA"] < 0.92
    mba = a["class"] == "MBA"
    assert (a["a"][mba] > 2.0 * u.AU).all() and (a["a"][mba] < 3.4 * u.AU).all()
    nea = a["class"] == "NEA"
    q = a["a"][nea] * (1 - a["e"][nea])
    assert (q < 1.3 * u.AU).all()
    assert (a["e"] >= 0).all() and (a["e"] < 1).all()


def test_mean_anomaly_round_trip_circular_and_eccentric():
    assert mean_anomaly_for_longitude(100.0, 0.0, 10.0, 20.0) == pytest.approx(70.0)
    # eccentric: perihelion (f = 0) has M = 0; aphelion M = 180
    assert mean_anomaly_for_longitude(30.0, 0.5, 10.0, 20.0) == pytest.approx(0.0)
    assert mean_anomaly_for_longitude(210.0, 0.5, 10.0, 20.0) == pytest.approx(180.0)


def test_bad_mix_is_refused():
    with pytest.raises(InputError, match="unknown classes"):
        synthetic_orbits(10, mix={"KBO": 1.0})


def test_survey_detections_follow_the_ephemeris():
    from astro_sso.ephemeris import ephemeris

    night = Time("2024-01-15T06:00:00", scale="utc")
    opp = opposition_point(night).barycentrictrueecliptic
    orb = synthetic_orbits(400, seed=5, near_longitude=float(opp.lon.deg), longitude_spread=8)
    expo, det = simulate_survey(
        orb, night=night, n_fields=2, n_visits=2, n_unrelated=7, limiting_mag=21.0, seed=5
    )
    assert len(expo) == 4 and det["det_id"].tolist() == list(range(len(det)))
    assert (det["true_designation"] == "").sum() == 4 * 7
    real = det[det["true_designation"] != ""]
    assert len(real) > 10
    # each detection is within a few sigma of its object's predicted position
    row = real[0]
    one = orb[orb["designation"] == row["true_designation"]]
    eph = ephemeris(one, row["obstime"], observer="I41")
    sep = SkyCoord(eph["ra"][0], eph["dec"][0]).separation(SkyCoord(row["ra"], row["dec"]))
    assert sep < 1.5 * u.arcsec
    # the fields are centred near opposition and everything is inside the field of view
    centers = SkyCoord(expo["ra"], expo["dec"])
    assert centers[0].separation(opposition_point(night)) < 10 * u.deg
    pos = SkyCoord(det["ra"], det["dec"])
    assert (pos.separation(centers[det["exposure"]]) < 3.5 * u.deg + 1 * u.arcsec).all()
