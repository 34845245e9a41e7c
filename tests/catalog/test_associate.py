"""associate(): identify detections with known objects, in exposures or one by one."""

import csv
import json
import warnings

import astropy.units as u
import numpy as np
import pytest
from astropy.coordinates import GeocentricTrueEcliptic, SkyCoord
from astropy.table import QTable, vstack
from astropy.time import Time
from catalog_data import REALDATA

from astro_sso.catalog import KnownObjects, associate
from astro_sso.exceptions import AstroSSOWarning, InputError
from astro_sso.simulate import opposition_point, simulate_survey, synthetic_orbits

NIGHT = Time("2024-01-15T06:00:00", scale="utc")
MIX = {"MBA": 0.7, "NEA": 0.15, "Trojan": 0.1, "Hungaria": 0.05}


@pytest.fixture(scope="module")
def survey():
    """A night of a ZTF-like survey over a synthetic catalogue, with decoys."""
    lon = opposition_point(NIGHT).transform_to(GeocentricTrueEcliptic(equinox=NIGHT)).lon.deg
    orb = synthetic_orbits(12000, seed=5, mix=MIX, near_longitude=lon, longitude_spread=12)
    _, det = simulate_survey(
        orb, night=NIGHT, n_fields=4, n_visits=3, n_unrelated=150, seed=5, limiting_mag=21.5
    )
    real = det[det["true_designation"] != ""]
    rng = np.random.default_rng(6)
    decoys = real.copy()
    off = rng.uniform(3.0, 6.0, len(decoys)) * u.arcsec
    pa = rng.uniform(0, 2 * np.pi, len(decoys))
    decoys["dec"] = decoys["dec"] + off * np.cos(pa)
    decoys["ra"] = decoys["ra"] + off * np.sin(pa) / np.cos(decoys["dec"])
    decoys["true_designation"] = "DECOY"
    allt = vstack([det, decoys])
    allt["det_id"] = np.arange(len(allt)) + 1000
    return orb, allt


def test_survey_identification(survey):
    orb, det = survey
    truth = np.asarray(det["true_designation"])
    known = KnownObjects(orb)
    res = associate(det, known)
    assert len(res) == len(det)
    np.testing.assert_array_equal(res["det_id"], det["det_id"])
    got = np.asarray(res["designation"])
    real = (truth != "") & (truth != "DECOY")
    decoy = truth == "DECOY"
    assert real.sum() > 300 and decoy.sum() > 300
    assert np.mean(got[real] == truth[real]) >= 0.99
    assert np.mean(got[decoy] != "") < 0.001
    assert np.mean(got[truth == ""] != "") < 0.01
    hit = got != ""
    assert np.all(res["separation"][hit] <= 2 * u.arcsec)
    assert np.all(np.isnan(res["separation"][~hit].value))
    assert np.all(res["n_candidates"][real] >= 1)
    # exact positions are shared by the detections of an exposure
    prov = res.meta["provenance"]
    assert prov["n_exact_positions"] <= int(res["n_candidates"].sum())
    assert prov["parameters"]["tolerance_arcsec"] == 2.0 and prov["n_matched"] == int(hit.sum())
    # predicted positions and magnitudes come with the identification
    sep = SkyCoord(res["ra_pred"][hit], res["dec_pred"][hit]).separation(
        SkyCoord(det["ra"][hit], det["dec"][hit])
    )
    np.testing.assert_allclose(sep.arcsec, res["separation"][hit].value, atol=1e-6)
    assert np.isfinite(res["V"][hit].value).all()


def test_detections_at_unique_times_pairwise():
    """Each detection at its own time and site, as ZTF alerts or tracklets come."""
    from astro_sso.ephemeris import ephemeris

    orb = synthetic_orbits(3000, seed=8, mix=MIX)
    rng = np.random.default_rng(9)
    pick = rng.choice(len(orb), 60, replace=False)
    rows = []
    for site in ("I41", "F51", "500"):
        times = Time(2460320.5 + np.sort(rng.uniform(0, 3, 8)), format="jd", scale="tdb")
        eph = ephemeris(orb[pick[:20]], times, observer=site, method="twobody")
        eph["observer"] = site
        rows.append(eph)
        pick = np.roll(pick, 20)
    eph = vstack(rows, metadata_conflicts="silent")
    noise = rng.normal(0, 0.3, (2, len(eph))) * u.arcsec
    det = QTable(
        {
            "ra": eph["ra"] + noise[0] / np.cos(eph["dec"]),
            "dec": eph["dec"] + noise[1],
            "obstime": eph["obstime"],
            "observer": eph["observer"],
        }
    )
    res = associate(det, orb)  # an orbits table builds the index
    assert np.mean(res["designation"] == eph["designation"]) >= 0.99
    assert res["det_id"].tolist() == list(range(len(det)))


def test_spacecraft_rows_with_ades_positions():
    from astro_sso.ephemeris import astrometric, prepare_orbits
    from astro_sso.ephemeris.planets import body_posvel

    orb = synthetic_orbits(2000, seed=10)
    prep = prepare_orbits(orb[:15])
    t = 2460318.3 + np.linspace(0, 1.5, 15)
    xyz = np.array([0.011, -0.004, 0.002])
    earth, _ = body_posvel("earth", t)
    out = astrometric(prep, t, earth + xyz, pairwise=True)
    det = QTable(
        {
            "ra": out["ra"] * u.deg,
            "dec": out["dec"] * u.deg,
            "obstime": Time(t, format="jd", scale="tdb"),
            "observer": np.full(15, "274"),
            "obs_x": np.full(15, xyz[0]) * u.AU,
            "obs_y": np.full(15, xyz[1]) * u.AU,
            "obs_z": np.full(15, xyz[2]) * u.AU,
            "obs_center": np.full(15, "399"),
        }
    )
    res = associate(det, KnownObjects(orb))
    assert res["designation"].tolist() == orb["designation"][:15].tolist()
    assert np.all(res["separation"] < 1e-3 * u.arcsec)
    # seen from the geocentre instead, the near objects are off by their parallax
    geo = det.copy()
    geo.remove_columns(["obs_x", "obs_y", "obs_z", "obs_center"])
    geo["observer"] = "500"
    res_geo = associate(geo, KnownObjects(orb), tolerance=1 * u.arcsec)
    assert (res_geo["designation"] != res["designation"]).sum() >= 10


def test_bad_input():
    orb = synthetic_orbits(50, seed=1)
    known = KnownObjects(orb)
    t = Time(["2024-01-05T00:00", "2024-01-05T00:10", "2024-01-05T00:20"], scale="utc")
    good = QTable({"ra": [10.0, 11.0, 12.0] * u.deg, "dec": [1.0, 2.0, 3.0] * u.deg, "obstime": t})
    with pytest.raises(
        InputError, match=r"'observer' column.*got columns \['ra', 'dec', 'obstime'\]"
    ):
        associate(good, known)
    with pytest.raises(InputError, match=r"column 'obstime' missing.*got columns \['ra', 'dec'"):
        associate(good[["ra", "dec"]], known, observer="I41")
    bad_units = good.copy()
    bad_units["ra"] = [1.0, 2.0, 3.0] * u.m
    with pytest.raises(InputError, match="'ra'.*does not convert"):
        associate(bad_units, known, observer="I41")
    nan = good.copy()
    nan["dec"][1] = np.nan * u.deg
    with pytest.raises(InputError, match=r"1 detection\(s\) have NaN ra/dec.*rows \[1\]"):
        associate(nan, known, observer="I41")
    with pytest.warns(AstroSSOWarning, match=r"rows \[1\]"):
        res = associate(nan, known, observer="I41", errors="skip")
    assert len(res) == 3 and res["designation"][1] == "" and res["n_candidates"][1] == 0
    with pytest.raises(InputError, match="tolerance must be an angle"):
        associate(good, known, tolerance=2 * u.s, observer="I41")
    with pytest.raises(InputError, match="astropy Table"):
        associate({"ra": [1.0]}, known)
    with pytest.raises(InputError, match="KnownObjects index or an orbits table"):
        associate(good, "MPCORB.DAT", observer="I41")
    with pytest.raises(InputError, match="unknown MPC observatory code"):
        associate(good, known, observer="QQQ")


def test_empty_table_gives_typed_empty_result():
    known = KnownObjects(synthetic_orbits(20, seed=1))
    empty = QTable(
        {
            "ra": np.zeros(0) * u.deg,
            "dec": np.zeros(0) * u.deg,
            "obstime": Time(np.zeros(0), format="jd"),
            "observer": np.zeros(0, dtype=str),
        }
    )
    res = associate(empty, known)
    assert len(res) == 0
    assert res.colnames == [
        "det_id",
        "designation",
        "number",
        "class",
        "separation",
        "ra_pred",
        "dec_pred",
        "V",
        "n_candidates",
    ]
    assert res["separation"].unit == u.arcsec and res["ra_pred"].unit == u.deg


# --------------------------------------------------------------------------- real ZTF data

ZTF = REALDATA / "ztf_sso"


def _local_orbit(name, t_utc, ra, dec, delta, observer="I41"):
    """Cartesian orbits that put an object at (ra, dec, delta) seen from ``observer`` at ``t_utc``.

    The position is the one an astrometric ephemeris describes: the object at
    t - tau sits ``delta`` AU from the observer's position at t along (ra, dec).
    The epoch of the state is t - tau, so the velocity (circular, prograde) only
    matters over the light time.
    """
    from astro_sso.ephemeris import C_AU_PER_DAY, GM_SUN, observer_barycentric
    from astro_sso.ephemeris.planets import body_posvel

    obs, _ = observer_barycentric(observer, t_utc)
    u_vec = SkyCoord(ra * u.deg, dec * u.deg).cartesian.xyz.value.T
    tau = delta / C_AU_PER_DAY
    t_tdb = t_utc.tdb.jd - tau
    sun, _ = body_posvel("sun", t_tdb)
    pos = obs + delta[:, None] * u_vec - sun
    r = np.linalg.norm(pos, axis=1)
    pole = np.array([0.0, -0.3977771559, 0.9174820621])  # ecliptic pole, ICRS axes
    along = np.cross(pole, pos)
    vel = along / np.linalg.norm(along, axis=1)[:, None] * np.sqrt(GM_SUN / r)[:, None]
    t = QTable(
        {
            "designation": np.asarray(name, dtype=str),
            "x": pos[:, 0] * u.AU,
            "y": pos[:, 1] * u.AU,
            "z": pos[:, 2] * u.AU,
            "vx": vel[:, 0] * u.AU / u.day,
            "vy": vel[:, 1] * u.AU / u.day,
            "vz": vel[:, 2] * u.AU / u.day,
            "epoch": Time(t_tdb, format="jd", scale="tdb"),
        },
        meta={"frame": "icrs"},
    )
    return t


@pytest.fixture(scope="module")
def ztf_rows():
    path = ZTF / "PARSED_ztf_sso_lightcurves_33803_8467_2005XM12.csv"
    if not path.exists():
        pytest.skip(f"real ZTF data not found at {ZTF} (the shared realdata folder is absent)")
    with open(path) as fh:
        return list(csv.DictReader(fh))


def test_real_ztf_detections(ztf_rows):
    """333 real ZTF detections (I41) of (33803), (8467) and 2005 XM12.

    Fink attached the ephemeris position (from IMCCE's Miriade) of (33803) and
    (8467) to each detection. A catalogue of local orbits reproduces those
    ephemeris positions; associate() must then identify every detection of the
    two asteroids (ZTF minus ephemeris is 0.17" median, 0.44" at most), report
    exactly the ZTF-to-ephemeris separation (which checks the observer and
    light-time handling end to end on real times and positions), and leave the
    2005 XM12 detections unmatched. Seen from the geocentre instead of Palomar
    the same detections miss by their parallax.
    """
    jd = np.array([float(r["jd"]) for r in ztf_rows])
    t_mid = Time(jd, format="jd", scale="utc") + 15 * u.s  # ZTF jd is the exposure start
    has_eph = np.array([r["eph_RA"] != "" for r in ztf_rows])
    k = np.flatnonzero(has_eph)
    names = np.array([f"{ztf_rows[j]['ssnamenr']}#{j}" for j in k])
    eph_ra = np.array([float(ztf_rows[j]["eph_RA"]) for j in k])
    eph_dec = np.array([float(ztf_rows[j]["eph_DEC"]) for j in k])
    dobs = np.array([float(ztf_rows[j]["Dobs"]) for j in k])
    orbits = _local_orbit(names, t_mid[k], eph_ra, eph_dec, dobs)
    det = QTable(
        {
            "det_id": np.arange(len(ztf_rows)),
            "ra": [float(r["ra"]) for r in ztf_rows] * u.deg,
            "dec": [float(r["dec"]) for r in ztf_rows] * u.deg,
            "obstime": t_mid,
            "observer": np.full(len(ztf_rows), "I41"),
        }
    )
    known = KnownObjects(orbits, grid_step=5 * u.day, max_nodes=2000)
    res = associate(det, known)
    got = np.asarray(res["designation"][k])
    assert [g.split("#")[0] for g in got] == [n.split("#")[0] for n in names]
    assert np.all(res["designation"][~has_eph] == "")
    direct = SkyCoord(det["ra"][k], det["dec"][k]).separation(
        SkyCoord(eph_ra * u.deg, eph_dec * u.deg)
    )
    sep = res["separation"][k].to_value(u.arcsec)
    # the detection's own orbit is a candidate at exactly the direct separation; a
    # sibling orbit (another detection of the same object seconds away) may be nearer
    assert np.all(sep <= direct.arcsec + 0.005)
    own = got == names
    assert own.mean() > 0.9
    np.testing.assert_allclose(sep[own], direct.arcsec[own], atol=0.005)
    assert np.median(res["separation"][k]) < 0.3 * u.arcsec
    assert res["separation"][k].max() < 0.5 * u.arcsec
    det_geo = det.copy()
    det_geo["observer"] = "500"
    geo = associate(det_geo, known)
    assert np.mean(geo["designation"][k] == names) < 0.5


def test_real_ztf_star_next_to_an_asteroid():
    """ZTF's alert of a 14.2 mag star 23" from asteroid (301791): not a 2" match."""
    path = ZTF / "ZTF19abrljdq_301791_NEGATIVE_23arcsec_star_candidate.json"
    if not path.exists():
        pytest.skip(f"real ZTF data not found at {ZTF} (the shared realdata folder is absent)")
    cand = json.loads(path.read_text())["candidate"]
    t = Time([cand["jd"]], format="jd", scale="utc") + 15 * u.s
    star = SkyCoord(cand["ra"] * u.deg, cand["dec"] * u.deg)
    # (301791) placed where the alert says: ssdistnr = 23" from the source
    where = star.directional_offset_by(40 * u.deg, cand["ssdistnr"] * u.arcsec)
    orbits = _local_orbit(
        ["301791"], t, np.array([where.ra.deg]), np.array([where.dec.deg]), np.array([2.1])
    )
    others = synthetic_orbits(500, seed=4)
    cat = vstack([orbits, _to_cartesian(others)])
    cat.meta["frame"] = "icrs"
    det = QTable(
        {
            "ra": [cand["ra"]] * u.deg,
            "dec": [cand["dec"]] * u.deg,
            "obstime": t,
            "observer": ["I41"],
        }
    )
    known = KnownObjects(cat)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AstroSSOWarning)
        assert associate(det, known)["designation"][0] == ""
        wide = associate(det, known, tolerance=30 * u.arcsec)
    assert wide["designation"][0] == "301791"
    assert abs(wide["separation"][0].to_value(u.arcsec) - 23.0) < 0.01


def _to_cartesian(orb):
    from astro_sso.ephemeris import prepare_orbits

    p = prepare_orbits(orb)
    return QTable(
        {
            "designation": p.designation,
            "x": p.state[:, 0] * u.AU,
            "y": p.state[:, 1] * u.AU,
            "z": p.state[:, 2] * u.AU,
            "vx": p.state[:, 3] * u.AU / u.day,
            "vy": p.state[:, 4] * u.AU / u.day,
            "vz": p.state[:, 5] * u.AU / u.day,
            "epoch": Time(p.epoch, format="jd", scale="tdb"),
        }
    )
