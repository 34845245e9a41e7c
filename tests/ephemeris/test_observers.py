"""Observer positions: MPC codes, EarthLocations, spacecraft tables and TLEs."""

import warnings

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import EarthLocation
from astropy.table import QTable
from astropy.time import Time

from astro_sso.ephemeris.constants import AU_KM, EARTH_EQUATORIAL_RADIUS_KM
from astro_sso.ephemeris.iers import IERSDegradedWarning
from astro_sso.ephemeris.observers import (
    observatory,
    observer_barycentric,
    observer_geocentric,
    observers_barycentric,
    register_spacecraft,
    registered_spacecraft,
    site_location,
    unregister_spacecraft,
)
from astro_sso.ephemeris.planets import body_posvel
from astro_sso.exceptions import EphemerisRangeError, InputError

T = Time("2022-06-10T00:00:00", scale="utc") + np.linspace(0.0, 2.0, 9) * u.day


@pytest.fixture
def spacecraft_code():
    code = "XTEST"
    yield code
    unregister_spacecraft(code)


def test_geocentre_is_earth():
    pos, vel = observer_barycentric("500", T)
    ep, ev = body_posvel("earth", T)
    np.testing.assert_array_equal(pos, ep)
    np.testing.assert_array_equal(vel, ev)


def test_palomar_site():
    loc = site_location("I41")
    assert loc.geodetic.lat.deg == pytest.approx(33.36, abs=0.01)
    assert loc.geodetic.lon.deg == pytest.approx(243.14022 - 360.0, abs=1e-6)
    gp, gv = observer_geocentric("I41", T)
    rho = np.hypot(0.836322, 0.546875) * EARTH_EQUATORIAL_RADIUS_KM
    np.testing.assert_allclose(np.linalg.norm(gp, axis=1) * AU_KM, rho, rtol=1e-9)
    # the GCRS pole is within ~0.2 deg of the true pole in 2022 (precession since J2000)
    lat = np.rad2deg(np.arcsin(gp[:, 2] / np.linalg.norm(gp, axis=1)))
    np.testing.assert_allclose(lat, np.rad2deg(np.arctan2(0.546875, 0.836322)), atol=0.2)
    # rotation speed of a site at that latitude: 2 pi rho cos(phi') per sidereal day
    speed = np.linalg.norm(gv[:, :2], axis=1) * AU_KM / 86400.0
    np.testing.assert_allclose(speed, 2 * np.pi * 0.836322 * 6378.137 / 86164.0905, rtol=2e-3)
    # one sidereal day later the site is back at the same place (to ~precession, metres)
    sid = T[:1] + [0.0, 0.99726957] * u.day
    p2, _ = observer_geocentric("I41", sid)
    assert np.linalg.norm(p2[1] - p2[0]) * AU_KM < 0.05


def test_earthlocation_equals_code():
    loc = site_location("X05")
    p1, v1 = observer_barycentric("X05", T)
    p2, v2 = observer_barycentric(loc, T)
    np.testing.assert_allclose(p1, p2, rtol=0, atol=1e-15)
    np.testing.assert_allclose(v1, v2, rtol=0, atol=1e-17)
    # an EarthLocation built independently from geodetic coordinates agrees to < 10 m
    geo = loc.geodetic
    loc2 = EarthLocation.from_geodetic(geo.lon, geo.lat, geo.height)
    p3, _ = observer_barycentric(loc2, T)
    assert np.max(np.linalg.norm(p3 - p1, axis=1)) * AU_KM < 0.01


def test_codes_are_normalized_and_described():
    assert observatory("i41")["code"] == "I41"
    assert observatory("500")["kind"] == "geocentre"
    assert observatory("W84")["kind"] == "ground"


def test_unknown_code_lists_close_matches():
    with pytest.raises(InputError, match="unknown MPC observatory code 'I4Z'.*I41"):
        observer_barycentric("I4Z", T)
    with pytest.raises(InputError, match="observer must be"):
        observer_barycentric(568, T)


def test_unregistered_space_telescope():
    with pytest.raises(InputError, match="register_spacecraft"):
        observer_barycentric("250", T)


def _l2_like_orbit(t):
    """Synthetic geocentric circle of radius 1.5e6 km, period 180 d (ICRF), in km."""
    jd = t.tdb.jd
    w = 2 * np.pi / 180.0
    ph = w * (jd - 2459740.5)
    R = 1.5e6
    pos = np.stack([R * np.cos(ph), R * np.sin(ph), 0.1 * R * np.sin(2 * ph)], axis=1)
    vel = np.stack([-R * w * np.sin(ph), R * w * np.cos(ph), 0.2 * R * w * np.cos(2 * ph)], axis=1)
    return pos, vel / 86400.0  # km, km/s


@pytest.mark.parametrize("with_velocity", [False, True])
def test_spacecraft_table(spacecraft_code, with_velocity):
    grid = Time(2459740.0, format="jd", scale="tdb") + np.arange(0.0, 4.01, 0.25) * u.day
    pos, vel = _l2_like_orbit(grid)
    table = QTable({"obstime": grid})
    for k, c in enumerate("xyz"):
        table[f"obs_{c}"] = pos[:, k] * u.km
        if with_velocity:
            table[f"obs_v{c}"] = vel[:, k] * u.km / u.s
    table.meta["obs_center"] = "399"
    register_spacecraft(spacecraft_code, table, name="synthetic L2-like probe")
    assert registered_spacecraft()[spacecraft_code] == "synthetic L2-like probe"
    when = Time(2459740.5, format="jd", scale="tdb") + np.linspace(0.0, 3.0, 13) * u.day
    got, gotv = observer_barycentric(spacecraft_code, when)
    ep, ev = body_posvel("earth", when)
    truth, truthv = _l2_like_orbit(when)
    err_km = np.linalg.norm((got - ep) * AU_KM - truth, axis=1)
    assert err_km.max() < 0.01  # 10 m on a 1.5e6 km orbit sampled every 6 h
    errv = np.linalg.norm((gotv - ev) * AU_KM / 86400.0 - truthv, axis=1)
    assert errv.max() < 1e-6  # km/s
    with pytest.raises(EphemerisRangeError, match="outside its position table"):
        observer_barycentric(spacecraft_code, Time(2459750.0, format="jd", scale="tdb"))


def test_spacecraft_table_errors(spacecraft_code):
    grid = Time(2459740.0, format="jd", scale="tdb") + np.arange(5) * u.day
    with pytest.raises(InputError, match=r"lacks column\(s\) \['obs_z'\]"):
        register_spacecraft(spacecraft_code, QTable({"obstime": grid, "obs_x": np.ones(5),
                                                     "obs_y": np.ones(5)}))  # fmt: skip
    bad = QTable({"obstime": grid, "obs_x": np.ones(5) * u.s, "obs_y": np.ones(5),
                  "obs_z": np.ones(5)})  # fmt: skip
    with pytest.raises(InputError, match="must be a length"):
        register_spacecraft(spacecraft_code, bad)
    with pytest.raises(InputError, match="ground site"):
        register_spacecraft("I41", "1 x\n2 y")


def _synthetic_tle():
    """A synthetic HST-like TLE written for this test (not a real element set).

    Epoch 2022 day 160.5, inclination 28.5 deg, near-circular (e = 0.0002),
    15.1 revolutions per day (semi-major axis ~6915 km, altitude ~540 km).
    Checksums computed below.
    """

    def with_checksum(line):
        s = sum(int(c) if c.isdigit() else (1 if c == "-" else 0) for c in line)
        return line + str(s % 10)

    l1 = "1 99999U 22001A   22160.50000000  .00000000  00000-0  00000-0 0  999"
    l2 = "2 99999  28.5000 100.0000 0002000  90.0000 270.0000 15.10000000    0"
    return with_checksum(l1), with_checksum(l2)


def test_tle_spacecraft(spacecraft_code):
    sgp4_api = pytest.importorskip("sgp4.api")
    l1, l2 = _synthetic_tle()
    register_spacecraft(spacecraft_code, (l1, l2), name="synthetic HST-like")
    when = Time("2022-06-09T12:00:00", scale="utc") + np.linspace(0, 0.2, 7) * u.day
    pos, vel = observer_barycentric(spacecraft_code, when)
    ep, ev = body_posvel("earth", when)
    r_km = np.linalg.norm(pos - ep, axis=1) * AU_KM
    v_kms = np.linalg.norm(vel - ev, axis=1) * AU_KM / 86400.0
    assert np.all((r_km > 6850) & (r_km < 6960))
    assert np.all((v_kms > 7.4) & (v_kms < 7.8))
    # TEME -> GCRS is a rotation: the distance is SGP4's own
    sat = sgp4_api.Satrec.twoline2rv(l1, l2)
    _, r, _ = sat.sgp4_array(when.utc.jd1, when.utc.jd2)
    np.testing.assert_allclose(r_km, np.linalg.norm(r, axis=1), rtol=1e-9)
    # inclination of the orbit plane in GCRS ~ 28.5 deg (TEME pole ~ true pole)
    h = np.cross(pos[0] - ep[0], vel[0] - ev[0])
    assert np.rad2deg(np.arccos(h[2] / np.linalg.norm(h))) == pytest.approx(28.5, abs=0.3)
    # a TLE registered under an MPC space-telescope code works too
    register_spacecraft("250", (l1, l2))
    try:
        p250, _ = observer_barycentric("250", when)
        np.testing.assert_allclose(p250, pos, atol=1e-15)
    finally:
        unregister_spacecraft("250")
    with pytest.raises(InputError, match="two lines"):
        register_spacecraft(spacecraft_code, "1 only one line")


def test_mixed_observers_grouped():
    t = Time("2022-06-10T00:00", scale="utc") + np.arange(6) * u.hour
    codes = np.array(["500", "I41", "X05", "I41", "500", "SPACE"])
    xyz = np.full((6, 3), np.nan)
    xyz[5] = [1e-3, 2e-3, -1e-3]  # an ADES-style spacecraft position row (AU, geocentric)
    pos, vel = observers_barycentric(codes, t, obs_xyz=xyz, obs_center="399")
    for k in range(5):
        p, v = observer_barycentric(codes[k], t[k : k + 1])
        np.testing.assert_allclose(pos[k], p[0], atol=1e-15)
        np.testing.assert_allclose(vel[k], v[0], atol=1e-17)
    ep, ev = body_posvel("earth", t[5:])
    np.testing.assert_allclose(pos[5], ep[0] + xyz[5], atol=1e-15)
    # heliocentric spacecraft rows
    sp, _ = body_posvel("sun", t[:1])
    p, _ = observers_barycentric(["C57"], t[:1], obs_xyz=[[1.0, 0.0, 0.0]], obs_center="10")
    np.testing.assert_allclose(p[0], sp[0] + [1.0, 0.0, 0.0], atol=1e-15)


def test_interpolated_ground_states_agree_with_exact():
    # 600 distinct times per code over 3 days: a 15-minute grid (290 nodes) is cheaper
    rng = np.random.default_rng(7)
    t = Time(2460310.5 + np.sort(rng.uniform(0.0, 3.0, 1200)), format="jd", scale="tdb")
    codes = np.where(np.arange(1200) % 2 == 0, "I41", "500")
    exact_p, exact_v = observers_barycentric(codes, t)
    interp_p, interp_v = observers_barycentric(codes, t, interpolate=True)
    assert not np.array_equal(interp_p, exact_p)  # the grid was used
    assert np.abs(interp_p - exact_p).max() * AU_KM < 1e-3  # below 1 m
    assert np.abs(interp_v - exact_v).max() * AU_KM / 86400.0 < 1e-5  # below 1 cm/s
    # few times, or a spacecraft code: every time is computed
    few_p, _ = observers_barycentric(codes[:50], t[:50], interpolate=True)
    np.testing.assert_array_equal(few_p, exact_p[:50])


def test_one_code_for_no_rows():
    pos, vel = observers_barycentric("500", Time([], format="jd", scale="tdb"))
    assert pos.shape == (0, 3) and vel.shape == (0, 3)


def test_iers_out_of_range_warns_once():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        far = Time(["2045-01-01T00:00", "2045-06-01T00:00"], scale="utc")
        caught.clear()  # ERFA's 'dubious year' from building the Time itself
        pos, _ = observer_barycentric("I41", far)
    ours = [w for w in caught if issubclass(w.category, IERSDegradedWarning)]
    assert len(ours) == 1
    assert "IERS" in str(ours[0].message)
    assert np.all(np.isfinite(pos))
    assert len(caught) == 1  # ERFA's and astropy's own warnings are folded into ours
