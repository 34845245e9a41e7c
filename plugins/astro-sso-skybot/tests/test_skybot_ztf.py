"""Real ZTF alerts (shared/realdata/ztf_sso, from Fink): a 23" neighbour is not a match.

The alert of ZTF19abrljdq is a 14.2 mag star that ZTF lists next to asteroid
(301791) at 23" (``ssdistnr``); the alert of ZTF21acqdcyb is asteroid (4371)
itself (``ssdistnr`` 0"). Without those asteroids' orbits (no network here),
the catalogue places each of them where the alert says it was: (4371) on its
detection, (301791) 23" from the star in each of eight directions (built with
`skybot_testdata.object_at`, not their real orbits).
"""

import json

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.table import QTable, vstack
from astropy.time import Time
from skybot_testdata import object_at, realdata

import astro_sso


def _alert(name):
    path = realdata() / "ztf_sso" / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return json.loads(path.read_text())["candidate"]


def _detection(cand, det_id):
    # ZTF's jd is the exposure start; the detection is at mid-exposure (+15 s of 30 s)
    t = Time(cand["jd"], format="jd", scale="utc") + 0.5 * cand["exptime"] * u.s
    return QTable(
        {
            "det_id": [det_id],
            "ra": [cand["ra"]] * u.deg,
            "dec": [cand["dec"]] * u.deg,
            "obstime": Time([t]),
            "observer": ["I41"],
            "mag": [cand["magpsf"]] * u.mag,
        }
    )


@pytest.mark.parametrize("position_angle", range(0, 360, 45))
def test_star_23_arcsec_from_301791_is_not_matched_at_3_arcsec(position_angle):
    star = _alert("ZTF19abrljdq_301791_NEGATIVE_23arcsec_star_candidate.json")
    asteroid = _alert("ZTF21acqdcyb_4371_candidate.json")
    assert star["ssnamenr"] == "301791" and star["ssdistnr"] == pytest.approx(23.0)
    det = vstack([_detection(star, 1), _detection(asteroid, 2)])
    where = SkyCoord(star["ra"], star["dec"], unit="deg").directional_offset_by(
        position_angle * u.deg, star["ssdistnr"] * u.arcsec
    )
    catalogue = vstack(
        [
            object_at(
                "301791",
                where.ra.deg,
                where.dec.deg,
                2.5,
                det["obstime"][0],
                observer="I41",
                ra_rate=30.0,
                V=star["ssmagnr"],
                number=301791,
            ),
            object_at(
                "4371",
                asteroid["ra"],
                asteroid["dec"],
                1.8,
                det["obstime"][1],
                observer="I41",
                ra_rate=-25.0,
                dec_rate=5.0,
                V=asteroid["ssmagnr"],
                number=4371,
            ),
        ]  # fmt: skip
    )
    catalogue.meta["frame"] = "icrs"
    m = astro_sso.get_matcher("skybot-horizons", backend="local", catalog=catalogue)
    out = m.match(det, tolerance=3 * u.arcsec)
    assert out["designation"].tolist() == ["", "4371"]
    assert out["separation"][1] < 0.01 * u.arcsec
    # the test has teeth: a 30" tolerance does take the star for (301791)
    loose = m.match(det, tolerance=30 * u.arcsec)
    assert loose["designation"][0] == "301791"
    np.testing.assert_allclose(loose["separation"][0].to_value(u.arcsec), 23.0, atol=0.01)
