"""An offline index of known Solar System objects: SkyBoT-style cone searches.

:class:`KnownObjects` answers "which known objects are inside this cone at
this time, seen from this observer?" for catalogues of millions of orbits,
the way the IMCCE's SkyBoT service does (Berthier et al. 2006): positions of
every object are precomputed on a coarse time grid, and only the objects that
can possibly be inside the cone at the requested time are refined with an
exact ephemeris.

Design
------
Grid nodes ``t_k = t_ref + k * grid_step`` are built on demand (or over a span
with :meth:`KnownObjects.build`) and kept in a least-recently-used cache. A
node holds, for every object, its geocentric position and velocity at
``t_k`` (two-body propagation, or n-body with ``method='nbody'``), a KD-tree
(`scipy.spatial.cKDTree`) of the geocentric unit vectors, and bounds on each
object's acceleration relative to the geocentre over the node's half-step
window. A query at time ``t`` (nearest node ``t_k``, ``|t - t_k| <=
grid_step / 2``) then runs three stages:

1. **coarse**: objects within ``radius + Theta`` of the cone centre on the
   node's KD-tree, where ``Theta`` bounds how far an object's topocentric,
   light-time-corrected direction at ``t`` can be from its geocentric
   direction at ``t_k``: the motion over ``|t - t_k|`` split into its
   transverse and radial parts, the observer's parallax (its distance from
   the geocentre), the acceleration term and the light-time shift. ``Theta``
   is tabulated per node, as the maximum over the "slow" objects, on a grid
   of ``|t - t_k|`` and observer distances. The fastest objects (by default
   the 1 % with the largest bound: near-Earth objects close to the Earth)
   are checked one by one with their own bound instead, so they never
   inflate the search radius of the others;
2. **linear**: each candidate is extrapolated linearly from ``t_k`` to ``t``,
   moved to the observer, corrected to first order for light time, and kept
   if it lies within ``radius`` plus a rigorous bound of the neglected terms
   (``0.5 A dt^2`` with ``A`` the acceleration bound, plus light-time terms);
3. **exact**: the survivors go through
   :func:`astro_sso.ephemeris.astrometric` (light time, observer position,
   the chosen propagation ``method``), and those inside ``radius`` are
   returned.

Every bound is an upper bound for the two-body model (the Sun's attraction on
the object; the Earth's actual acceleration, Moon included), so stage 3 sees
every object that a brute-force ephemeris of the whole catalogue would put in
the cone: the search is exact, not approximate. With ``method='nbody'`` or
``'accurate'`` the node states come from the n-body integration and the
planets' attraction on each object is added to its acceleration bound.

Cost: a node takes one propagation of the whole catalogue and one KD-tree
build (measured for 10^6 objects on a 2-core machine: 0.85 s and 85 bytes per
object per node); a query then touches only the candidates (7 ms median for a
0.5 deg cone; ``python benchmarks/bench_catalog.py``).
"""

from __future__ import annotations

import dataclasses
import time as _time
import warnings
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import MaskedColumn, QTable, Table
from astropy.time import Time
from scipy.spatial import cKDTree

from ..ephemeris.constants import C_AU_PER_DAY, GM_SUN, J2000_JD
from ..ephemeris.frames import angle_between, radec_to_unit
from ..exceptions import AstroSSOWarning, InputError
from .orbit_classes import classify_orbits

__all__ = ["KnownObjects", "SKYBOT_COLUMNS", "SKYBOT_IGNORED", "from_skybot", "posunc_from_U"]

# Bound on the geocentre's acceleration [AU/d^2]: the Sun at perihelion, the Moon
# at its closest (356 400 km) and every planet at its closest, rounded up.
_A_EARTH = GM_SUN / 0.9832**2 + 1.0936e-11 / 0.002382**2 + 1e-7
# Observer distances from the geocentre [AU] at which the slow-object bound is
# tabulated: geocentre, ground, up to geostationary orbit, lunar distance, Sun-Earth L2.
_RHO_LEVELS = np.array([0.0, 5e-5, 3e-4, 3e-3, 1.2e-2])
_N_DT = 8
_PLANETS = ("mercury", "venus", "earth", "moon", "mars", "jupiter", "saturn", "uranus", "neptune")
_PLANET_RADIUS_AU = 5e-5  # floor on the distance to a planet in the acceleration bound

#: SkyBoT's cone-search columns (VOTable field ID, VOTable field name, astroquery
#: name) for each column of :meth:`KnownObjects.cone_search`.
SKYBOT_COLUMNS = {
    "number": ("num", "Num", "Number"),
    "name": ("name", "Name", "Name"),
    "ra": ("_raj2000", "_RAJ2000", "RA"),
    "dec": ("_decj2000", "_DECJ2000", "DEC"),
    "class": ("class", "Class", "Type"),
    "V": ("magV", "Mv", "V"),
    "posunc": ("errpos", "ErrPos", "posunc"),
    "separation": ("angdist", "d", "centerdist"),
    "ra_rate": ("dracosdec", "dRAcosDec", "RA_rate"),
    "dec_rate": ("ddec", "dDEC", "DEC_rate"),
    "delta": ("dgeo", "Dgeo", "geodist"),
    "r": ("dhelio", "Dhelio", "heliodist"),
}
#: SkyBoT fields with no column of their own, and why.
SKYBOT_IGNORED = {
    "ra": "sexagesimal copy of _raj2000",
    "de": "sexagesimal copy of _decj2000",
    "externallink": "URL of the object's SsODNet card",
}

_CONE_COLUMNS = (
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
)


def posunc_from_U(U, r=None, delta=None):
    """Approximate positional uncertainty [arcsec] from the MPC's U parameter.

    The MPC defines U from the in-orbit longitude runoff over a decade:
    ``U = int(ln(runoff) / (ln(648000) / 9)) + 1``, so that runoff lies in
    ``[648000**((U-1)/9), 648000**(U/9))`` arcsec (U = 0: below 1"). This
    function returns the geometric middle of that interval,
    ``648000**((U - 0.5)/9)`` arcsec (0.48" for U = 0, 2.1" for U = 1, 41"
    for U = 3, 0.22 deg for U = 5, 19 deg for U = 8), scaled by ``r / delta``
    (an angle at the Sun seen from the observer) when those are given. It is an
    order of magnitude of the along-track uncertainty within a decade of the
    orbit's epoch, not a covariance propagation. NaN where U is negative or NaN.

    Parameters
    ----------
    U : array-like
        Uncertainty parameters 0-9 (negative or NaN: unknown).
    r, delta : array-like, optional
        Heliocentric and observer distances [AU].

    Returns
    -------
    ndarray
        Arcseconds.

    Examples
    --------
    >>> from astro_sso.catalog import posunc_from_U
    >>> [round(float(x), 1) for x in posunc_from_U([0, 1, 3])]
    [0.5, 2.1, 41.1]
    """
    U = np.asarray(U, dtype=float)
    with np.errstate(invalid="ignore"):
        out = np.where(U >= 0, 648000.0 ** ((U - 0.5) / 9.0), np.nan)
    if r is not None and delta is not None:
        out = out * np.asarray(r, dtype=float) / np.asarray(delta, dtype=float)
    return out


def from_skybot(table) -> QTable:
    """Convert a SkyBoT cone-search answer to the columns of :meth:`KnownObjects.cone_search`.

    Accepts the VOTable as read by `astropy.io.votable` (field IDs or names as
    column names) or the table returned by ``astroquery.imcce.Skybot.cone_search``.

    Parameters
    ----------
    table : `~astropy.table.Table`
        SkyBoT's answer.

    Returns
    -------
    `~astropy.table.QTable`
        ``designation``, ``number``, ``name``, ``class``, ``ra``, ``dec``,
        ``V``, ``ra_rate``, ``dec_rate``, ``separation``, ``r``, ``delta``,
        ``posunc``, sorted by separation.

    Raises
    ------
    InputError
        A column of the mapping is missing.

    Examples
    --------
    >>> from astropy.table import Table
    >>> from astro_sso.catalog import from_skybot
    >>> sk = Table({"Num": ["433"], "Name": ["Eros"], "_RAJ2000": [10.0], "_DECJ2000": [5.0],
    ...             "Class": ["NEA>Amor"], "Mv": [12.0], "ErrPos": [0.01], "d": [3.0],
    ...             "dRAcosDec": [10.0], "dDEC": [-2.0], "Dgeo": [0.5], "Dhelio": [1.4]})
    >>> t = from_skybot(sk)
    >>> str(t["designation"][0]), int(t["number"][0]), t["separation"].unit
    ('433', 433, Unit("arcsec"))
    """
    names = list(table.colnames)
    out = QTable()
    units = {
        "ra": u.deg,
        "dec": u.deg,
        "V": u.mag,
        "posunc": u.arcsec,
        "separation": u.arcsec,
        "ra_rate": u.arcsec / u.h,
        "dec_rate": u.arcsec / u.h,
        "delta": u.AU,
        "r": u.AU,
    }
    cols = {}
    for ours, alternatives in SKYBOT_COLUMNS.items():
        found = next((a for a in alternatives if a in names), None)
        if found is None:
            raise InputError(
                f"SkyBoT table lacks a column for '{ours}' (any of {list(alternatives)}); "
                f"got {names}"
            )
        cols[ours] = table[found]
    n = len(table)
    num_txt = [str(x).strip() for x in np.ma.filled(np.ma.asarray(cols["number"]).astype(str), "")]
    number = np.array([int(x) if x.lstrip("-").isdigit() else -1 for x in num_txt], dtype=np.int64)
    number = np.where(number > 0, number, -1)
    name = np.array([str(x).strip() for x in np.asarray(cols["name"])], dtype=str)
    out["designation"] = np.where(number > 0, number.astype(str), name) if n else np.zeros(0, "U1")
    out["number"] = number
    out["name"] = name if n else np.zeros(0, "U1")
    out["class"] = np.array([str(x) for x in np.asarray(cols["class"])], dtype=str)
    for ours in ("ra", "dec", "V", "ra_rate", "dec_rate", "separation", "r", "delta", "posunc"):
        col = cols[ours]
        val = getattr(col, "value", col)
        unit = getattr(col, "unit", None)
        q = np.asarray(np.ma.filled(np.ma.asarray(val, dtype=float), np.nan), dtype=float)
        if unit is not None and str(unit) not in ("", "h:m:s", "d:m:s"):
            try:
                out[ours] = (q * u.Unit(unit)).to(units[ours])
                continue
            except (ValueError, u.UnitConversionError, TypeError):
                warnings.warn(
                    f"SkyBoT column for '{ours}' has unit {str(unit)!r}, which is not a unit of "
                    f"{units[ours]}: its values are taken as {units[ours]} (SkyBoT's own unit); "
                    "check the table if they look wrong",
                    AstroSSOWarning,
                    stacklevel=2,
                )
        out[ours] = q * units[ours]
    return out[np.argsort(out["separation"].value, kind="stable")]


@dataclass
class _Node:
    """State of the whole catalogue at one grid time (see the module docstring)."""

    k: int
    t: float  # TDB JD
    half: float  # half window [d]
    u: np.ndarray  # (N, 3) geocentric unit vectors
    delta: np.ndarray  # (N,) geocentric distance [AU]
    v: np.ndarray  # (N, 3) geocentric velocity [AU/d]
    vE: np.ndarray  # (3,) heliocentric velocity of the geocentre [AU/d]
    a_rel: np.ndarray  # (N,) float32 bound on |d2/dt2 (object - geocentre)|
    a_obj: np.ndarray  # (N,) float32 bound on the object's heliocentric acceleration
    vh: np.ndarray  # (N,) float32 bound on the heliocentric speed over the window
    tree: cKDTree
    fast: np.ndarray  # indices of the objects checked one by one
    is_fast: np.ndarray  # (N,) bool
    theta: np.ndarray  # (_N_DT + 1, len(_RHO_LEVELS)) slow-object bound [rad]
    build_s: float

    @property
    def nbytes(self) -> int:
        """Memory held by the node [bytes], KD-tree included."""
        n = self.delta.size
        arrays = (
            self.u,
            self.delta,
            self.v,
            self.a_rel,
            self.a_obj,
            self.vh,
            self.fast,
            self.is_fast,
        )
        tree = n * 8 + (n // 16 + 1) * 2 * 8 * 8  # indices + node boxes (approximate)
        return int(sum(a.nbytes for a in arrays) + tree)


def _chord(angle):
    """Chord length on the unit sphere for an angle [rad] (> 2 for angles >= pi)."""
    angle = np.asarray(angle, dtype=float)
    return np.where(angle >= np.pi, 2.0001, 2.0 * np.sin(np.minimum(angle, np.pi) / 2.0))


def _theta(dt, rho, delta, vperp, vrad, speed, a_rel, vh):
    """Bound [rad] on the angle between the node direction and the topocentric,
    light-time corrected direction |dt| days later, seen from ``rho`` AU off the geocentre."""
    D = 0.5 * a_rel * dt * dt
    tau = (delta + speed * dt + rho + D) / C_AU_PER_DAY
    extra = rho + D + (vh + 1e-5) * tau + 1e-9
    perp = vperp * dt + extra
    den = delta - (vrad * dt + extra)
    return np.where(den > 0, np.arctan2(perp, np.maximum(den, 1e-300)), np.pi)


def _motion(gv, uu):
    """Speed, radial and transverse speed of velocities ``gv`` along unit vectors ``uu``."""
    speed = np.linalg.norm(gv, axis=1)
    vrad = np.abs(np.einsum("ij,ij->i", gv, uu))
    vperp = np.sqrt(np.maximum(speed**2 - vrad**2, 0.0))
    return speed, vrad, vperp


def _node_motion(node, idx):
    """Speed, radial and transverse geocentric speed of objects ``idx`` of a node."""
    return _motion(node.v[idx], node.u[idx])


def _fill_theta(node, levels):
    """Tabulate the slow-object bound of a node for observer-distance levels (once each)."""
    todo = [int(li) for li in levels if np.isnan(node.theta[0, int(li)])]
    if not todo:
        return
    slow = np.flatnonzero(~node.is_fast)
    if slow.size == 0:
        node.theta[:, todo] = 0.0
        return
    speed, vrad, vperp = _node_motion(node, slow)
    args = (
        node.delta[slow],
        vperp,
        vrad,
        speed,
        node.a_rel[slow].astype(float),
        node.vh[slow].astype(float),
    )
    for li in todo:
        for m in range(_N_DT + 1):
            node.theta[m, li] = float(np.max(_theta(node.half * m / _N_DT, _RHO_LEVELS[li], *args)))


def _angle_rad(value, name, example):
    """A scalar angle (Quantity) in radians; an InputError naming ``name`` otherwise."""
    try:
        rad = u.Quantity(value).to_value(u.rad)
    except (u.UnitConversionError, TypeError, ValueError):
        raise InputError(f"{name} must be an angle (e.g. {example}), got {value!r}") from None
    if np.ndim(rad) != 0:
        raise InputError(f"{name} must be one angle (e.g. {example}), got {value!r}")
    return float(rad)


def _times_tdb_jd(times):
    from ..ephemeris import as_tdb

    t = as_tdb(times if isinstance(times, Time) else Time(times))
    return np.atleast_1d(np.asarray(t.jd1, dtype=float) + np.asarray(t.jd2, dtype=float))


def _observer_states(observers, t, planets, obs_xyz=None, obs_center=None):
    """Barycentric observer states and geocentre positions for rows.

    Parameters
    ----------
    observers : str, array of str (K,), or one EarthLocation
        Observer code of each row (or one for all rows), or the site of all rows.
    t : ndarray (K,)
        TDB JD.
    obs_xyz : ndarray (K, 3), optional
        ADES-style spacecraft positions [AU] (NaN rows use their code; codes only).
    obs_center : array of str, optional

    Returns
    -------
    obs_p, obs_v, earth_p : ndarray (K, 3)
    """
    from astropy.coordinates import EarthLocation

    from ..ephemeris import observer_barycentric, observers_barycentric

    times = Time(t, format="jd", scale="tdb")
    if isinstance(observers, EarthLocation):
        tu, inv = np.unique(t, return_inverse=True)
        p, v = observer_barycentric(observers, Time(tu, format="jd", scale="tdb"), planets)
        obs_p, obs_v = p[inv.ravel()], v[inv.ravel()]
    else:
        obs_p, obs_v = observers_barycentric(
            observers, times, obs_xyz, obs_center, planets, interpolate=True
        )
    earth_p, _ = observers_barycentric("500", times, planets=planets, interpolate=True)
    return obs_p, obs_v, earth_p


class KnownObjects:
    """Index of a catalogue of orbits that answers cone searches offline, like SkyBoT.

    See the module documentation (`astro_sso.catalog.known`) for the design
    and its guarantees: a cone search returns exactly the objects that a full
    ephemeris of the catalogue would put inside the cone.

    Parameters
    ----------
    orbits : `~astropy.table.QTable` or `~astro_sso.ephemeris.PreparedOrbits`
        Catalogue (e.g. from :func:`~astro_sso.catalog.read_mpcorb`); optional
        columns ``name``, ``class``, ``U`` feed the output.
    observer : str or `~astropy.coordinates.EarthLocation`
        Default observer of the queries (MPC code; ``'500'`` geocentre).
    grid_step : `~astropy.units.Quantity`
        Time between grid nodes (default 1 day). Smaller steps make tighter
        coarse searches; each node holds ~80 bytes per object.
    method : {'twobody', 'nbody', 'accurate'}
        Propagation of the grid and of the exact positions (see
        :func:`astro_sso.ephemeris.ephemeris`). ``'twobody'`` is the fast
        choice for catalogues whose epochs are recent (MPCORB's are).
    planets : str, optional
        Planetary ephemeris source (default: ``'de440'`` when the
        ``[accurate]`` extra is installed, else the shipped ``'excerpt'``;
        ``'de440'`` for ``method='accurate'``).
    fast_fraction : float
        Fraction of objects (those with the largest motion bound) checked one
        by one rather than through the KD-tree.
    max_nodes : int
        Grid nodes kept in memory (least recently used are dropped).

    Examples
    --------
    >>> import astropy.units as u
    >>> from astropy.coordinates import SkyCoord
    >>> from astropy.time import Time
    >>> from astro_sso.catalog import KnownObjects
    >>> from astro_sso.ephemeris import ephemeris
    >>> from astro_sso.simulate import synthetic_orbits
    >>> orb = synthetic_orbits(2000, seed=4)
    >>> known = KnownObjects(orb)
    >>> when = Time("2024-01-10T03:00", scale="utc")
    >>> eph = ephemeris(orb[:1], when, observer="500", method="twobody")
    >>> hit = known.cone_search(SkyCoord(eph["ra"][0], eph["dec"][0]), 10 * u.arcsec, when)
    >>> str(hit["designation"][0]), bool(hit["separation"][0] < 1e-3 * u.arcsec)
    ('S000000', True)
    """

    def __init__(
        self,
        orbits,
        *,
        observer="500",
        grid_step=1.0 * u.day,
        method="twobody",
        planets=None,
        fast_fraction=0.01,
        max_nodes=32,
    ):
        from ..ephemeris import METHODS, prepare_orbits
        from ..ephemeris.kepler import conic_constants

        if method not in METHODS:
            raise InputError(f"method={method!r} is unknown: use one of {', '.join(METHODS)}")
        step = (
            u.Quantity(grid_step, u.day).value if hasattr(grid_step, "unit") else float(grid_step)
        )
        if not 0 < step <= 30:
            raise InputError(f"grid_step must be between 0 and 30 days, got {step} d")
        if not 0 <= fast_fraction < 1:
            raise InputError(f"fast_fraction must be in [0, 1), got {fast_fraction}")
        if int(max_nodes) < 1:
            raise InputError(f"max_nodes must be >= 1, got {max_nodes}")
        t0 = _time.perf_counter()
        self.method = method
        from ..ephemeris.core import _default_planets

        self.planets = planets if planets is not None else _default_planets(method, None)
        self.prepared = prepare_orbits(orbits, planets=self.planets)
        # the same orbits without their table: what the exact stage subsets per query
        self._orbits = dataclasses.replace(self.prepared, table=None)
        if isinstance(observer, str):
            from ..ephemeris import observatory

            observatory(observer)  # an unknown code fails here, not at the first query
        self.observer = observer
        self.grid_step = float(step)
        self.fast_fraction = float(fast_fraction)
        self.max_nodes = int(max_nodes)
        self._t_ref = J2000_JD
        self._nodes: OrderedDict[int, _Node] = OrderedDict()
        st = self.prepared.state
        n = len(self.prepared)
        _, _, _, ecc, q = conic_constants(st[:, :3], st[:, 3:], GM_SUN)
        self._q = q
        # the heliocentric speed is largest at perihelion
        self._vmax = np.sqrt(GM_SUN * (1.0 + ecc) / q) * (1 + 1e-9)
        table = self.prepared.table
        cols = table.colnames if table is not None else []
        self.designation = np.asarray(self.prepared.designation, dtype=str)
        self.number = np.asarray(self.prepared.number, dtype=np.int64)
        self.name = (
            np.asarray(np.ma.filled(np.ma.asarray(table["name"]).astype(str), ""), dtype=str)
            if "name" in cols
            else np.full(n, "")
        )
        if "class" in cols:
            self.klass = np.asarray(
                np.ma.filled(np.ma.asarray(table["class"]).astype(str), ""), dtype=str
            )
        elif n:
            from ..ephemeris import state_to_elements

            el = state_to_elements(st, frame="icrs")
            self.klass = classify_orbits(el["a"], el["e"], el["i"])
        else:
            self.klass = np.zeros(0, dtype="U1")
        if "U" in cols:
            U = np.ma.filled(np.ma.asarray(table["U"]).astype(float), -1.0)
            self.U = np.where(np.isfinite(U), U, -1.0)
        else:
            self.U = np.full(n, -1.0)
        self.epoch_range = (
            (float(self.prepared.epoch.min()), float(self.prepared.epoch.max()))
            if n
            else (np.nan, np.nan)
        )
        self.prepare_s = _time.perf_counter() - t0

    # ------------------------------------------------------------------ grid

    def __len__(self):
        return len(self.prepared)

    def __repr__(self):
        return (
            f"<KnownObjects: {len(self)} objects, method={self.method!r}, "
            f"grid_step={self.grid_step} d, {len(self._nodes)} node(s) built "
            f"({self.nbytes / 1e6:.1f} MB)>"
        )

    @property
    def nbytes(self) -> int:
        """Memory held by the built grid nodes [bytes]."""
        return int(sum(nd.nbytes for nd in self._nodes.values()))

    @property
    def node_times(self) -> Time:
        """TDB times of the grid nodes currently built."""
        return Time(np.array(sorted(nd.t for nd in self._nodes.values())), format="jd", scale="tdb")

    def _k_of(self, t):
        return np.rint((np.asarray(t, dtype=float) - self._t_ref) / self.grid_step).astype(np.int64)

    def build(self, start, stop):
        """Build the grid nodes needed for queries between two times.

        Parameters
        ----------
        start, stop : `~astropy.time.Time`
            The span of the queries to come.

        Returns
        -------
        KnownObjects
            ``self``.

        Raises
        ------
        InputError
            The span needs more nodes than ``max_nodes``.

        Examples
        --------
        >>> from astropy.time import Time
        >>> from astro_sso.catalog import KnownObjects
        >>> from astro_sso.simulate import synthetic_orbits
        >>> known = KnownObjects(synthetic_orbits(100, seed=1)).build(
        ...     Time("2024-01-01"), Time("2024-01-03"))
        >>> len(known.node_times)
        3
        """
        a, b = _times_tdb_jd(start)[0], _times_tdb_jd(stop)[0]
        ks = np.arange(self._k_of(min(a, b)), self._k_of(max(a, b)) + 1)
        if ks.size > self.max_nodes:
            raise InputError(
                f"the span needs {ks.size} grid nodes but max_nodes={self.max_nodes}; raise "
                f"max_nodes (each node holds ~80 bytes per object: "
                f"{80 * len(self) * ks.size / 1e9:.2f} GB) or grid_step"
            )
        missing = [int(k) for k in ks if int(k) not in self._nodes]
        for s in range(0, len(missing), 4):
            self._build_nodes(missing[s : s + 4])
        return self

    def _node(self, k) -> _Node:
        k = int(k)
        node = self._nodes.get(k)
        if node is None:
            self._build_nodes([k])
            node = self._nodes[k]
        else:
            self._nodes.move_to_end(k)
        return node

    def _helio(self, times):
        """Heliocentric positions and velocities of all objects at node times: (N, T, 3)."""
        from ..ephemeris import heliocentric_states

        return heliocentric_states(self._orbits, times, self.method, self.planets)

    def _build_nodes(self, ks):
        from ..ephemeris.planets import GM, body_posvel

        t_start = _time.perf_counter()
        times = self._t_ref + np.asarray(ks, dtype=float) * self.grid_step
        n = len(self)
        h = self.grid_step / 2.0
        if n:
            pos, vel = self._helio(times)
        sun_p, sun_v = body_posvel("sun", times, source=self.planets)
        earth_p, earth_v = body_posvel("earth", times, source=self.planets)
        per = (_time.perf_counter() - t_start) / len(ks)
        for j, k in enumerate(ks):
            t1 = _time.perf_counter()
            E = earth_p[j] - sun_p[j]
            vE = earth_v[j] - sun_v[j]
            if n:
                rh, vh_vec = pos[:, j], vel[:, j]
            else:
                rh = vh_vec = np.zeros((0, 3))
            g = rh - E
            gv = vh_vec - vE
            delta = np.linalg.norm(g, axis=1)
            uvec = g / np.where(delta > 0, delta, 1.0)[:, None]
            r = np.linalg.norm(rh, axis=1)
            speed_h = np.linalg.norm(vh_vec, axis=1)
            if self.method == "twobody":
                # a Kepler orbit never goes faster than at perihelion, nor closer than q
                vmax = self._vmax
                rmin = np.maximum(np.maximum(r - vmax * h, self._q), 1e-4)
            else:
                # planetary encounters change the orbit: margin of 0.01 AU/d (17 km/s)
                vmax = np.maximum(self._vmax, speed_h) * 1.05 + 0.01
                rmin = np.maximum(r - vmax * h, 1e-4)
            a_obj = GM_SUN / rmin**2
            if self.method != "twobody":
                for body in _PLANETS:
                    bp, bv = body_posvel(body, times[j], source=self.planets)
                    d = np.linalg.norm(rh - (bp - sun_p[j]), axis=1)
                    dmin = np.maximum(
                        d - (vmax + np.linalg.norm(bv - sun_v[j])) * h, _PLANET_RADIUS_AU
                    )
                    a_obj = a_obj + GM[body] / dmin**2
                if self.prepared.nongrav is not None and self.method == "accurate":
                    from ..ephemeris.nbody import nongrav_g

                    amag = np.linalg.norm(self.prepared.nongrav, axis=1)
                    a_obj = a_obj + amag * nongrav_g(rmin)
                a_obj = a_obj * (1 + 1e-6) + 1e-12
            a_rel = a_obj + _A_EARTH
            vh = np.minimum(vmax, speed_h + a_obj * h)
            speed, vrad, vperp = _motion(gv, uvec)
            th_h = _theta(h, _RHO_LEVELS[1], delta, vperp, vrad, speed, a_rel, vh)
            if n and self.fast_fraction > 0:
                cap = float(np.quantile(th_h, 1.0 - self.fast_fraction))
                is_fast = th_h > cap
            else:
                is_fast = np.zeros(n, dtype=bool)
            theta = np.full((_N_DT + 1, _RHO_LEVELS.size), np.nan)
            tree = cKDTree(uvec, leafsize=32, balanced_tree=False, compact_nodes=False)
            node = _Node(
                k=int(k),
                t=float(times[j]),
                half=h,
                u=uvec,
                delta=delta,
                v=gv,
                vE=vE,
                a_rel=(a_rel * (1 + 1e-6)).astype(np.float32),
                a_obj=(a_obj * (1 + 1e-6)).astype(np.float32),
                vh=(vh * (1 + 1e-6)).astype(np.float32),
                tree=tree,
                fast=np.flatnonzero(is_fast),
                is_fast=is_fast,
                theta=theta,
                build_s=per + (_time.perf_counter() - t1),
            )
            _fill_theta(node, (0, 1))
            self._nodes[int(k)] = node
            self._nodes.move_to_end(int(k))
            while len(self._nodes) > self.max_nodes:
                self._nodes.popitem(last=False)

    # ------------------------------------------------------------------ search

    def _candidates(self, dirs, t, rho, tol):
        """Pairs (query row, object) that may be within ``tol`` of the query direction.

        Stages 1 (coarse) and 2 (linear) of the module docstring. ``dirs`` (M, 3)
        unit vectors, ``t`` (M,) TDB JD, ``rho`` (M, 3) observer offsets from the
        geocentre [AU], ``tol`` (M,) radii [rad].
        """
        M = t.size
        rows_out, objs_out = [], []
        if M == 0 or len(self) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        ks = self._k_of(t)
        rnorm = np.linalg.norm(rho, axis=1)
        for k in np.unique(ks):
            node = self._node(k)
            sel_all = np.flatnonzero(ks == k)
            for c0 in range(0, sel_all.size, 200_000):
                sel = sel_all[c0 : c0 + 200_000]
                r_, o_ = self._candidates_node(
                    node, sel, dirs[sel], t[sel], rho[sel], rnorm[sel], tol[sel]
                )
                rows_out.append(r_)
                objs_out.append(o_)
        return np.concatenate(rows_out), np.concatenate(objs_out)

    def _candidates_node(self, node, sel, dirs, t, rho, rnorm, tol):
        dt = t - node.t
        adt = np.minimum(np.abs(dt), node.half)
        m = np.minimum(np.ceil(adt / node.half * _N_DT - 1e-9).astype(np.int64), _N_DT)
        li = np.searchsorted(_RHO_LEVELS, rnorm, side="left")
        beyond = li >= _RHO_LEVELS.size
        _fill_theta(node, np.unique(li[~beyond]))
        R = tol + node.theta[m, np.minimum(li, _RHO_LEVELS.size - 1)]
        R = np.where(beyond, np.pi, R)
        res = node.tree.query_ball_point(dirs, _chord(R), workers=-1, return_sorted=False)
        counts = np.fromiter((len(x) for x in res), dtype=np.int64, count=len(res))
        objs = np.fromiter((i for x in res for i in x), dtype=np.int64, count=int(counts.sum()))
        rows = np.repeat(np.arange(sel.size), counts)
        keep = ~node.is_fast[objs]
        rows, objs = rows[keep], objs[keep]
        # fast objects, each with its own bound
        if node.fast.size:
            f = node.fast
            speed, vrad, vperp = _node_motion(node, f)
            args = (node.delta[f], vperp, vrad, speed, node.a_rel[f], node.vh[f])
            if sel.size * f.size <= 500_000:
                th = _theta(adt[None, :], rnorm[None, :], *(a[:, None] for a in args))
                ang = np.arccos(np.clip(node.u[f] @ dirs.T, -1.0, 1.0))
                fi, rj = np.nonzero(ang <= th + tol[None, :] + 1e-9)
            else:
                th = _theta(adt.max(), rnorm.max(), *args)
                det_tree = cKDTree(dirs)
                lists = det_tree.query_ball_point(node.u[f], _chord(th + tol.max()), workers=-1)
                cnt = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
                rj = np.fromiter(
                    (i for x in lists for i in x), dtype=np.int64, count=int(cnt.sum())
                )
                fi = np.repeat(np.arange(f.size), cnt)
            rows = np.concatenate([rows, rj])
            objs = np.concatenate([objs, f[fi]])
        keep = self._linear_filter(node, objs, dirs[rows], dt[rows], rho[rows], tol[rows])
        return sel[rows[keep]], objs[keep]

    def _linear_filter(self, node, objs, d, dt, rho, tol):
        """Stage 2: linear extrapolation with a rigorous bound on what it neglects."""
        keep = np.zeros(objs.size, dtype=bool)
        for c0 in range(0, objs.size, 2_000_000):
            sl = slice(c0, c0 + 2_000_000)
            o = objs[sl]
            dtt = dt[sl]
            X = node.u[o] * node.delta[o][:, None] + node.v[o] * dtt[:, None] - rho[sl]
            dist = np.linalg.norm(X, axis=1)
            tau = dist / C_AU_PER_DAY
            vhv = node.v[o] + node.vE
            Xlt = X - vhv * tau[:, None]
            a_rel = node.a_rel[o].astype(float)
            a_obj = node.a_obj[o].astype(float)
            vh = node.vh[o].astype(float)
            adt = np.abs(dtt)
            err = (
                0.5 * a_rel * adt * adt * (1 + vh / C_AU_PER_DAY)
                + a_obj * adt * tau
                + 0.5 * a_obj * tau * tau
                + (vh * vh / C_AU_PER_DAY + 1e-5) * tau
                + 1e-9
            )
            lx = np.linalg.norm(Xlt, axis=1)
            bound = np.where(
                err < lx, np.arcsin(np.minimum(err / np.maximum(lx, 1e-300), 1.0)), np.pi
            )
            keep[sl] = angle_between(Xlt, d[sl]) <= tol[sl] + bound + 1e-9
        return keep

    def _exact(self, objs, t, obs_p, obs_v):
        """Stage 3: astrometric positions of objects ``objs`` at times ``t`` (pairs)."""
        from ..ephemeris import astrometric

        return astrometric(
            self._orbits.subset(objs),
            t,
            obs_p,
            obs_v,
            method=self.method,
            pairwise=True,
            planets=self.planets,
        )

    def cone_search(self, center, radius, epoch, observer=None) -> QTable:
        """Known objects inside a cone at a time, seen from an observer (SkyBoT-style).

        Parameters
        ----------
        center : `~astropy.coordinates.SkyCoord`
            Centre of the cone (any frame; converted to ICRS).
        radius : `~astropy.units.Quantity`
            Radius (angle, up to 180 deg).
        epoch : `~astropy.time.Time`
            Time of the observation (scalar).
        observer : str or `~astropy.coordinates.EarthLocation`, optional
            MPC code (default: the index's ``observer``), a registered
            spacecraft code, or an EarthLocation.

        Returns
        -------
        `~astropy.table.QTable`
            One row per object inside the cone, sorted by ``separation``:
            ``designation``, ``number``, ``name``, ``class``, ``ra``, ``dec``
            [deg] (astrometric ICRF), ``V`` [mag], ``ra_rate``, ``dec_rate``
            [arcsec/h], ``separation`` [arcsec] from the centre, ``r``,
            ``delta`` [AU], ``posunc`` [arcsec] (from the MPC U parameter,
            see `posunc_from_U`; masked when U is unknown). ``meta`` holds the
            query and the number of objects refined (``n_candidates``).
            `SKYBOT_COLUMNS` maps these columns to SkyBoT's.

        Raises
        ------
        InputError
            A centre that is not a scalar SkyCoord, a radius that is not an
            angle, an epoch that is not a scalar Time, an unknown observer.

        Examples
        --------
        >>> import astropy.units as u
        >>> from astropy.coordinates import SkyCoord
        >>> from astropy.time import Time
        >>> from astro_sso.catalog import KnownObjects
        >>> from astro_sso.simulate import synthetic_orbits
        >>> known = KnownObjects(synthetic_orbits(500, seed=2))
        >>> res = known.cone_search(SkyCoord(120, 20, unit="deg"), 30 * u.deg,
        ...                         Time("2024-02-01"), observer="I41")
        >>> res.colnames[:6]
        ['designation', 'number', 'name', 'class', 'ra', 'dec']
        """
        if not isinstance(center, SkyCoord) or not center.isscalar:
            raise InputError(f"center must be a scalar SkyCoord, got {type(center).__name__}")
        c = center.icrs
        if not (np.isfinite(c.ra.deg) and np.isfinite(c.dec.deg)):
            raise InputError(
                f"center (ra={c.ra.deg}, dec={c.dec.deg}) is not a finite sky position: give a "
                "real RA/Dec"
            )
        rad = _angle_rad(radius, "radius", "10 * u.arcmin")
        if not 0 <= rad <= np.pi:
            raise InputError(f"radius must be between 0 and 180 deg, got {radius}")
        if not isinstance(epoch, Time) or not epoch.isscalar:
            raise InputError(f"epoch must be a scalar astropy Time, got {epoch!r}")
        observer = self.observer if observer is None else observer
        t = _times_tdb_jd(epoch)
        c = center.icrs
        d = radec_to_unit([c.ra.deg], [c.dec.deg])
        obs_p, obs_v, earth_p = _observer_states(observer, t, self.planets)
        rows, objs = self._candidates(d, t, obs_p - earth_p, np.array([rad]))
        n_cand = int(objs.size)
        if objs.size:
            res = self._exact(
                objs,
                np.repeat(t, objs.size),
                np.repeat(obs_p, objs.size, 0),
                np.repeat(obs_v, objs.size, 0),
            )
            sep = angle_between(radec_to_unit(res["ra"], res["dec"]), d)
            inside = sep <= rad
            objs = objs[inside]
            res = {k: v[inside] for k, v in res.items()}
            sep = sep[inside]
            order = np.argsort(sep, kind="stable")
            objs, sep = objs[order], sep[order]
            res = {k: v[order] for k, v in res.items()}
        else:
            res = {k: np.zeros(0) for k in ("ra", "dec", "V", "ra_rate", "dec_rate", "r", "delta")}
            sep = np.zeros(0)
        out = QTable()
        out["designation"] = self.designation[objs] if objs.size else np.zeros(0, dtype="U1")
        out["number"] = self.number[objs]
        out["name"] = self.name[objs] if objs.size else np.zeros(0, dtype="U1")
        out["class"] = self.klass[objs] if objs.size else np.zeros(0, dtype="U1")
        out["ra"] = res["ra"] * u.deg
        out["dec"] = res["dec"] * u.deg
        out["V"] = res["V"] * u.mag
        out["ra_rate"] = res["ra_rate"] * (u.arcsec / u.h)
        out["dec_rate"] = res["dec_rate"] * (u.arcsec / u.h)
        out["separation"] = np.degrees(sep) * 3600.0 * u.arcsec
        out["r"] = res["r"] * u.AU
        out["delta"] = res["delta"] * u.AU
        pu = posunc_from_U(self.U[objs], res["r"], res["delta"])
        out["posunc"] = MaskedColumn(np.nan_to_num(pu), mask=~np.isfinite(pu), unit=u.arcsec)
        out.meta.update(
            {
                "center_ra": float(c.ra.deg),
                "center_dec": float(c.dec.deg),
                "radius_arcsec": float(np.degrees(rad) * 3600.0),
                "epoch": epoch.tdb.isot,
                "observer": str(observer),
                "method": self.method,
                "n_candidates": n_cand,
                "catalogue_size": len(self),
            }
        )
        return out

    def brute_force(self, center, radius, epoch, observer=None) -> QTable:
        """Reference answer of :meth:`cone_search`: the ephemeris of every object.

        Slow (the whole catalogue goes through
        :func:`~astro_sso.ephemeris.astrometric`); for tests and benchmarks.

        Parameters
        ----------
        center, radius, epoch, observer
            As in :meth:`cone_search`.

        Returns
        -------
        `~astropy.table.QTable`
            ``designation``, ``separation`` [arcsec], ``ra``, ``dec`` [deg],
            sorted by separation.

        Examples
        --------
        >>> import astropy.units as u
        >>> from astropy.coordinates import SkyCoord
        >>> from astropy.time import Time
        >>> from astro_sso.catalog import KnownObjects
        >>> from astro_sso.simulate import synthetic_orbits
        >>> known = KnownObjects(synthetic_orbits(300, seed=5))
        >>> c, r, t = SkyCoord(100, 20, unit="deg"), 40 * u.deg, Time("2024-03-01")
        >>> sorted(known.brute_force(c, r, t)["designation"]) == sorted(
        ...     known.cone_search(c, r, t)["designation"])
        True
        """
        from ..ephemeris import astrometric

        observer = self.observer if observer is None else observer
        t = _times_tdb_jd(epoch)
        obs_p, obs_v, _ = _observer_states(observer, t, self.planets)
        res = astrometric(self.prepared, t, obs_p, obs_v, method=self.method, planets=self.planets)
        ra, dec = np.radians(res["ra"][:, 0]), np.radians(res["dec"][:, 0])
        c = center.icrs
        sep = (
            SkyCoord(ra * u.rad, dec * u.rad).separation(SkyCoord(c.ra, c.dec)).to_value(u.rad)
            if len(self)
            else np.zeros(0)
        )
        inside = np.flatnonzero(sep <= _angle_rad(radius, "radius", "10 * u.arcmin"))
        inside = inside[np.argsort(sep[inside], kind="stable")]
        out = QTable()
        out["designation"] = self.designation[inside] if inside.size else np.zeros(0, dtype="U1")
        out["separation"] = np.degrees(sep[inside]) * 3600.0 * u.arcsec
        out["ra"] = np.degrees(ra[inside]) * u.deg
        out["dec"] = np.degrees(dec[inside]) * u.deg
        return out


def _as_known(known, method="twobody"):
    if isinstance(known, KnownObjects):
        return known
    if isinstance(known, Table):
        return KnownObjects(known, method=method)
    raise InputError(
        f"known must be a KnownObjects index or an orbits table, got {type(known).__name__}"
    )
