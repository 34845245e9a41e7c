"""Osculating orbital elements <-> Cartesian state vectors (vectorized).

Keplerian elements ``a, e, i, node, argperi, M`` (elliptic; hyperbolic with
``a < 0`` and the hyperbolic mean anomaly ``M = e sinh F - F``) and cometary
elements ``q, e, i, node, argperi, tp`` (any eccentricity, parabolic included)
refer to the ecliptic of J2000, as JPL Horizons, the SBDB and the MPC give
them. States are heliocentric; by default they are returned in (and read from)
ICRF equatorial axes, the axes of the rest of the engine (``frame="ecliptic"``
keeps ecliptic axes).

Angles are in degrees, distances in AU, times in days (TDB Julian dates for
``epoch`` and ``tp``).

Examples
--------
>>> import numpy as np
>>> from astro_sso.ephemeris.elements import elements_to_state, state_to_elements
>>> s = elements_to_state(2.77, 0.0786, 10.59, 80.27, 73.57, 321.44)
>>> el = state_to_elements(s)
>>> print(round(float(el["a"][0]), 10), round(float(el["M"][0]), 8))
2.77 321.44
"""

from __future__ import annotations

import numpy as np

from astro_sso.ephemeris.constants import GM_SUN
from astro_sso.ephemeris.frames import ecliptic_to_icrs, icrs_to_ecliptic
from astro_sso.ephemeris.kepler import (
    kepler_step,
    solve_kepler_elliptic,
    solve_kepler_hyperbolic,
)

__all__ = [
    "cometary_to_state",
    "elements_to_state",
    "state_to_cometary",
    "state_to_elements",
]


def _frame_out(state_ecl, frame):
    if frame == "ecliptic":
        return state_ecl
    if frame == "icrs":
        return ecliptic_to_icrs(state_ecl)
    raise ValueError(f"frame must be 'icrs' or 'ecliptic', got {frame!r}")


def _orientation(i, node, argperi):
    """Unit vectors P (to perihelion) and Q (90 deg ahead), ecliptic axes, shape (N, 3)."""
    ci, si = np.cos(i), np.sin(i)
    cO, sO = np.cos(node), np.sin(node)
    cw, sw = np.cos(argperi), np.sin(argperi)
    P = np.stack([cO * cw - sO * sw * ci, sO * cw + cO * sw * ci, sw * si], axis=-1)
    Q = np.stack([-cO * sw - sO * cw * ci, -sO * sw + cO * cw * ci, cw * si], axis=-1)
    return P, Q


def _assemble(x, y, vx, vy, i, node, argperi):
    P, Q = _orientation(i, node, argperi)
    pos = x[:, None] * P + y[:, None] * Q
    vel = vx[:, None] * P + vy[:, None] * Q
    return np.concatenate([pos, vel], axis=1)


def _as1d(*arrays):
    out = np.broadcast_arrays(*[np.atleast_1d(np.asarray(a, dtype=float)) for a in arrays])
    return [np.ascontiguousarray(a).ravel() for a in out]


def elements_to_state(a, e, i, node, argperi, M, mu=GM_SUN, frame="icrs"):
    """Heliocentric states from Keplerian elements (elliptic or hyperbolic).

    Parameters
    ----------
    a : array-like
        Semi-major axis [AU]; negative for hyperbolic orbits (e > 1).
    e : array-like
        Eccentricity (e != 1; parabolic orbits need :func:`cometary_to_state`).
    i, node, argperi : array-like
        Inclination, longitude of the ascending node, argument of perihelion
        [deg], ecliptic J2000.
    M : array-like
        Mean anomaly [deg] (hyperbolic mean anomaly for e > 1).
    mu : float, optional
        Gravitational parameter [AU^3/d^2], default GM_sun = k^2.
    frame : {"icrs", "ecliptic"}, optional
        Axes of the returned state.

    Returns
    -------
    ndarray, shape (N, 6)
        Position [AU] and velocity [AU/d].

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso.ephemeris.elements import elements_to_state
    >>> np.round(elements_to_state(1.0, 0.0, 0.0, 0.0, 0.0, 90.0, frame="ecliptic"), 6)
    array([[ 0.      ,  1.      ,  0.      , -0.017202,  0.      ,  0.      ]])
    """
    a, e, i, node, argperi, M = _as1d(a, e, i, node, argperi, M)
    near = np.abs(1.0 - e) < _NEAR_PARABOLIC
    if near.any():
        # Kepler's equation is ill-conditioned near e = 1: go through the
        # perihelion state and a universal-variable step instead.
        out = np.empty((a.size, 6))
        qn = a[near] * (1.0 - e[near])
        nmot = np.sqrt(mu / np.abs(a[near]) ** 3)
        Mn = np.deg2rad(M[near])
        Mn = np.where(e[near] < 1.0, (Mn + np.pi) % (2.0 * np.pi) - np.pi, Mn)
        out[near] = cometary_to_state(
            qn, e[near], i[near], node[near], argperi[near], -Mn / nmot, 0.0, mu=mu, frame=frame
        )
        far = ~near
        if far.any():
            out[far] = elements_to_state(
                a[far], e[far], i[far], node[far], argperi[far], M[far], mu=mu, frame=frame
            )
        return out
    i, node, argperi, M = (np.deg2rad(v) for v in (i, node, argperi, M))
    x = np.empty_like(a)
    y = np.empty_like(a)
    vx = np.empty_like(a)
    vy = np.empty_like(a)
    ell = e < 1.0
    if ell.any():
        ae, ee = a[ell], e[ell]
        E = solve_kepler_elliptic(M[ell], ee)
        cE, sE = np.cos(E), np.sin(E)
        bo = np.sqrt((1.0 - ee) * (1.0 + ee))
        r = ae * (1.0 - ee * cE)
        sq = np.sqrt(mu * ae)
        x[ell] = ae * (cE - ee)
        y[ell] = ae * bo * sE
        vx[ell] = -sq * sE / r
        vy[ell] = sq * bo * cE / r
    hyp = ~ell
    if hyp.any():
        aa, ee = np.abs(a[hyp]), e[hyp]
        F = solve_kepler_hyperbolic(M[hyp], ee)
        cF, sF = np.cosh(F), np.sinh(F)
        bo = np.sqrt((ee - 1.0) * (ee + 1.0))
        r = aa * (ee * cF - 1.0)
        sq = np.sqrt(mu * aa)
        x[hyp] = aa * (ee - cF)
        y[hyp] = aa * bo * sF
        vx[hyp] = -sq * sF / r
        vy[hyp] = sq * bo * cF / r
    return _frame_out(_assemble(x, y, vx, vy, i, node, argperi), frame)


def cometary_to_state(q, e, i, node, argperi, tp, epoch, mu=GM_SUN, frame="icrs"):
    """Heliocentric states from cometary elements, any eccentricity.

    The perihelion state (distance ``q``, speed ``sqrt(mu (1 + e) / q)``) is
    advanced from ``tp`` to ``epoch`` with the universal-variable Kepler step,
    which stays accurate for parabolic and near-parabolic orbits.

    Parameters
    ----------
    q : array-like
        Perihelion distance [AU] (> 0).
    e : array-like
        Eccentricity (>= 0; 1 is parabolic).
    i, node, argperi : array-like
        Angles [deg], ecliptic J2000.
    tp : array-like
        Time of perihelion passage (TDB Julian date).
    epoch : array-like
        Time of the returned state (TDB Julian date).
    mu : float, optional
        Gravitational parameter [AU^3/d^2].
    frame : {"icrs", "ecliptic"}, optional
        Axes of the returned state.

    Returns
    -------
    ndarray, shape (N, 6)

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso.ephemeris.elements import cometary_to_state
    >>> s = cometary_to_state(1.0, 1.0, 0.0, 0.0, 0.0, 2451545.0, 2451545.0, frame="ecliptic")
    >>> np.round(s, 6) + 0.0
    array([[1.      , 0.      , 0.      , 0.      , 0.024327, 0.      ]])
    """
    q, e, i, node, argperi, tp, epoch = _as1d(q, e, i, node, argperi, tp, epoch)
    i, node, argperi = (np.deg2rad(v) for v in (i, node, argperi))
    P, Q = _orientation(i, node, argperi)
    vp = np.sqrt(mu * (1.0 + e) / q)
    r0 = q[:, None] * P
    v0 = vp[:, None] * Q
    pos, vel = kepler_step(r0, v0, epoch - tp, mu=mu)
    return _frame_out(np.concatenate([pos, vel], axis=1), frame)


def _state_in(state, frame):
    state = np.asarray(state, dtype=float)
    if state.ndim == 1:
        state = state[None, :]
    if state.shape[-1] != 6:
        raise ValueError(f"state must have shape (N, 6), got {state.shape}")
    if frame == "icrs":
        return icrs_to_ecliptic(state)
    if frame == "ecliptic":
        return state
    raise ValueError(f"frame must be 'icrs' or 'ecliptic', got {frame!r}")


def _x_minus_sin(x, hyperbolic=False):
    """x - sin x (or sinh x - x) without cancellation for small x."""
    x = np.asarray(x, dtype=float)
    sgn = 1.0 if hyperbolic else -1.0
    small = np.abs(x) < 0.5
    out = (np.sinh(x) - x) if hyperbolic else (x - np.sin(x))
    if small.any():
        xs = x[small]
        x2 = xs * xs
        # x^3/3! (1 + s x^2/(4*5) (1 + s x^2/(6*7) (...))), s = +1 for sinh, -1 for sin
        acc = np.ones_like(xs)
        for k in range(12, 1, -1):
            acc = 1.0 + sgn * x2 / ((2 * k) * (2 * k + 1)) * acc
        out = out.copy()
        out[small] = xs * x2 / 6.0 * acc
    return out


def _kepler_mean_elliptic(E, e):
    """M = E - e sin E written as (1 - e) E + e (E - sin E) (accurate near e = 1)."""
    return (1.0 - e) * E + e * _x_minus_sin(E)


def _kepler_mean_hyperbolic(F, e):
    """M = e sinh F - F written as (e - 1) F + e (sinh F - F)."""
    return (e - 1.0) * F + e * _x_minus_sin(F, hyperbolic=True)


def state_to_elements(state, mu=GM_SUN, frame="icrs", epoch=None):
    """Osculating elements of heliocentric states (ecliptic J2000 angles).

    Parameters
    ----------
    state : array-like, shape (N, 6)
        Heliocentric positions [AU] and velocities [AU/d].
    mu : float, optional
        Gravitational parameter [AU^3/d^2].
    frame : {"icrs", "ecliptic"}, optional
        Axes of the input state.
    epoch : array-like, optional
        TDB Julian dates of the states; when given the result also holds the
        time of perihelion ``tp`` (the perihelion passage nearest to the epoch
        for elliptic orbits, as Horizons reports it).

    Returns
    -------
    dict of ndarray, shape (N,)
        ``a`` [AU] (negative for hyperbolic, inf for parabolic), ``e``, ``i``,
        ``node``, ``argperi``, ``M`` [deg] (M in [0, 360) for elliptic orbits,
        the hyperbolic mean anomaly otherwise, NaN for parabolic), ``nu`` (true
        anomaly [deg]), ``q`` [AU], ``n`` (mean motion [deg/d]) and, with
        ``epoch``, ``tp``. For circular or equatorial orbits the undefined
        angles are set by convention (node = 0 when i = 0; argperi measured
        from the node, or from the x axis, when e = 0), always consistently
        with the position.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso.ephemeris.elements import state_to_elements
    >>> el = state_to_elements([[1.0, 0, 0, 0, 0.01720209895, 0]], frame="ecliptic")
    >>> float(el["a"][0]), float(el["e"][0]) < 1e-12
    (1.0, True)
    """
    s = _state_in(state, frame)
    r = s[:, :3]
    v = s[:, 3:]
    rn = np.sqrt(np.einsum("ij,ij->i", r, r))
    v2 = np.einsum("ij,ij->i", v, v)
    rv = np.einsum("ij,ij->i", r, v)
    h = np.cross(r, v)
    hn = np.sqrt(np.einsum("ij,ij->i", h, h))
    hxy = np.hypot(h[:, 0], h[:, 1])
    inc = np.arctan2(hxy, h[:, 2])
    equatorial = hxy <= 1e-15 * hn
    node = np.where(equatorial, 0.0, np.arctan2(h[:, 0], -h[:, 1]))
    nvec = np.stack([np.cos(node), np.sin(node), np.zeros_like(node)], axis=1)
    what = h / hn[:, None]
    mvec = np.cross(what, nvec)  # in the plane, 90 deg ahead of the node
    evec = ((v2 - mu / rn)[:, None] * r - rv[:, None] * v) / mu
    ecc = np.sqrt(np.einsum("ij,ij->i", evec, evec))
    circular = ecc <= 1e-15
    argperi = np.where(
        circular,
        0.0,
        np.arctan2(np.einsum("ij,ij->i", evec, mvec), np.einsum("ij,ij->i", evec, nvec)),
    )
    u = np.arctan2(np.einsum("ij,ij->i", r, mvec), np.einsum("ij,ij->i", r, nvec))
    nu = np.arctan2(np.sin(u - argperi), np.cos(u - argperi))
    p = hn * hn / mu
    q = p / (1.0 + ecc)
    one_m_e = 1.0 - ecc
    with np.errstate(divide="ignore"):
        a = np.where(one_m_e != 0.0, q / one_m_e, np.inf)
        n = np.sqrt(mu * np.abs(one_m_e / q) ** 3)
    M = np.full_like(rn, np.nan)
    half = np.tan(0.5 * nu)
    ell = ecc < 1.0
    if ell.any():
        ee = ecc[ell]
        E = 2.0 * np.arctan(np.sqrt((1.0 - ee) / (1.0 + ee)) * half[ell])
        M[ell] = _kepler_mean_elliptic(E, ee) % (2.0 * np.pi)
    hyp = ecc > 1.0
    if hyp.any():
        ee = ecc[hyp]
        # e sinh F = r.v / sqrt(mu |a|): well conditioned up to the asymptotes.
        F = np.arcsinh(rv[hyp] / (ee * np.sqrt(mu * np.abs(a[hyp]))))
        M[hyp] = _kepler_mean_hyperbolic(F, ee)
    # Near-parabolic orbits: time from perihelion first, then M = n (t - tp).
    near = np.abs(one_m_e) < _NEAR_PARABOLIC
    if near.any():
        since_near = _time_since_perihelion(q[near], ecc[near], half[near], mu)
        Mn = n[near] * since_near
        M[near] = np.where(ecc[near] < 1.0, Mn % (2.0 * np.pi), Mn)
        M[near & (ecc == 1.0)] = np.nan
    out = {
        "a": a,
        "e": ecc,
        "i": np.rad2deg(inc),
        "node": np.rad2deg(node) % 360.0,
        "argperi": np.rad2deg(argperi) % 360.0,
        "M": np.rad2deg(M),
        "nu": np.rad2deg(nu),
        "q": q,
        "n": np.where(ecc == 1.0, np.nan, np.rad2deg(n)),
    }
    if epoch is not None:
        epoch = np.broadcast_to(np.asarray(epoch, dtype=float), rn.shape)
        Mw = np.where(ell, (M + np.pi) % (2.0 * np.pi) - np.pi, M)
        with np.errstate(divide="ignore", invalid="ignore"):
            since = Mw / n
        if near.any():
            since[near] = since_near
        out["tp"] = epoch - since
    return out


#: |1 - e| below which times of perihelion use the near-parabolic formula.
_NEAR_PARABOLIC = 0.01


def _time_since_perihelion(q, e, D, mu):
    """t - tp from q, e and D = tan(nu/2), well conditioned for e near 1.

    With x = (1 - e)/(1 + e) D^2 and B(x) = sum_k (-x)^k (2k + 2)/(2k + 3)
    (closed forms through atan/atanh of sqrt|x| away from 0):
    t - tp = 2 sqrt(q^3/mu) [D^3 B(x)/(1 + e)^1.5 + D/(sqrt(1 + e)(1 + x))],
    which is Kepler's equation rewritten, and Barker's equation at e = 1.
    """
    x = (1.0 - e) / (1.0 + e) * D * D
    B = np.empty_like(x)
    small = np.abs(x) < 0.1
    if small.any():
        xs = x[small]
        acc = np.zeros_like(xs)
        for k in range(24, -1, -1):
            acc = (2.0 * k + 2.0) / (2.0 * k + 3.0) - xs * acc
        B[small] = acc
    pos = ~small & (x > 0)
    if pos.any():
        sx = np.sqrt(x[pos])
        B[pos] = (np.arctan(sx) / sx - 1.0 / (1.0 + x[pos])) / x[pos]
    neg = ~small & (x < 0)
    if neg.any():
        sx = np.sqrt(-x[neg])
        B[neg] = (np.arctanh(sx) / sx - 1.0 / (1.0 + x[neg])) / x[neg]
    return (
        2.0
        * np.sqrt(q**3 / mu)
        * (D**3 * B / (1.0 + e) ** 1.5 + D / (np.sqrt(1.0 + e) * (1.0 + x)))
    )


def state_to_cometary(state, epoch, mu=GM_SUN, frame="icrs"):
    """Cometary elements ``q, e, i, node, argperi, tp`` of heliocentric states.

    Parameters
    ----------
    state : array-like, shape (N, 6)
        Heliocentric states [AU, AU/d].
    epoch : array-like, shape (N,)
        TDB Julian dates of the states.
    mu : float, optional
        Gravitational parameter [AU^3/d^2].
    frame : {"icrs", "ecliptic"}, optional
        Axes of the input state.

    Returns
    -------
    dict of ndarray
        ``q`` [AU], ``e``, ``i``, ``node``, ``argperi`` [deg], ``tp`` (TDB JD).

    Examples
    --------
    >>> from astro_sso.ephemeris.elements import cometary_to_state, state_to_cometary
    >>> s = cometary_to_state(0.5, 1.0, 30.0, 40.0, 50.0, 2460000.0, 2460020.0)
    >>> c = state_to_cometary(s, 2460020.0)
    >>> round(float(c["q"][0]), 12), round(float(c["tp"][0]), 8)
    (0.5, 2460000.0)
    """
    el = state_to_elements(state, mu=mu, frame=frame, epoch=epoch)
    return {k: el[k] for k in ("q", "e", "i", "node", "argperi", "tp")}
