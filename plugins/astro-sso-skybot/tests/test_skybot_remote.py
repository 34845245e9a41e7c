"""Real-network tests of the online backend (skipped unless ``--remote-data`` is given).

They ask the live IMCCE SkyBoT and JPL Horizons services the questions whose
recorded answers the offline tests replay, and compare.
"""

import astropy.units as u
import numpy as np
import pytest
from astro_sso_skybot.services import horizons_ephemerides, read_skybot_answer, skybot_cone
from astropy.coordinates import SkyCoord
from astropy.table import QTable
from astropy.time import Time
from skybot_testdata import (
    SKYBOT_CENTER,
    SKYBOT_EPOCH,
    SKYBOT_RADIUS,
    ceres_orbit,
    ceres_positions,
    recorded_skybot,
)

import astro_sso

pytestmark = pytest.mark.remote_data


def test_live_skybot_finds_the_recorded_objects():
    live = skybot_cone(
        SkyCoord(*SKYBOT_CENTER, unit="deg"), SKYBOT_RADIUS, SKYBOT_EPOCH, cache=False
    )
    recorded = read_skybot_answer(recorded_skybot())
    assert set(recorded["designation"]) <= set(live["designation"])


def test_live_horizons_gives_the_recorded_ceres_positions():
    t, ra, dec, _ = ceres_positions()
    eph = horizons_ephemerides("1", "500@399", t.jd, cache=False)
    np.testing.assert_allclose(eph["ra"], ra, atol=1e-4)
    np.testing.assert_allclose(eph["dec"], dec, atol=1e-4)


def test_live_online_and_local_agree_on_a_one_hour_ceres_trail():
    start = Time("2022-06-20T00:00:00", scale="utc")
    end = start + 1 * u.h
    eph = horizons_ephemerides("1", "500@399", [start.jd, end.jd], cache=False)
    trail = QTable(
        {
            "trail_id": [1],
            "ra_start": [eph["ra"][0]] * u.deg,
            "dec_start": [eph["dec"][0]] * u.deg,
            "ra_end": [eph["ra"][1]] * u.deg,
            "dec_end": [eph["dec"][1]] * u.deg,
            "obstime_start": Time([start]),
            "obstime_end": Time([end]),
            "observer": ["500"],
        }
    )
    online = astro_sso.get_matcher("skybot-horizons", backend="online", cache=False).match(trail)
    local = astro_sso.get_matcher(
        "skybot-horizons", backend="local", catalog=ceres_orbit(), method="nbody"
    ).match(trail)
    assert online["designation"].tolist() == local["designation"].tolist() == ["1"]
    assert abs(online["d_oc"][0] - local["d_oc"][0]) < 0.2 * u.arcsec
