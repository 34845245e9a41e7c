"""Where the observer is: MPC observatory codes, Earth locations and spacecraft.

An observer is one of

* an MPC observatory code (``"500"`` geocentre, ``"I41"`` ZTF at Palomar,
  ``"X05"`` Rubin, ``"W84"`` DECam, ...): the site's geocentric position comes
  from the MPC parallax constants (``rho cos phi'``, ``rho sin phi'`` in units
  of the Earth's equatorial radius, 6378.137 km, and the east longitude),
  rotated to GCRS axes by astropy with the UT1 and polar motion of the bundled
  IERS tables;
* an `~astropy.coordinates.EarthLocation`;
* a spacecraft registered under a code with :func:`register_spacecraft`, from
  a table of positions (cubic-spline, or cubic-Hermite when velocities are
  given, interpolation) or from a NORAD two-line element set (SGP4, TEME to
  GCRS through astropy). Space-telescope codes of the MPC list (``"250"``
  HST, ``"C57"`` TESS, ``"274"`` JWST, ...) must be registered before use.

Positions are returned barycentric, ICRS axes, in AU and AU/d: the Earth's
barycentric state (from :func:`astro_sso.ephemeris.planets.body_posvel`) plus
the geocentric (GCRS) offset.

Examples
--------
>>> from astropy.time import Time
>>> from astro_sso.ephemeris.observers import observer_barycentric
>>> pos, vel = observer_barycentric("500", Time(["2022-06-10T00:00:00"], scale="utc"))
>>> pos.shape
(1, 3)
"""

from __future__ import annotations

import difflib
import functools
import gzip
import json
from dataclasses import dataclass, field
from importlib import resources

import numpy as np

from astro_sso.ephemeris.constants import AU_KM, DAY_S, EARTH_EQUATORIAL_RADIUS_KM, J2000_JD
from astro_sso.ephemeris.iers import iers_guard
from astro_sso.exceptions import EphemerisRangeError, InputError

__all__ = [
    "GEOCENTRE_CODES",
    "observatory",
    "observatory_codes",
    "observer_barycentric",
    "observer_geocentric",
    "observers_barycentric",
    "register_spacecraft",
    "registered_spacecraft",
    "site_location",
    "unregister_spacecraft",
]

#: Codes that mean the centre of the Earth.
GEOCENTRE_CODES = ("500",)

# NAIF ids accepted as ``obs_center`` -> body name of planets.body_posvel (None: SSB).
_CENTERS = {
    "0": None,
    "10": "sun",
    "399": "earth",
    "301": "moon",
    "3": "earth-moon-barycenter",
    "1": "mercury",
    "199": "mercury",
    "2": "venus",
    "299": "venus",
    "4": "mars",
    "499": "mars",
    "5": "jupiter",
    "599": "jupiter",
    "6": "saturn",
    "7": "uranus",
    "8": "neptune",
}
_CENTER_ALIASES = {
    "ssb": "0",
    "barycenter": "0",
    "500@0": "0",
    "sun": "10",
    "500@10": "10",
    "@sun": "10",
    "earth": "399",
    "geocenter": "399",
    "geocentre": "399",
    "500@399": "399",
    "500": "399",
    "moon": "301",
}


@functools.lru_cache(maxsize=1)
def _obscodes():
    # a list refreshed from the MPC (`astro-sso obscodes`) wins over the shipped one
    from .obscodes import user_obscodes_path

    user = user_obscodes_path()
    if user.is_file():
        with gzip.open(user, "rt", encoding="utf-8") as gz:
            return json.load(gz)
    ref = resources.files("astro_sso") / "data" / "ObsCodes.json.gz"
    with ref.open("rb") as fh, gzip.open(fh, "rt", encoding="utf-8") as gz:
        return json.load(gz)


def observatory_codes():
    """All MPC observatory codes known offline (ground sites and space telescopes).

    Returns
    -------
    dict
        ``{code: {"Longitude": deg E, "cos": rho cos phi', "sin": rho sin phi',
        "Name": str}}``; space telescopes carry only ``"Name"``.

    Examples
    --------
    >>> from astro_sso.ephemeris.observers import observatory_codes
    >>> observatory_codes()["I41"]["Name"]
    'Palomar Mountain--ZTF'
    """
    return _obscodes()


def _close_matches(code):
    codes = _obscodes()
    up = code.upper()
    # one character off first (typos in 3-character codes), then difflib's ranking
    hamming = [
        k
        for k in codes
        if len(k) == len(up) and sum(a != b for a, b in zip(k, up, strict=True)) == 1
    ]
    near = hamming[:5] + difflib.get_close_matches(up, list(codes), n=5, cutoff=0.5)
    low = code.lower()
    by_name = [k for k, v in codes.items() if len(low) >= 3 and low in v.get("Name", "").lower()]
    out = list(dict.fromkeys(near + by_name[:5]))
    return ", ".join(f"{k} ({codes[k].get('Name', '')})" for k in out[:8])


@dataclass
class _Spacecraft:
    code: str
    name: str
    kind: str  # "table" or "tle"
    center: str = "399"
    t_jd: np.ndarray | None = None  # TDB JD of table rows
    spline: object = None
    satrec: object = None
    extra: dict = field(default_factory=dict)


_SPACECRAFT: dict[str, _Spacecraft] = {}


def observatory(code):
    """Describe an observer code: ground site, geocentre or (registered) spacecraft.

    Parameters
    ----------
    code : str
        MPC observatory code.

    Returns
    -------
    dict
        ``{"code", "name", "kind"}`` with kind ``"geocentre"``, ``"ground"``,
        ``"spacecraft"`` (registered) and, for ground sites, ``"longitude"``
        [deg E], ``"rho_cos_phi"``, ``"rho_sin_phi"`` [Earth radii].

    Raises
    ------
    InputError
        Unknown code (the message lists close matches), or a space-telescope
        code that has not been registered.

    Examples
    --------
    >>> from astro_sso.ephemeris.observers import observatory
    >>> observatory("X05")["name"]
    'Simonyi Survey Telescope, Rubin Observatory'
    """
    code = _normalize_code(code)
    if code in _SPACECRAFT:
        sc = _SPACECRAFT[code]
        return {"code": code, "name": sc.name, "kind": "spacecraft"}
    codes = _obscodes()
    if code not in codes:
        hint = _close_matches(code)
        raise InputError(
            f"unknown MPC observatory code {code!r}"
            + (f"; close matches: {hint}" if hint else "")
            + ". Use a code from the MPC list (https://minorplanetcenter.net/iau/lists/"
            "ObsCodesF.html), an astropy EarthLocation, or register a spacecraft with "
            "astro_sso.ephemeris.register_spacecraft(code, ...)"
        )
    entry = codes[code]
    if "cos" not in entry:
        raise InputError(
            f"observatory code {code!r} ({entry.get('Name', '')}) is a spacecraft without fixed "
            "site constants: register its positions first with "
            f"astro_sso.ephemeris.register_spacecraft({code!r}, table_or_tle) (a table with "
            "obstime, obs_x, obs_y, obs_z relative to obs_center, or two TLE lines), or give "
            "obs_x/obs_y/obs_z columns in the detection table"
        )
    kind = "geocentre" if code in GEOCENTRE_CODES else "ground"
    return {
        "code": code,
        "name": entry.get("Name", ""),
        "kind": kind,
        "longitude": float(entry["Longitude"]),
        "rho_cos_phi": float(entry["cos"]),
        "rho_sin_phi": float(entry["sin"]),
    }


def _normalize_code(code):
    if not isinstance(code, str | np.str_):
        raise InputError(
            f"observer must be an MPC code string, an EarthLocation or a registered spacecraft "
            f"code, got {type(code).__name__} {code!r}"
        )
    return str(code).strip().upper() if len(str(code).strip()) == 3 else str(code).strip()


def site_location(code):
    """`~astropy.coordinates.EarthLocation` of a ground observatory code.

    Parameters
    ----------
    code : str
        MPC code of a ground site (``"500"`` gives the geocentre).

    Returns
    -------
    `~astropy.coordinates.EarthLocation`

    Examples
    --------
    >>> from astro_sso.ephemeris.observers import site_location
    >>> loc = site_location("I41")
    >>> round(float(loc.geodetic.lat.deg), 2)
    33.36
    """
    import astropy.units as u
    from astropy.coordinates import EarthLocation

    info = observatory(code)
    if info["kind"] == "spacecraft":
        raise InputError(f"code {code!r} is a spacecraft, not a ground site")
    lon = np.deg2rad(info["longitude"])
    rc = info["rho_cos_phi"] * EARTH_EQUATORIAL_RADIUS_KM
    rs = info["rho_sin_phi"] * EARTH_EQUATORIAL_RADIUS_KM
    return EarthLocation.from_geocentric(rc * np.cos(lon), rc * np.sin(lon), rs, unit=u.km)


# --------------------------------------------------------------------------- spacecraft


def _in_unit(col, name, unit, what, plain_scale=1.0):
    """Column values in ``unit``: converted when the column has a unit, else plain numbers
    times ``plain_scale``; ``what`` describes the expected kind of unit for the error."""
    import astropy.units as u

    if getattr(col, "unit", None) is not None:
        try:
            return np.asarray(u.Quantity(col).to_value(unit), dtype=float)
        except u.UnitConversionError as err:
            raise InputError(f"column {name!r} must be {what}, got {col.unit}") from err
    return np.asarray(col, dtype=float) * plain_scale


def _to_au(col, name, default="AU"):
    import astropy.units as u

    scale = 1.0 / AU_KM if default == "km" else 1.0
    return _in_unit(col, name, u.AU, "a length (AU or km)", scale)


def _to_au_per_day(col, name, default="AU/d"):
    import astropy.units as u

    scale = DAY_S / AU_KM if default == "km/s" else 1.0
    return _in_unit(col, name, u.AU / u.day, "a velocity (AU/d or km/s)", scale)


def _normalize_center(center):
    key = str(center).strip().lower()
    key = _CENTER_ALIASES.get(key, key)
    if key not in _CENTERS:
        raise InputError(
            f"obs_center {center!r} is not supported: use a NAIF id string, '399' (geocentre), "
            "'10' (Sun), '0' (solar-system barycentre), '301' (Moon), ..."
        )
    return key


def register_spacecraft(code, data, *, name=None, obs_center=None, units="AU", overwrite=True):
    """Register a spacecraft observer under an observatory code.

    Parameters
    ----------
    code : str
        Code to register (an MPC space-telescope code such as ``"250"`` for
        HST, or any new string).
    data : `~astropy.table.Table`, str or (str, str)
        Either a table with ``obstime`` (`~astropy.time.Time`) and
        ``obs_x, obs_y, obs_z`` (AU or km as units; plain numbers use
        ``units``), optionally ``obs_vx, obs_vy, obs_vz`` (AU/d or km/s),
        relative to ``obs_center`` in ICRF axes (interpolated with a cubic
        spline, or a cubic Hermite spline when velocities are given; at least
        4 rows, sorted or not); or a NORAD two-line element set (one string
        with two lines, or two strings), propagated with SGP4 and rotated from
        TEME to GCRS with astropy.
    name : str, optional
        Human-readable name (default: the MPC name of the code, or the code).
    obs_center : str, optional
        NAIF id of the origin of the table: ``"399"`` geocentre (default, or
        the table's ``meta['obs_center']`` or an ``obs_center`` column with one
        value), ``"10"`` Sun, ``"0"`` barycentre.
    units : {"AU", "km"}, optional
        Units of unitless position columns (velocities then AU/d or km/s).
    overwrite : bool, optional
        Replace an existing registration (default True).

    Returns
    -------
    str
        The registered code.

    Raises
    ------
    InputError
        Missing columns, too few rows, bad units, unreadable TLE.

    Examples
    --------
    >>> from astro_sso.ephemeris.observers import register_spacecraft, unregister_spacecraft
    >>> tle = ("1 20580U 90037B   22160.50000000  .00000000  00000-0  00000-0 0  9990",
    ...        "2 20580  28.4700 100.0000 0002000  90.0000 270.0000 15.10000000    06")
    >>> register_spacecraft("XHST", tle, name="synthetic HST-like orbit")
    'XHST'
    >>> unregister_spacecraft("XHST")
    """
    code = str(code).strip()
    if not code:
        raise InputError("spacecraft code must be a non-empty string")
    if code in _SPACECRAFT and not overwrite:
        raise InputError(f"spacecraft {code!r} is already registered: pass overwrite=True")
    mpc = _obscodes().get(code, {})
    if mpc and "cos" in mpc:
        raise InputError(
            f"code {code!r} is the ground site {mpc.get('Name')!r}: choose another code for the "
            "spacecraft"
        )
    name = name or mpc.get("Name") or code
    if isinstance(data, str) or (
        isinstance(data, tuple | list) and len(data) == 2 and all(isinstance(x, str) for x in data)
    ):
        sc = _spacecraft_from_tle(code, name, data)
    else:
        sc = _spacecraft_from_table(code, name, data, obs_center, units)
    _SPACECRAFT[code] = sc
    return code


def unregister_spacecraft(code):
    """Forget a registered spacecraft (no error if it was not registered).

    Parameters
    ----------
    code : str

    Examples
    --------
    >>> from astro_sso.ephemeris.observers import unregister_spacecraft
    >>> unregister_spacecraft("nothing-here")
    """
    _SPACECRAFT.pop(str(code).strip(), None)


def registered_spacecraft():
    """Codes and names of the registered spacecraft.

    Returns
    -------
    dict
        ``{code: name}``.

    Examples
    --------
    >>> from astro_sso.ephemeris.observers import registered_spacecraft
    >>> isinstance(registered_spacecraft(), dict)
    True
    """
    return {k: v.name for k, v in _SPACECRAFT.items()}


def _spacecraft_from_tle(code, name, data):
    try:
        from sgp4.api import Satrec
    except ImportError as err:  # pragma: no cover - sgp4 is a dependency
        raise InputError("TLE observers need the sgp4 package: pip install sgp4") from err
    lines = data.strip().splitlines() if isinstance(data, str) else list(data)
    lines = [ln.rstrip() for ln in lines if ln.strip()]
    if len(lines) == 3:  # three-line form with a name line first
        name = name or lines[0].strip()
        lines = lines[1:]
    if len(lines) != 2 or not lines[0].startswith("1 ") or not lines[1].startswith("2 "):
        raise InputError(
            f"spacecraft {code!r}: a TLE must be two lines starting with '1 ' and '2 ' "
            f"(optionally preceded by a name line), got {len(lines)} line(s)"
        )
    try:
        sat = Satrec.twoline2rv(lines[0], lines[1])
    except Exception as err:
        raise InputError(f"spacecraft {code!r}: cannot parse the TLE ({err})") from err
    return _Spacecraft(code=code, name=name, kind="tle", center="399", satrec=sat)


def _spacecraft_from_table(code, name, table, obs_center, units):
    from astropy.time import Time
    from scipy.interpolate import CubicHermiteSpline, CubicSpline

    colnames = list(getattr(table, "colnames", []))
    need = ["obstime", "obs_x", "obs_y", "obs_z"]
    missing = [c for c in need if c not in colnames]
    if missing:
        raise InputError(
            f"spacecraft {code!r}: the table lacks column(s) {missing}; it has {colnames}. "
            "Give obstime (Time) and obs_x, obs_y, obs_z (AU or km, ICRF axes) relative to "
            "obs_center, or two TLE lines"
        )
    t = table["obstime"]
    if not isinstance(t, Time):
        raise InputError(f"spacecraft {code!r}: column 'obstime' must be an astropy Time")
    if obs_center is None:
        if "obs_center" in colnames:
            vals = {str(v) for v in np.asarray(table["obs_center"])}
            if len(vals) != 1:
                raise InputError(
                    f"spacecraft {code!r}: obs_center must have one value, got {sorted(vals)}"
                )
            obs_center = vals.pop()
        else:
            obs_center = getattr(table, "meta", {}).get("obs_center", "399")
    center = _normalize_center(obs_center)
    if units not in ("AU", "km"):
        raise InputError(f"units must be 'AU' or 'km', got {units!r}")
    xyz = np.stack([_to_au(table[c], c, units) for c in ("obs_x", "obs_y", "obs_z")], axis=1)
    has_v = all(c in colnames for c in ("obs_vx", "obs_vy", "obs_vz"))
    vunits = "km/s" if units == "km" else "AU/d"
    jd = t.tdb.jd1 - J2000_JD + t.tdb.jd2  # days from J2000 for a well-scaled spline
    order = np.argsort(jd)
    jd = jd[order]
    xyz = xyz[order]
    if jd.size < 4:
        raise InputError(f"spacecraft {code!r}: need at least 4 table rows, got {jd.size}")
    if np.any(np.diff(jd) <= 0):
        raise InputError(f"spacecraft {code!r}: obstime has repeated values")
    if not np.all(np.isfinite(xyz)):
        raise InputError(f"spacecraft {code!r}: obs_x/obs_y/obs_z hold NaN or inf")
    if has_v:
        vxyz = np.stack(
            [_to_au_per_day(table[c], c, vunits) for c in ("obs_vx", "obs_vy", "obs_vz")], axis=1
        )[order]
        spline = CubicHermiteSpline(jd, xyz, vxyz, axis=0)
    else:
        spline = CubicSpline(jd, xyz, axis=0)
    return _Spacecraft(
        code=code,
        name=name,
        kind="table",
        center=center,
        t_jd=jd,
        spline=spline,
        extra={"hermite": has_v},
    )


def _spacecraft_relative(sc, times):
    """Position/velocity of a spacecraft relative to its centre, ICRF axes, AU and AU/d."""
    if sc.kind == "table":
        x = times.tdb.jd1 - J2000_JD + times.tdb.jd2
        lo, hi = sc.t_jd[0], sc.t_jd[-1]
        bad = (x < lo - 1e-9) | (x > hi + 1e-9)
        if bad.any():
            raise EphemerisRangeError(
                f"spacecraft {sc.code!r}: {int(bad.sum())} time(s) outside its position table "
                f"(TDB JD {lo + J2000_JD:.5f} to {hi + J2000_JD:.5f}); extend the table or "
                "restrict the times"
            )
        return sc.spline(x), sc.spline(x, 1)
    return _tle_gcrs(sc, times)


def _tle_gcrs(sc, times):
    import astropy.units as u
    from astropy.coordinates import GCRS, TEME, CartesianDifferential, CartesianRepresentation

    utc = times.utc
    err, r, v = sc.satrec.sgp4_array(np.atleast_1d(utc.jd1), np.atleast_1d(utc.jd2))
    if np.any(err != 0):
        k = int(np.flatnonzero(err)[0])
        raise InputError(
            f"spacecraft {sc.code!r}: SGP4 failed (error code {int(err[k])}) at "
            f"{utc[k].isot if utc.ndim else utc.isot}: the TLE is not valid for that time "
            "(decayed orbit or far from its epoch); use a TLE closer to the date"
        )
    rep = CartesianRepresentation(
        r.T * u.km, differentials=CartesianDifferential(v.T * (u.km / u.s)), copy=False
    )
    with iers_guard(f"spacecraft {sc.code!r} (TLE) positions"):
        teme = TEME(rep, obstime=times)
        gcrs = teme.transform_to(GCRS(obstime=times))
    pos = gcrs.cartesian.xyz.to_value(u.AU).T
    vel = gcrs.velocity.d_xyz.to_value(u.AU / u.day).T
    return pos, vel


# --------------------------------------------------------------------------- positions


def _times_1d(times):
    from astropy.time import Time

    if not isinstance(times, Time):
        raise InputError(
            f"times must be an astropy Time (any scale), got {type(times).__name__}; e.g. "
            "Time(['2024-01-01T00:00'], scale='utc')"
        )
    return times.reshape(-1) if times.ndim else times.reshape(1)


def _center_posvel(center, times, planets):
    from astro_sso.ephemeris.planets import body_posvel

    body = _CENTERS[center]
    n = len(times)
    if body is None:
        return np.zeros((n, 3)), np.zeros((n, 3))
    return body_posvel(body, times, source=planets)


def observer_geocentric(observer, times):
    """Geocentric (GCRS) position and velocity of a ground observer.

    Parameters
    ----------
    observer : str or `~astropy.coordinates.EarthLocation`
        MPC code of a ground site or an EarthLocation.
    times : `~astropy.time.Time`
        Observation times (any scale).

    Returns
    -------
    pos, vel : ndarray, shape (T, 3)
        GCRS position [AU] and velocity [AU/d] relative to the geocentre.

    Examples
    --------
    >>> from astropy.time import Time
    >>> from astro_sso.ephemeris.observers import observer_geocentric
    >>> p, v = observer_geocentric("I41", Time(["2022-06-10T00:00"], scale="utc"))
    >>> round(float(np.linalg.norm(p[0])) * 149597870.7)
    6373
    """
    import astropy.units as u
    from astropy.coordinates import EarthLocation

    times = _times_1d(times)
    if isinstance(observer, EarthLocation):
        loc = observer
    else:
        info = observatory(observer)
        if info["kind"] == "geocentre":
            return np.zeros((len(times), 3)), np.zeros((len(times), 3))
        if info["kind"] != "ground":
            raise InputError(f"observer {observer!r} is not a ground site")
        loc = site_location(observer)
    with iers_guard():
        p, v = loc.get_gcrs_posvel(times)
    return p.xyz.to_value(u.AU).T.reshape(-1, 3), v.xyz.to_value(u.AU / u.day).T.reshape(-1, 3)


def observer_barycentric(observer, times, planets=None):
    """Barycentric ICRS position and velocity of an observer.

    Parameters
    ----------
    observer : str or `~astropy.coordinates.EarthLocation`
        MPC code (``"500"`` geocentre, ``"I41"``, ``"X05"``, ...), an
        EarthLocation, or the code of a spacecraft registered with
        :func:`register_spacecraft`.
    times : `~astropy.time.Time`
        Observation times (any scale; scalar or 1-d).
    planets : str, optional
        Source of the Earth's state for :func:`~astro_sso.ephemeris.planets.body_posvel`
        (``"excerpt"``, ``"de440"``, a kernel path or ``"builtin"``; default the
        best installed).

    Returns
    -------
    pos, vel : ndarray, shape (T, 3)
        Barycentric position [AU] and velocity [AU/d], ICRS axes.

    Raises
    ------
    InputError
        Unknown code (with close matches) or unregistered spacecraft code.
    EphemerisRangeError
        Times outside the planetary ephemeris or a spacecraft table.

    Examples
    --------
    >>> from astropy.time import Time
    >>> from astro_sso.ephemeris.observers import observer_barycentric
    >>> p, v = observer_barycentric("X05", Time(["2024-01-01T00:00"], scale="utc"))
    >>> p.shape, v.shape
    ((1, 3), (1, 3))
    """
    times = _times_1d(times)
    with iers_guard():
        return _observer_barycentric(observer, times, planets)


def _observer_barycentric(observer, times, planets):
    from astropy.coordinates import EarthLocation

    from astro_sso.ephemeris.planets import body_posvel

    if isinstance(observer, EarthLocation):
        gp, gv = observer_geocentric(observer, times)
        ep, ev = body_posvel("earth", times, source=planets)
        return ep + gp, ev + gv
    code = _normalize_code(observer)
    if code in _SPACECRAFT:
        sc = _SPACECRAFT[code]
        rp, rv = _spacecraft_relative(sc, times)
        cp, cv = _center_posvel(sc.center, times, planets)
        return cp + rp, cv + rv
    info = observatory(code)
    ep, ev = body_posvel("earth", times, source=planets)
    if info["kind"] == "geocentre":
        return np.array(ep, dtype=float), np.array(ev, dtype=float)
    gp, gv = observer_geocentric(code, times)
    return ep + gp, ev + gv


def observers_barycentric(
    codes,
    times,
    obs_xyz=None,
    obs_center=None,
    planets=None,
    obs_vxyz=None,
    *,
    interpolate=False,
):
    """Barycentric observer states for rows with mixed observers.

    Rows are grouped by code and each group is computed once per distinct
    time. Rows that carry their own spacecraft position (``obs_xyz`` finite,
    ADES style) use it, relative to ``obs_center``; their velocity is
    ``obs_vxyz`` when given, else the centre's velocity (the rate columns then
    miss the spacecraft's own motion).

    Parameters
    ----------
    codes : array-like of str, shape (K,)
        Observer code of each row.
    times : `~astropy.time.Time`, shape (K,)
        Time of each row.
    obs_xyz : array-like, shape (K, 3), optional
        Spacecraft positions [AU], ICRF axes; NaN rows use their code.
    obs_center : array-like of str, shape (K,) or str, optional
        NAIF ids of the origins of ``obs_xyz`` (default ``"399"``).
    planets : str, optional
        Planetary ephemeris source (default the best installed).
    obs_vxyz : array-like, shape (K, 3), optional
        Spacecraft velocities [AU/d].
    interpolate : bool, optional
        For a ground site or the geocentre with at least 512 distinct times,
        compute the states on a 15-minute grid and interpolate them (cubic
        Hermite; errors below 1 m and 1 cm/s) when the grid is smaller than
        the number of times. Default False: every time is computed.

    Returns
    -------
    pos, vel : ndarray, shape (K, 3)
        Barycentric ICRS [AU, AU/d].

    Examples
    --------
    >>> from astropy.time import Time
    >>> from astro_sso.ephemeris.observers import observers_barycentric
    >>> t = Time(["2024-01-01T00:00", "2024-01-01T01:00"], scale="utc")
    >>> p, v = observers_barycentric(["500", "I41"], t)
    >>> p.shape
    (2, 3)
    """
    times = _times_1d(times)
    with iers_guard():
        return _observers_barycentric(
            codes, times, obs_xyz, obs_center, planets, obs_vxyz, interpolate
        )


# Ground sites and the geocentre move smoothly: with many distinct times their states
# can be interpolated (cubic Hermite, 15-min grid; error < 1 m) instead of computed per time.
_INTERP_MIN_TIMES = 512
_INTERP_STEP = 1.0 / 96.0


def _cubic_hermite(t0, step, P, V, t):
    """Cubic Hermite interpolation of positions P and velocities V on a uniform grid."""
    x = (t - t0) / step
    k = np.clip(np.floor(x).astype(np.int64), 0, P.shape[0] - 2)
    s = (x - k)[:, None]
    s2, s3 = s * s, s * s * s
    p0, p1, v0, v1 = P[k], P[k + 1], V[k] * step, V[k + 1] * step
    pos = (
        (2 * s3 - 3 * s2 + 1) * p0
        + (s3 - 2 * s2 + s) * v0
        + (-2 * s3 + 3 * s2) * p1
        + (s3 - s2) * v1
    )
    vel = (
        (6 * s2 - 6 * s) * p0
        + (3 * s2 - 4 * s + 1) * v0
        + (-6 * s2 + 6 * s) * p1
        + (3 * s2 - 2 * s) * v1
    ) / step
    return pos, vel


def _interpolated(code, times, planets):
    """States of a ground site or the geocentre at sorted distinct ``times`` from a
    15-minute grid, or None when that would not save work."""
    from astropy.time import Time

    if len(times) < _INTERP_MIN_TIMES:
        return None
    try:
        kind = observatory(code)["kind"]
    except InputError:
        return None  # the direct computation reports the bad code
    if kind not in ("ground", "geocentre"):
        return None
    tdb = times.tdb
    tu = np.asarray(tdb.jd1 + tdb.jd2, dtype=float)
    n_grid = int(np.ceil((tu[-1] - tu[0]) / _INTERP_STEP)) + 2
    if n_grid >= tu.size:
        return None
    grid = tu[0] + _INTERP_STEP * np.arange(n_grid)
    P, V = _observer_barycentric(code, Time(grid, format="jd", scale="tdb"), planets)
    return _cubic_hermite(grid[0], _INTERP_STEP, np.asarray(P), np.asarray(V), tu)


def _observers_barycentric(codes, times, obs_xyz, obs_center, planets, obs_vxyz, interpolate):
    codes = np.asarray(codes).astype(str).reshape(-1)
    K = len(times)
    if codes.size == 1 and K != 1:
        codes = np.repeat(codes, K)
    if codes.size != K:
        raise InputError(f"codes has {codes.size} entries but times has {K}")
    pos = np.empty((K, 3))
    vel = np.empty((K, 3))
    own = np.zeros(K, dtype=bool)
    if obs_xyz is not None:
        xyz = np.asarray(obs_xyz, dtype=float).reshape(K, 3)
        own = np.all(np.isfinite(xyz), axis=1)
        if own.any():
            centers = (
                np.full(K, "399")
                if obs_center is None
                else np.broadcast_to(np.asarray(obs_center).astype(str), (K,))
            )
            vxyz = None if obs_vxyz is None else np.asarray(obs_vxyz, dtype=float).reshape(K, 3)
            for c in np.unique(centers[own]):
                sel = np.flatnonzero(own & (centers == c))
                cp, cv = _center_posvel(_normalize_center(c), times[sel], planets)
                pos[sel] = cp + xyz[sel]
                vel[sel] = cv + (0.0 if vxyz is None else np.nan_to_num(vxyz[sel]))
    rest = np.flatnonzero(~own)
    if rest.size:
        jd = times.jd1 + times.jd2
        for code in np.unique(codes[rest]):
            sel = rest[codes[rest] == code]
            # survey tables repeat each exposure time many times: compute each time once
            _, first, back = np.unique(jd[sel], return_index=True, return_inverse=True)
            tu = times[sel[first]]
            pv = _interpolated(code, tu, planets) if interpolate else None
            p, v = pv if pv is not None else _observer_barycentric(code, tu, planets)
            pos[sel] = p[back.reshape(-1)]
            vel[sel] = v[back.reshape(-1)]
    return pos, vel
