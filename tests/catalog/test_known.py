"""KnownObjects: cone searches equal a brute-force ephemeris of the whole catalogue."""

import importlib.resources
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import EarthLocation, SkyCoord
from astropy.table import QTable, vstack
from astropy.time import Time
from catalog_data import ceres_horizons

from astro_sso.catalog import (
    SKYBOT_COLUMNS,
    SKYBOT_IGNORED,
    KnownObjects,
    from_skybot,
    posunc_from_U,
)
from astro_sso.exceptions import InputError
from astro_sso.simulate import synthetic_orbits

MIX = {"MBA": 0.55, "NEA": 0.25, "Trojan": 0.1, "Hilda": 0.05, "Hungaria": 0.05}
T0 = 2460310.5  # TDB JD of the synthetic epochs (2024-01-01)


@pytest.fixture(scope="module")
def catalogue():
    orb = synthetic_orbits(3000, seed=21, mix=MIX)
    orb["U"] = np.ma.masked_array(np.arange(3000) % 10, mask=np.arange(3000) % 7 == 0)
    return orb


@pytest.fixture(scope="module")
def known(catalogue):
    return KnownObjects(catalogue)


def _check_against_brute(known, center, radius, epoch, observer):
    got = known.cone_search(center, radius, epoch, observer=observer)
    ref = known.brute_force(center, radius, epoch, observer=observer)
    assert got["designation"].tolist() == ref["designation"].tolist()
    if len(ref):
        np.testing.assert_allclose(got["ra"].value, ref["ra"].value, atol=1e-9)
        np.testing.assert_allclose(got["separation"].value, ref["separation"].value, atol=1e-6)
    return got


# epochs at various offsets from the grid nodes (nodes at integer TDB JD)
EPOCHS = [T0 + 0.5, T0 + 3.0 - 1e-6, T0 + 7.4999, T0 + 8.26, T0 + 11.93]


@pytest.mark.parametrize("observer", ["500", "I41", "309"])
def test_cone_search_equals_brute_force(known, observer):
    rng = np.random.default_rng(abs(hash(observer)) % 1000)
    n_found = 0
    for jd in EPOCHS:
        epoch = Time(jd, format="jd", scale="tdb")
        for radius in (1 * u.deg, 6 * u.deg, 25 * u.deg):
            center = SkyCoord(rng.uniform(0, 360), rng.uniform(-35, 35), unit="deg")
            n_found += len(_check_against_brute(known, center, radius, epoch, observer))
    assert n_found > 200  # the comparison is not vacuous


@pytest.mark.parametrize("observer", ["500", "I41"])
def test_cone_search_matches_the_public_ephemeris(catalogue, known, observer):
    """The same answer as astro_sso.ephemeris.ephemeris() run on the whole catalogue."""
    from astro_sso.ephemeris import ephemeris

    when = Time("2024-01-09T17:45:00", scale="utc")  # between two grid nodes
    eph = ephemeris(catalogue, when, observer=observer, method="twobody")
    center = SkyCoord(eph["ra"][7], eph["dec"][7])
    sep = SkyCoord(eph["ra"], eph["dec"]).separation(center)
    for radius in (3 * u.arcmin, 4 * u.deg, 20 * u.deg):
        inside = sorted(np.asarray(eph["designation"])[sep <= radius])
        got = known.cone_search(center, radius, when, observer=observer)
        assert sorted(got["designation"]) == inside
    assert len(inside) > 50


def test_cone_search_output(known, catalogue):
    epoch = Time(T0 + 2.3, format="jd", scale="tdb")
    res = known.cone_search(SkyCoord(30, 10, unit="deg"), 30 * u.deg, epoch, observer="I41")
    assert res.colnames == [
        "designation",
        "number",
        "name",
        "class",
        "ra",
        "dec",
        "V",
        "ra_rate",
        "dec_rate",
        "separation",
        "r",
        "delta",
        "posunc",
    ]
    assert len(res) > 10
    assert np.all(np.diff(res["separation"].value) >= 0)
    assert res["ra_rate"].unit == u.arcsec / u.h and res["r"].unit == u.AU
    assert res.meta["observer"] == "I41" and res.meta["n_candidates"] >= len(res)
    # posunc: masked where U is, otherwise from U scaled by r/delta
    idx = np.searchsorted(catalogue["designation"], res["designation"])
    U = catalogue["U"][idx]
    assert np.array_equal(np.ma.getmaskarray(res["posunc"]), np.ma.getmaskarray(U))
    ok = ~np.ma.getmaskarray(U)
    expected = posunc_from_U(U[ok].data, res["r"][ok].value, res["delta"][ok].value)
    np.testing.assert_allclose(res["posunc"][ok].data, expected)
    # V from H, G: brighter for smaller H at similar distances
    assert np.isfinite(res["V"].value).all()


def _close_approacher(epoch_jd, distance_au, rel_speed_kms, direction):
    """An Apollo passing ``distance_au`` from the geocentre at ``epoch_jd``."""
    from astro_sso.ephemeris.planets import body_posvel

    ep, ev = body_posvel("earth", epoch_jd)
    sp, sv = body_posvel("sun", epoch_jd)
    d = np.asarray(direction, float) / np.linalg.norm(direction)
    perp = np.cross(d, [0.0, 0.0, 1.0])
    perp /= np.linalg.norm(perp)
    pos = ep - sp + distance_au * d
    vel = ev - sv + rel_speed_kms * 86400 / 149597870.7 * perp
    t = QTable(
        {
            "designation": ["CLOSE"],
            "x": [pos[0]] * u.AU,
            "y": [pos[1]] * u.AU,
            "z": [pos[2]] * u.AU,
            "vx": [vel[0]] * u.AU / u.day,
            "vy": [vel[1]] * u.AU / u.day,
            "vz": [vel[2]] * u.AU / u.day,
            "epoch": Time([epoch_jd], format="jd", scale="tdb"),
            "H": [24.0] * u.mag,
        },
        meta={"frame": "icrs"},
    )
    return t


def test_close_near_earth_object_is_found():
    base = synthetic_orbits(1000, seed=3)[
        ["designation", "a", "e", "i", "node", "argperi", "M", "epoch", "H"]
    ]
    close = _close_approacher(T0 + 5.0, 0.004, 12.0, [0.3, 0.8, 0.2])
    from astro_sso.ephemeris import state_to_elements

    st = np.array([[close[c][0].value for c in ("x", "y", "z", "vx", "vy", "vz")]])
    el = state_to_elements(st, frame="icrs")
    row = QTable({k: [el[k][0]] for k in ("e",)})
    for k in ("a",):
        row[k] = [el[k][0]] * u.AU
    for k in ("i", "node", "argperi", "M"):
        row[k] = [el[k][0]] * u.deg
    row["designation"] = ["CLOSE"]
    row["epoch"] = close["epoch"]
    row["H"] = [24.0] * u.mag
    cat = vstack([base, row[base.colnames]])
    known = KnownObjects(cat)
    for offset, observer in ((0.37, "I41"), (-0.21, "568"), (0.49, "500"), (0.0, "I41")):
        epoch = Time(T0 + 5.0 + offset, format="jd", scale="tdb")
        ref = known.brute_force(SkyCoord(0, 0, unit="deg"), 180 * u.deg, epoch, observer=observer)
        where = ref[ref["designation"] == "CLOSE"]
        center = SkyCoord(where["ra"][0], where["dec"][0])
        got = _check_against_brute(known, center, 0.5 * u.deg, epoch, observer)
        assert "CLOSE" in got["designation"]
    # the approacher moves degrees per hour: it is checked one by one, not through the tree
    node = known._node(known._k_of(T0 + 5.0))
    assert node.is_fast[-1]


def test_spacecraft_and_earthlocation_observers(known):
    from astro_sso.ephemeris import register_spacecraft, unregister_spacecraft

    times = Time(T0 + np.arange(0, 14, 0.5), format="jd", scale="tdb")
    n = len(times)
    table = QTable(
        {
            "obstime": times,
            "obs_x": np.full(n, 0.0085) * u.AU,
            "obs_y": np.full(n, -0.0051) * u.AU,
            "obs_z": np.full(n, 0.0022) * u.AU,
        }
    )
    register_spacecraft("ZZL2", table, obs_center="399")
    try:
        rng = np.random.default_rng(8)
        for jd in (T0 + 4.3, T0 + 9.81):
            center = SkyCoord(rng.uniform(0, 360), rng.uniform(-20, 20), unit="deg")
            _check_against_brute(
                known, center, 8 * u.deg, Time(jd, format="jd", scale="tdb"), "ZZL2"
            )
    finally:
        unregister_spacecraft("ZZL2")
    site = EarthLocation.from_geodetic(-70.7 * u.deg, -30.2 * u.deg, 2700 * u.m)
    _check_against_brute(
        known,
        SkyCoord(200, -10, unit="deg"),
        10 * u.deg,
        Time(T0 + 6.6, format="jd", scale="tdb"),
        site,
    )


def test_nbody_method_equals_its_brute_force():
    orb = synthetic_orbits(150, seed=9, mix=MIX)
    known = KnownObjects(orb, method="nbody")
    epoch = Time(T0 + 9.3, format="jd", scale="tdb")
    got = _check_against_brute(known, SkyCoord(150, 5, unit="deg"), 60 * u.deg, epoch, "I41")
    assert len(got) > 5


def test_real_ceres_from_jpl_horizons():
    """Ceres' JPL elements in a catalogue; cone searches at JPL Horizons' positions."""
    el, hz = ceres_horizons()
    ceres = QTable(
        {
            "designation": ["1"],
            "number": [1],
            "name": ["Ceres"],
            "a": [el["a"]] * u.AU,
            "e": [el["e"]],
            "i": [el["i"]] * u.deg,
            "node": [el["node"]] * u.deg,
            "argperi": [el["argperi"]] * u.deg,
            "M": [el["M"]] * u.deg,
            "epoch": Time([el["epoch_jd_tdb"]], format="jd", scale="tdb"),
            "H": [el["H"]] * u.mag,
            "G": [el["G"]],
        }
    )
    others = synthetic_orbits(2000, seed=12)
    others["number"] = -1
    others["name"] = ""
    cat = vstack([ceres, others[ceres.colnames]])
    for method, tol in (("twobody", 10.0), ("nbody", 0.5)):
        known = KnownObjects(cat, method=method)
        for k in range(len(hz["ra"])):
            when = Time(hz["jd_utc"][k], format="jd", scale="utc")
            res = known.cone_search(
                SkyCoord(hz["ra"][k], hz["dec"][k], unit="deg"), 60 * u.arcsec, when
            )
            assert res["name"][0] == "Ceres", method
            assert res["separation"][0] < tol * u.arcsec, method
            assert abs(res["delta"][0].value - hz["delta"][k]) < 1e-5
            assert abs(res["r"][0].value - hz["r"][k]) < 1e-5


def _skybot_votable():
    try:
        base = importlib.resources.files("astroquery.imcce.tests") / "data" / "skybot_query.vot"
    except ModuleNotFoundError:  # pragma: no cover
        pytest.skip("astroquery's SkyBoT test data are not installed")
    path = Path(str(base))
    if not path.exists():  # pragma: no cover
        pytest.skip("astroquery's skybot_query.vot is not installed")
    return path


def test_skybot_mapping_is_complete():
    """Every field of SkyBoT's real answer maps onto a column of cone_search (or is a duplicate)."""
    from astropy.io.votable import parse_single_table

    path = _skybot_votable()
    vot = parse_single_table(str(path))
    ids = {f.ID for f in vot.fields}
    names = {f.name for f in vot.fields}
    mapped_ids = {v[0] for v in SKYBOT_COLUMNS.values()}
    mapped_names = {v[1] for v in SKYBOT_COLUMNS.values()}
    assert ids == mapped_ids | set(SKYBOT_IGNORED)
    assert mapped_names <= names
    # both naming schemes give the columns of KnownObjects.cone_search
    by_id = from_skybot(vot.to_table(use_names_over_ids=False))
    by_name = from_skybot(vot.to_table(use_names_over_ids=True))
    expected = (
        KnownObjects(synthetic_orbits(10, seed=1))
        .cone_search(SkyCoord(0, 0, unit="deg"), 1 * u.arcsec, Time("2025-01-02"))
        .colnames
    )
    assert by_id.colnames == expected and by_name.colnames == expected
    # the real answer: four objects, sorted by distance from the centre
    assert len(by_id) == 4
    first = by_id[0]
    assert (first["designation"], first["number"], first["class"]) == (
        "229762",
        229762,
        "KBO>Detached",
    )
    # float32 fields of the VOTable
    assert first["separation"].to_value(u.arcsec) == pytest.approx(71.942, rel=1e-6)
    assert first["V"].to_value(u.mag) == pytest.approx(19.6, rel=1e-6)
    assert abs(first["ra"].value - 81.303190599627357) < 1e-12
    assert first["delta"].value == pytest.approx(39.584007991) and first[
        "r"
    ].value == pytest.approx(40.458336172)
    np.testing.assert_array_equal(by_id["separation"], by_name["separation"])
    assert np.all(np.diff(by_id["separation"].value) >= 0)


def test_skybot_answer_needs_every_column():
    with pytest.raises(InputError, match="lacks a column for 'posunc'"):
        from_skybot(_without_posunc())


def test_skybot_column_with_a_foreign_unit_warns():
    from astropy.table import Column, Table

    from astro_sso.exceptions import AstroSSOWarning

    sk = Table(
        {
            "Num": ["433"],
            "Name": ["Eros"],
            "_RAJ2000": [10.0],
            "_DECJ2000": [5.0],
            "Class": ["NEA>Amor"],
            "Mv": [12.0],
            "ErrPos": [0.01],
            "d": Column([3.0], unit="s"),
            "dRAcosDec": [10.0],
            "dDEC": [-2.0],
            "Dgeo": [0.5],
            "Dhelio": [1.4],
        }
    )
    with pytest.warns(AstroSSOWarning, match="'separation' has unit 's'"):
        t = from_skybot(sk)
    assert t["separation"][0] == 3.0 * u.arcsec


def _without_posunc():
    t = QTable()
    for ours, alt in SKYBOT_COLUMNS.items():
        if ours != "posunc":
            t[alt[1]] = ["1"] if ours in ("number", "name", "class") else [1.0]
    return t


def test_posunc_from_U_follows_the_mpc_table():
    # the MPC's runoff bins: U=1 below 4.4", U=5 below 1692", U=8 below 146502"
    edges = 648000.0 ** (np.arange(10) / 9.0)
    assert edges[1] == pytest.approx(4.42, abs=0.01)
    assert edges[5] == pytest.approx(1692, rel=1e-3) and edges[8] == pytest.approx(146502, rel=1e-3)
    mid = posunc_from_U(np.arange(1, 10))
    assert np.all((mid > edges[:-1]) & (mid < edges[1:]))
    assert np.isnan(posunc_from_U([-1, np.nan])).all()
    assert posunc_from_U([3], [2.0], [1.0])[0] == pytest.approx(2 * posunc_from_U([3])[0])


def test_bad_queries(known):
    epoch = Time(T0 + 1, format="jd", scale="tdb")
    c = SkyCoord(10, 10, unit="deg")
    with pytest.raises(InputError, match="scalar SkyCoord"):
        known.cone_search((10, 10), 1 * u.deg, epoch)
    with pytest.raises(InputError, match="angle"):
        known.cone_search(c, 1 * u.m, epoch)
    with pytest.raises(InputError, match="between 0 and 180"):
        known.cone_search(c, 200 * u.deg, epoch)
    with pytest.raises(InputError, match="scalar astropy Time"):
        known.cone_search(c, 1 * u.deg, Time([T0, T0 + 1], format="jd"))
    with pytest.raises(InputError, match="unknown MPC observatory code"):
        known.cone_search(c, 1 * u.deg, epoch, observer="XXQ")
    with pytest.raises(InputError, match="method"):
        KnownObjects(synthetic_orbits(3), method="magic")
    with pytest.raises(InputError, match="grid_step"):
        KnownObjects(synthetic_orbits(3), grid_step=-1 * u.day)


def test_empty_answers(known):
    epoch = Time(T0 + 1, format="jd", scale="tdb")
    res = known.cone_search(SkyCoord(10, 89.9, unit="deg"), 1 * u.arcsec, epoch)
    assert len(res) == 0 and res["ra"].unit == u.deg and res["separation"].unit == u.arcsec
    empty = KnownObjects(synthetic_orbits(0))
    res = empty.cone_search(SkyCoord(10, 0, unit="deg"), 10 * u.deg, epoch)
    assert len(res) == 0 and "designation" in res.colnames


def test_grid_build_cache_and_memory():
    known = KnownObjects(synthetic_orbits(500, seed=2), max_nodes=3)
    known.build(Time(T0, format="jd", scale="tdb"), Time(T0 + 2, format="jd", scale="tdb"))
    assert len(known.node_times) == 3 and known.nbytes > 500 * 60
    assert "3 node(s)" in repr(known)
    known.cone_search(SkyCoord(0, 0, unit="deg"), 1 * u.deg, Time(T0 + 5, format="jd", scale="tdb"))
    assert len(known.node_times) == 3  # least recently used node dropped
    newest = known._t_ref + known._k_of(T0 + 5) * known.grid_step
    assert np.isclose(known.node_times.jd.max(), newest)
    with pytest.raises(InputError, match="max_nodes=3"):
        known.build(Time(T0, format="jd", scale="tdb"), Time(T0 + 10, format="jd", scale="tdb"))
