"""Test data of astro-sso-skybot: real recorded service answers, their replay, and helpers.

Real answers (recorded by the astroquery developers, shipped in its wheel):

* ``astroquery/imcce/tests/data/skybot_query.vot``: a SkyBoT cone search at
  RA 81.2833, Dec +4.49278, radius 720", 2025-01-02 00:00 UTC, geocentre:
  four objects (two TNOs, a main-belt asteroid, a Mars-crosser);
* ``astroquery/jplhorizons/tests/data/ceres_*``: JPL Horizons answers for
  (1) Ceres, 2022-06-10 to 2022-07-10 every 10 days (geocentric observer
  table, osculating elements), and ``tlist_error.txt``, a Horizons error answer.

They are replayed by monkeypatching the clients' ``_request`` method, as
astroquery's own tests do. These machines cannot record new answers: every
answer written here by hand is synthetic, and its name starts with
``synthetic``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from astropy.table import QTable
from astropy.time import Time

from astro_sso.testing import astroquery_test_file, realdata_path, recorded_horizons

#: Real data shared by the project (see its README); absent for installed packages.
REALDATA = realdata_path()

#: Time of the recorded SkyBoT answer (its ``Epoch`` field, UTC).
SKYBOT_EPOCH = Time("2025-01-02T00:00:00", scale="utc")
#: Centre and radius of the recorded SkyBoT cone search.
SKYBOT_CENTER = (81.2833, 4.49278)
SKYBOT_RADIUS = 720.0 * u.arcsec


def astroquery_data(package: str, name: str) -> Path:
    """Path of a file of astroquery's test data, or skip the test with the reason."""
    try:
        return astroquery_test_file(package, name)
    except FileNotFoundError as exc:
        pytest.skip(str(exc))


def recorded_skybot() -> bytes:
    """The real SkyBoT answer (VOTable bytes)."""
    return astroquery_data("astroquery.imcce", "skybot_query.vot").read_bytes()


def realdata() -> Path:
    """The shared real-data folder, or skip with the reason."""
    if REALDATA is None:
        pytest.skip(
            "the shared real-data folder (shared/realdata next to the checkout) is absent; "
            "set ASTRO_SSO_REALDATA to its path"
        )
    return REALDATA


# ----------------------------------------------------------------------------- replays


class Calls(list):
    """Payloads of the replayed requests, in order."""


def skybot_replay(content, calls=None, status=200):
    """A replacement of ``SkybotClass._request`` that answers ``content`` (bytes)."""
    from astroquery.utils.mocks import MockResponse

    def _request(self, method="GET", url="", **kwargs):
        if calls is not None:
            calls.append(dict(kwargs.get("params") or {}, _url=url, _timeout=kwargs.get("timeout")))
        return MockResponse(content=content, url=url, status_code=status)

    return _request


def read_horizons_block(name):
    """Header names and rows (lists of stripped strings) of a recorded Horizons CSV block."""
    astroquery_data("astroquery.jplhorizons", name)  # skip with the reason when absent
    return recorded_horizons(name)


def horizons_replay(name, calls=None):
    """A replacement of ``HorizonsClass._request`` serving a recorded observer table.

    The answer is the recorded file with its data block restricted to the
    epochs the request's ``TLIST`` asks for (each must be a recorded epoch), so
    a batched query gets, batch by batch, the real rows it asked for.
    """
    from astroquery.utils.mocks import MockResponse

    text = astroquery_data("astroquery.jplhorizons", name).read_text()
    lines = text.splitlines()
    start, stop = lines.index("$$SOE"), lines.index("$$EOE")
    rows = lines[start + 1 : stop]
    jds = np.array([float(r.split(",")[1]) for r in rows])

    def _request(self, request_type, url, **kwargs):
        params = kwargs["params"]
        if calls is not None:
            calls.append(dict(params, _url=url, _timeout=kwargs.get("timeout")))
        wanted = [float(x) for x in str(params["TLIST"]).split("\n") if x.strip()]
        keep = []
        for jd in wanted:
            hit = np.flatnonzero(np.abs(jds - jd) < 1e-6)
            assert hit.size, f"epoch {jd} was not recorded in {name}"
            keep.append(rows[int(hit[0])])
        body = "\n".join(lines[: start + 1] + keep + lines[stop:]) + "\n"
        return MockResponse(content=body.encode(), url=url)

    return _request


def file_replay(name, calls=None):
    """A replacement of ``HorizonsClass._request`` answering a recorded file as it is."""
    from astroquery.utils.mocks import MockResponse

    content = astroquery_data("astroquery.jplhorizons", name).read_bytes()

    def _request(self, request_type, url, **kwargs):
        if calls is not None:
            calls.append(dict(kwargs["params"]))
        return MockResponse(content=content, url=url)

    return _request


# --------------------------------------------------------------------- synthetic answers

#: Synthetic (hand-written) SkyBoT answer in its text format: no object in the cone.
SYNTHETIC_SKYBOT_NO_OBJECT_TEXT = (
    b"# Flag: 0\n# Ticket: 100000000000000000\nNo solar system object was found in the FOV\n"
)
#: Synthetic (hand-written) SkyBoT answer in its text format: the service failed.
SYNTHETIC_SKYBOT_ERROR_TEXT = (
    b"# Flag: -1\n# Ticket: 100000000000000001\n"
    b"SkyBoT asteroid conesearch -> computeEphemeris: *** Error\n"
)


def synthetic_skybot_votable(rows=(), status="OK", message=None) -> bytes:
    """A synthetic SkyBoT VOTable: the real answer's layout with rows written here.

    Parameters
    ----------
    rows : sequence of dict
        Each with ``num``, ``name``, ``ra``, ``dec`` [deg], ``class``, ``V``,
        ``dist`` [arcsec], ``ra_rate``, ``dec_rate`` [arcsec/h], ``dgeo``,
        ``dhelio`` [AU].
    status : str
        ``QUERY_STATUS`` of the answer (``'OK'`` or ``'ERROR'``).
    message : str, optional
        Text of the ``QUERY_STATUS`` element.
    """
    real = recorded_skybot().decode()
    head, rest = real.split("<vot:TABLEDATA>", 1)
    tail = rest.split("</vot:TABLEDATA>", 1)[1]
    head = head.replace(
        '<vot:INFO ID="status" name="QUERY_STATUS" value="OK"/>',
        f'<vot:INFO ID="status" name="QUERY_STATUS" value="{status}">{message or ""}</vot:INFO>',
    )
    body = []
    for r in rows:
        cells = [
            r["num"],
            r["name"],
            "00 00 00.0",
            "+00 00 00.0",
            r["class"],
            f"{r['V']:.2f}",
            "0.050",
            f"{r['dist']:.3f}",
            f"{r['ra_rate']:.4f}",
            f"{r['dec_rate']:.4f}",
            f"{r['dgeo']:.9f}",
            f"{r['dhelio']:.9f}",
            f"{r['ra']:.9f}",
            f"{r['dec']:.9f}",
            "https://example.invalid/synthetic",
        ]
        body.append("<vot:TR>" + "".join(f"<vot:TD>{c}</vot:TD>" for c in cells) + "</vot:TR>")
    out = head + "<vot:TABLEDATA>" + "\n".join(body) + "</vot:TABLEDATA>" + tail
    out = re.sub(r'nrows="\d+"', f'nrows="{len(rows)}"', out)
    return out.encode()


# ------------------------------------------------------------------------- catalogues


def object_at(
    designation,
    ra,
    dec,
    delta,
    time,
    *,
    observer="500",
    ra_rate=0.0,
    dec_rate=0.0,
    V=None,
    G=0.15,
    number=-1,
    klass="MBA",
):
    """A one-row orbits table (Cartesian state) whose astrometric position is given.

    The object is put at RA/Dec ``ra``, ``dec`` [deg] and distance ``delta``
    [AU] from ``observer`` at ``time`` (the state is given at ``time`` minus
    the light time, so the ephemeris engine returns that position), with the
    apparent rates ``ra_rate`` (dRA cos Dec) and ``dec_rate`` [arcsec/h] and no
    heliocentric radial velocity (which only moves the object along the line of
    sight). ``H`` is chosen so that the predicted V at ``time`` is ``V``.
    This reproduces a service's prediction at one epoch; it is not the
    object's real orbit.
    """
    from astro_sso.ephemeris import C_AU_PER_DAY, hg_magnitude, observer_barycentric
    from astro_sso.ephemeris.planets import body_posvel

    t = Time(time)
    op, ov = observer_barycentric(observer, t.reshape(1))
    op, ov = op[0], ov[0]
    a, d = np.radians(ra), np.radians(dec)
    uvec = np.array([np.cos(d) * np.cos(a), np.cos(d) * np.sin(a), np.sin(d)])
    e_ra = np.array([-np.sin(a), np.cos(a), 0.0])
    e_dec = np.array([-np.sin(d) * np.cos(a), -np.sin(d) * np.sin(a), np.cos(d)])
    tau = delta / C_AU_PER_DAY
    jd = t.tdb.jd - tau
    sp, sv = body_posvel("sun", np.array([jd]))
    sp, sv = np.asarray(sp).reshape(3), np.asarray(sv).reshape(3)
    x_bary = op + delta * uvec
    k = np.radians(1.0 / 3600.0) * 24.0  # arcsec/h -> rad/d
    v_perp = ov + delta * (ra_rate * k * e_ra + dec_rate * k * e_dec)
    r = x_bary - sp
    rhat = r / np.linalg.norm(r)
    lam = -np.dot(v_perp - sv, rhat) / np.dot(uvec, rhat)
    v = v_perp + lam * uvec - sv
    table = QTable()
    table["designation"] = [str(designation)]
    table["number"] = np.array([int(number)], dtype=np.int64)
    table["class"] = [str(klass)]
    for name, val in zip(("x", "y", "z"), r, strict=True):
        table[name] = [val] * u.AU
    for name, val in zip(("vx", "vy", "vz"), v, strict=True):
        table[name] = [val] * (u.AU / u.day)
    table["epoch"] = Time([jd], format="jd", scale="tdb")
    if V is not None:
        to_sun = -r
        to_obs = op - x_bary
        phase = np.degrees(
            np.arctan2(np.linalg.norm(np.cross(to_sun, to_obs)), np.dot(to_sun, to_obs))
        )
        H = V - float(hg_magnitude(0.0, G, np.linalg.norm(r), delta, phase))
        table["H"] = [H] * u.mag
        table["G"] = [G]
    table.meta["frame"] = "icrs"
    return table


def skybot_catalogue():
    """A local catalogue reproducing the recorded SkyBoT answer at its epoch.

    One Cartesian state per object of the real answer (`object_at`: its
    SkyBoT position, distance, rates and V, geocentric, at 2025-01-02 00:00
    UTC), with SkyBoT's designation, number and class (translated).
    """
    from astro_sso_skybot.services import read_skybot_answer
    from astropy.table import vstack

    sky = read_skybot_answer(recorded_skybot())
    rows = [
        object_at(
            sky["designation"][k],
            sky["ra"][k].to_value(u.deg),
            sky["dec"][k].to_value(u.deg),
            sky["delta"][k].to_value(u.AU),
            SKYBOT_EPOCH,
            observer="500",
            ra_rate=sky["ra_rate"][k].to_value(u.arcsec / u.h),
            dec_rate=sky["dec_rate"][k].to_value(u.arcsec / u.h),
            V=sky["V"][k].to_value(u.mag),
            number=sky["number"][k],
            klass=sky["class"][k],
        )
        for k in range(len(sky))
    ]
    out = vstack(rows, metadata_conflicts="silent")
    out.meta["frame"] = "icrs"
    return sky, out


def ceres_orbit():
    """(1) Ceres' real osculating elements of 2022-06-10 (Horizons) as an orbits table."""
    header, rows = read_horizons_block("ceres_elements_range.txt")
    r = rows[0]

    def f(key):
        return float(r[header.index(key)])

    return QTable(
        {
            "designation": ["1"],
            "number": np.array([1], dtype=np.int64),
            "class": ["MBA"],
            "a": [f("A")] * u.AU,
            "e": [f("EC")],
            "i": [f("IN")] * u.deg,
            "node": [f("OM")] * u.deg,
            "argperi": [f("W")] * u.deg,
            "M": [f("MA")] * u.deg,
            "epoch": Time([f("JDTDB")], format="jd", scale="tdb"),
            "H": [3.33] * u.mag,
            "G": [0.12],
        }
    )


def ceres_positions():
    """Recorded geocentric astrometric RA/Dec [deg] of Ceres, with UTC times and V."""
    header, rows = read_horizons_block("ceres_ephemerides_range.txt")

    def col(key):
        return np.array([float(r[header.index(key)]) for r in rows])

    t = Time(col("Date_________JDUT"), format="jd", scale="utc")
    return t, col("R.A._(ICRF)"), col("DEC_(ICRF)"), col("APmag")
