"""Vectorized two-body (Kepler) motion about the Sun.

Three layers, all float64 NumPy on arrays:

* anomaly solvers: :func:`solve_kepler_elliptic` (``M = E - e sin E``),
  :func:`solve_kepler_hyperbolic` (``M = e sinh F - F``) and
  :func:`solve_barker` (parabolic ``D + D^3/3 = X`` with ``D = tan(nu/2)``);
  Newton/Halley steps safeguarded by a bracket that always holds the root, so
  every input converges;
* :func:`kepler_step`: one state advanced by one time step each (pairs), in
  universal variables (Stumpff functions, Laguerre-Conway iteration kept inside
  a bracket) valid for elliptic, parabolic and hyperbolic orbits alike;
* :func:`propagate_twobody`: many orbits at many times. Elliptic orbits with
  ``e < 0.9`` take a fast path (orbit constants once per orbit, then Kepler's
  equation in the eccentric anomaly on the (orbit, time) grid); the others
  (high eccentricity, parabolic, hyperbolic) go through :func:`kepler_step`.
  Work is split in blocks that fit in the CPU cache and spread over threads
  (NumPy releases the GIL in its array loops).

References: Danby, *Fundamentals of Celestial Mechanics* (1988), ch. 6; Conway,
*Celestial Mechanics* 39, 199 (1986) for the Laguerre iteration; Vallado,
*Fundamentals of Astrodynamics and Applications*, algorithm 8 (universal
variables).

Examples
--------
>>> import numpy as np
>>> from astro_sso.ephemeris.kepler import propagate_twobody
>>> state = np.array([[1.0, 0.0, 0.0, 0.0, 0.01720209895, 0.0]])  # circular, 1 AU
>>> pos, vel = propagate_twobody(state, [2451545.0], [2451545.0 + 365.25 / 4])
>>> np.round(pos[0, 0], 3) + 0.0
array([0., 1., 0.])
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from astro_sso.ephemeris.constants import GM_SUN

__all__ = [
    "conic_constants",
    "kepler_step",
    "propagate_twobody",
    "solve_barker",
    "solve_kepler_elliptic",
    "solve_kepler_hyperbolic",
    "stumpff",
]

#: Elliptic orbits with an eccentricity below this use the eccentric-anomaly fast path.
FAST_PATH_MAX_E = 0.9

#: Elements of the (orbit, time) grid per block handed to one thread.
_BLOCK = 32768

_TWO_PI = 2.0 * np.pi


def _threads(n_threads):
    if n_threads is not None:
        return max(1, int(n_threads))
    env = os.environ.get("ASTRO_SSO_THREADS")
    if env:
        return max(1, int(env))
    return max(1, min(os.cpu_count() or 1, 8))


def _run_blocks(func, starts, n_threads):
    """Call ``func(start)`` for every block start, on threads when worth it."""
    if n_threads <= 1 or len(starts) <= 1:
        for s in starts:
            func(s)
        return
    with ThreadPoolExecutor(max_workers=min(n_threads, len(starts))) as pool:
        for _ in pool.map(func, starts):
            pass


def conic_constants(pos, vel, mu=GM_SUN):
    """Shape constants of the two-body conics through states (rows).

    Parameters
    ----------
    pos, vel : array-like, shape (N, 3)
        Positions [AU] and velocities [AU/d] relative to the attracting body.
    mu : float, optional
        Gravitational parameter [AU^3/d^2]; default GM_sun = k^2.

    Returns
    -------
    r, alpha, p, e, q : ndarray, shape (N,)
        Distance [AU], ``alpha = 2/r - v^2/mu = 1/a`` [1/AU] (> 0 elliptic,
        0 parabolic, < 0 hyperbolic), semi-latus rectum ``p = h^2/mu`` [AU],
        eccentricity and perihelion distance ``q = p/(1 + e)`` [AU].

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso.ephemeris.kepler import conic_constants
    >>> v = 0.01720209895 * np.sqrt(1.5)  # perihelion speed at 1 AU for e = 0.5
    >>> r, alpha, p, e, q = conic_constants([[1.0, 0.0, 0.0]], [[0.0, v, 0.0]])
    >>> [round(float(x[0]), 12) for x in (alpha, e, q)]
    [0.5, 0.5, 1.0]
    """
    pos = np.asarray(pos, dtype=float)
    vel = np.asarray(vel, dtype=float)
    r = np.sqrt(np.einsum("ij,ij->i", pos, pos))
    v2 = np.einsum("ij,ij->i", vel, vel)
    alpha = 2.0 / r - v2 / mu
    hvec = np.cross(pos, vel)
    p = np.einsum("ij,ij->i", hvec, hvec) / mu
    e = np.sqrt(np.maximum(1.0 - p * alpha, 0.0))
    return r, alpha, p, e, p / (1.0 + e)


# --------------------------------------------------------------------------- solvers


def _wrap_pi(angle):
    """Angle reduced to [-pi, pi)."""
    return (angle + np.pi) % _TWO_PI - np.pi


def solve_kepler_elliptic(M, e, tol=1e-15, maxiter=60):
    """Eccentric anomaly E of elliptic Kepler's equation ``M = E - e sin E``.

    Parameters
    ----------
    M : array-like
        Mean anomaly [rad], any value (reduced to [-pi, pi) internally).
    e : array-like
        Eccentricity in [0, 1), broadcast with ``M``.
    tol : float, optional
        Convergence threshold on the Halley step [rad].
    maxiter : int, optional
        Iteration cap (never reached for valid input: the bracket halves at
        worst every step).

    Returns
    -------
    ndarray
        E [rad] in [-pi, pi], with the same shape as the broadcast inputs.

    Examples
    --------
    >>> from astro_sso.ephemeris.kepler import solve_kepler_elliptic
    >>> E = solve_kepler_elliptic(1.0, 0.5)
    >>> round(float(E - 0.5 * np.sin(E)), 12)
    1.0
    """
    M, e = np.broadcast_arrays(np.asarray(M, dtype=float), np.asarray(e, dtype=float))
    shape = M.shape
    Mr = _wrap_pi(M.ravel())
    e = e.ravel().copy()
    sign = np.where(Mr < 0.0, -1.0, 1.0)
    m = np.abs(Mr)
    # Root lies in [m, min(m + e, pi)] since E - m = e sin E in [0, e].
    lo = m.copy()
    hi = np.minimum(m + e, np.pi)
    E = np.clip(m + e * np.sin(m) / (1.0 - np.sin(m + e) + np.sin(m)), lo, hi)
    active = np.arange(m.size)
    for _ in range(maxiter):
        Ea, ea, ma = E[active], e[active], m[active]
        s, c = np.sin(Ea), np.cos(Ea)
        f = Ea - ea * s - ma
        fp = 1.0 - ea * c
        fpp = ea * s
        pos = f > 0
        hi[active] = np.where(pos, Ea, hi[active])
        lo[active] = np.where(pos, lo[active], Ea)
        step = f / (fp - 0.5 * f * fpp / fp)
        En = Ea - step
        outside = ~((En >= lo[active]) & (En <= hi[active]))
        En = np.where(outside, 0.5 * (lo[active] + hi[active]), En)
        E[active] = En
        done = np.abs(En - Ea) <= tol * (1.0 + np.abs(En))
        active = active[~done]
        if active.size == 0:
            break
    return (sign * E).reshape(shape)


def solve_kepler_hyperbolic(M, e, tol=1e-15, maxiter=200):
    """Hyperbolic anomaly F of ``M = e sinh F - F`` (e > 1).

    Parameters
    ----------
    M : array-like
        Hyperbolic mean anomaly [rad] (any real value).
    e : array-like
        Eccentricity > 1, broadcast with ``M``.
    tol : float, optional
        Relative convergence threshold on the step.
    maxiter : int, optional
        Iteration cap.

    Returns
    -------
    ndarray
        F [rad], same sign as M.

    Examples
    --------
    >>> from astro_sso.ephemeris.kepler import solve_kepler_hyperbolic
    >>> F = solve_kepler_hyperbolic(10.0, 1.5)
    >>> round(float(1.5 * np.sinh(F) - F), 10)
    10.0
    """
    M, e = np.broadcast_arrays(np.asarray(M, dtype=float), np.asarray(e, dtype=float))
    shape = M.shape
    Mf = M.ravel()
    e = e.ravel().copy()
    sign = np.where(Mf < 0.0, -1.0, 1.0)
    m = np.abs(Mf)
    # e sinh F - F lies between (e - 1) sinh F and e sinh F.
    lo = np.arcsinh(m / e)
    hi = np.arcsinh(m / (e - 1.0))
    # Starter: log form for large M, cubic (near-parabolic) form for small M, kept in bracket.
    F = np.minimum(np.log(2.0 * m / e + 1.8), np.cbrt(6.0 * m))
    F = np.clip(F, lo, hi)
    active = np.arange(m.size)
    for _ in range(maxiter):
        Fa, ea, ma = F[active], e[active], m[active]
        sh, ch = np.sinh(Fa), np.cosh(Fa)
        f = ea * sh - Fa - ma
        fp = ea * ch - 1.0
        fpp = ea * sh
        pos = f > 0
        hi[active] = np.where(pos, Fa, hi[active])
        lo[active] = np.where(pos, lo[active], Fa)
        with np.errstate(invalid="ignore", divide="ignore"):
            step = f / (fp - 0.5 * f * fpp / fp)
        Fn = Fa - step
        outside = ~((Fn >= lo[active]) & (Fn <= hi[active]))
        Fn = np.where(outside, 0.5 * (lo[active] + hi[active]), Fn)
        F[active] = Fn
        done = (np.abs(Fn - Fa) <= tol * (1.0 + np.abs(Fn))) | (hi[active] - lo[active] <= 0)
        active = active[~done]
        if active.size == 0:
            break
    return (sign * F).reshape(shape)


def solve_barker(X):
    """Parabolic anomaly ``D = tan(nu/2)`` solving Barker's equation ``D + D^3/3 = X``.

    With ``X = sqrt(mu / (2 q^3)) (t - tp)``. Closed form (Cardano), evaluated
    without cancellation for either sign of X.

    Parameters
    ----------
    X : array-like
        Scaled time from perihelion.

    Returns
    -------
    ndarray
        D, with the sign of X.

    Examples
    --------
    >>> from astro_sso.ephemeris.kepler import solve_barker
    >>> D = solve_barker(4.0 / 3.0)
    >>> round(float(D), 12)
    1.0
    """
    X = np.asarray(X, dtype=float)
    ax = np.abs(X)
    w = 1.5 * ax
    y = np.cbrt(w + np.sqrt(w * w + 1.0))
    # D = y - 1/y, rewritten as (y^2 - 1)/y = 2w/(y^2 + 1 + y^-2)... use the stable form:
    D = 2.0 * w / (y * y + 1.0 + 1.0 / (y * y))
    return np.copysign(D, X)


def stumpff(z):
    """Stumpff functions C(z) and S(z) of the universal-variable formulation.

    ``C(z) = (1 - cos sqrt z)/z``, ``S(z) = (sqrt z - sin sqrt z)/sqrt(z)^3`` for
    z > 0, their hyperbolic forms for z < 0, and series near 0 (|z| < 1) for
    full precision.

    Parameters
    ----------
    z : array-like

    Returns
    -------
    C, S : ndarray

    Examples
    --------
    >>> from astro_sso.ephemeris.kepler import stumpff
    >>> C, S = stumpff(0.0)
    >>> float(C), round(float(S), 15)
    (0.5, 0.166666666666667)
    """
    z = np.asarray(z, dtype=float)
    C = np.empty_like(z)
    S = np.empty_like(z)
    small = np.abs(z) < 1.0
    if small.any():
        zs = z[small]
        # Horner sums of C = sum (-z)^k/(2k+2)!, S = sum (-z)^k/(2k+3)!, k = 0..11.
        c = np.full_like(zs, 1.0 / _FACT[24])
        s = np.full_like(zs, 1.0 / _FACT[25])
        for k in range(10, -1, -1):
            c = 1.0 / _FACT[2 * k + 2] - zs * c
            s = 1.0 / _FACT[2 * k + 3] - zs * s
        C[small] = c
        S[small] = s
    pos = z >= 1.0
    if pos.any():
        x = np.sqrt(z[pos])
        sh = np.sin(0.5 * x)
        C[pos] = 2.0 * sh * sh / z[pos]
        S[pos] = (x - np.sin(x)) / (x * z[pos])
    neg = z <= -1.0
    if neg.any():
        x = np.sqrt(-z[neg])
        with np.errstate(over="ignore", invalid="ignore"):
            sh = np.sinh(0.5 * x)
            C[neg] = 2.0 * sh * sh / (-z[neg])
            S[neg] = (np.sinh(x) - x) / (x * (-z[neg]))
    return C, S


_FACT = [1.0]
for _k in range(1, 30):
    _FACT.append(_FACT[-1] * _k)


# --------------------------------------------------------------------------- universal step


def kepler_step(pos, vel, dt, mu=GM_SUN, tol=1e-15, maxiter=100):
    """Advance two-body states by time steps (pairwise), any conic.

    Universal-variable Kepler equation solved by the Laguerre-Conway method,
    kept inside a bracket of the root (the universal Kepler function is
    increasing), then Lagrange's f and g functions. Backward steps are taken
    as forward steps of the time-reversed state, and elliptic steps are first
    reduced by whole periods.

    Parameters
    ----------
    pos, vel : array-like, shape (..., 3)
        Heliocentric (more generally: relative to the attracting body)
        positions [AU] and velocities [AU/d].
    dt : array-like, shape (...)
        Time steps [d] broadcast against the leading axes of ``pos``.
    mu : float, optional
        Gravitational parameter [AU^3/d^2]; default the Sun's, k^2.
    tol : float, optional
        Relative convergence threshold on the universal anomaly.
    maxiter : int, optional
        Iteration cap.

    Returns
    -------
    pos, vel : ndarray, shape (..., 3)

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso.ephemeris.kepler import kepler_step
    >>> p, v = kepler_step([1.0, 0.0, 0.0], [0.0, 0.01720209895, 0.0], 365.2568983)
    >>> np.round(p, 8)
    array([ 1., -0.,  0.])
    """
    pos = np.asarray(pos, dtype=float)
    vel = np.asarray(vel, dtype=float)
    dt = np.asarray(dt, dtype=float)
    lead = np.broadcast_shapes(pos.shape[:-1], vel.shape[:-1], dt.shape)
    r0v = np.broadcast_to(pos, lead + (3,)).reshape(-1, 3)
    v0v = np.broadcast_to(vel, lead + (3,)).reshape(-1, 3)
    dtv = np.broadcast_to(dt, lead).ravel()
    out_p, out_v = _kepler_step_flat(r0v, v0v, dtv, mu, tol, maxiter)
    return out_p.reshape(lead + (3,)), out_v.reshape(lead + (3,))


def _kepler_step_flat(r0v, v0v, dt, mu, tol, maxiter):
    """Universal-variable step on flat (K, 3) arrays."""
    back = dt < 0.0
    v0v = np.where(back[:, None], -v0v, v0v)
    dt = np.abs(dt)
    sqmu = np.sqrt(mu)
    # Perihelion distance q = p / (1 + e) bounds the radius from below, so the
    # universal anomaly is at most sqrt(mu) dt / q.
    r0, alpha, p, _, q = conic_constants(r0v, v0v, mu)
    rv = np.einsum("ij,ij->i", r0v, v0v)
    # Elliptic: remove whole periods (the state repeats exactly).
    ell = alpha > 0.0
    if ell.any():
        period = _TWO_PI / np.sqrt(mu * alpha[ell] ** 3)
        dt_e = dt[ell]
        dt[ell] = dt_e - period * np.floor(dt_e / period)
    sigma = rv / sqmu
    beta = 1.0 - alpha * r0
    q = np.where(q > 0.0, q, r0)  # rectilinear orbits: no useful bound, use r0
    lo = np.zeros_like(dt)
    hi = sqmu * dt / np.minimum(q, r0)
    if ell.any():
        hi[ell] = np.minimum(hi[ell], _TWO_PI / np.sqrt(alpha[ell]) * 1.0000001)
    chi = _universal_starter(r0, sigma, alpha, p, dt, mu)
    chi = np.clip(chi, lo, hi)
    n_lag = 5.0
    active = np.flatnonzero(dt > 0.0)
    for _ in range(maxiter):
        if active.size == 0:
            break
        x = chi[active]
        a_ = alpha[active]
        z = a_ * x * x
        C, S = stumpff(z)
        sg, bt, r0a = sigma[active], beta[active], r0[active]
        with np.errstate(over="ignore", invalid="ignore"):
            x2 = x * x
            F = sg * x2 * C + bt * x2 * x * S + r0a * x - sqmu * dt[active]
            Fp = sg * x * (1.0 - z * S) + bt * x2 * C + r0a
            Fpp = sg * (1.0 - z * C) + bt * x * (1.0 - z * S)
            big = ~np.isfinite(F) | (F > 0.0)
            hi[active] = np.where(big, x, hi[active])
            lo[active] = np.where(big, lo[active], x)
            # Laguerre step written with ratios (F' = r > 0) to delay overflow.
            u = F / Fp
            w = Fpp / Fp
            disc = np.sqrt(np.abs((n_lag - 1.0) ** 2 - n_lag * (n_lag - 1.0) * u * w))
            xn = x - n_lag * u / (1.0 + disc)
        la, ha = lo[active], hi[active]
        ok = np.isfinite(xn) & np.isfinite(F)
        converged = ok & (np.abs(xn - x) <= tol * np.abs(xn))
        bad = ~converged & (~ok | (xn <= la) | (xn >= ha))
        xn = np.where(bad, 0.5 * (la + ha), xn)
        chi[active] = xn
        done = converged | (ha - la <= tol * ha)
        active = active[~done]
    z = alpha * chi * chi
    C, S = stumpff(z)
    x2 = chi * chi
    f = 1.0 - x2 / r0 * C
    # g = dt - chi^3 S / sqrt(mu), rewritten with the Kepler equation so that
    # long steps do not cancel: sqrt(mu) g = sigma chi^2 C + r0 chi (1 - z S).
    g = (sigma * x2 * C + r0 * chi * (1.0 - z * S)) / sqmu
    rv_new = f[:, None] * r0v + g[:, None] * v0v
    r = np.sqrt(np.einsum("ij,ij->i", rv_new, rv_new))
    fdot = sqmu / (r * r0) * chi * (z * S - 1.0)
    gdot = 1.0 - x2 / r * C
    vv_new = fdot[:, None] * r0v + gdot[:, None] * v0v
    vv_new = np.where(back[:, None], -vv_new, vv_new)
    return rv_new, vv_new


def _universal_starter(r0, sigma, alpha, p, dt, mu):
    """First guess of the universal anomaly chi (dt >= 0).

    Short steps (a small fraction of the dynamical time at r0): the first-order
    value sqrt(mu) dt / r0. Long steps: the exact conic solution through the
    eccentric, hyperbolic or parabolic (Barker) anomaly, which the Laguerre
    iteration then polishes (it is slow from far-off guesses on hyperbolas).
    """
    sqmu = np.sqrt(mu)
    chi = sqmu * dt / r0
    ar = alpha * r0
    long_step = dt > 0.05 * r0 * np.sqrt(r0 / mu)
    ell = long_step & (ar > 1e-8)
    if ell.any():
        al = alpha[ell]
        sa = np.sqrt(al)
        ecosE = 1.0 - ar[ell]
        esinE = sigma[ell] * sa
        e = np.hypot(ecosE, esinE)
        E0 = np.arctan2(esinE, ecosE)
        M1 = E0 - esinE + np.sqrt(mu * al**3) * dt[ell]
        E1 = solve_kepler_elliptic(M1, np.minimum(e, 1.0 - 1e-16))
        chi[ell] = ((E1 - E0) % _TWO_PI) / sa
    hyp = long_step & (ar < -1e-8)
    if hyp.any():
        al = -alpha[hyp]
        sa = np.sqrt(al)
        ecoshF = 1.0 - ar[hyp]
        esinhF = sigma[hyp] * sa
        e = np.sqrt((ecoshF - esinhF) * (ecoshF + esinhF))
        e = np.maximum(e, 1.0 + 1e-16)
        F0 = np.arcsinh(esinhF / e)
        M1 = esinhF - F0 + np.sqrt(mu * al**3) * dt[hyp]
        F1 = solve_kepler_hyperbolic(M1, e)
        chi[hyp] = (F1 - F0) / sa
    par = long_step & ~ell & ~hyp
    if par.any():
        pp = p[par]
        D0 = sigma[par] * sqmu / np.sqrt(mu * pp)
        X1 = D0 + D0**3 / 3.0 + 2.0 * dt[par] * np.sqrt(mu / pp**3)
        chi[par] = np.sqrt(pp) * (solve_barker(X1) - D0)
    return chi


# --------------------------------------------------------------------------- many orbits


class _FastOrbits:
    """Per-orbit constants of the eccentric-anomaly fast path.

    position = (cos E - e) A + sin E B, velocity = n / (1 - e cos E) (-sin E A + cos E B)
    with A = a P and B = b Q (P towards perihelion, Q 90 deg ahead in the orbit plane).
    """

    def __init__(self, r0v, v0v, mu):
        r0 = np.sqrt(np.einsum("ij,ij->i", r0v, r0v))
        v2 = np.einsum("ij,ij->i", v0v, v0v)
        rv = np.einsum("ij,ij->i", r0v, v0v)
        a = 1.0 / (2.0 / r0 - v2 / mu)
        sq = np.sqrt(mu * a)
        ecosE = 1.0 - r0 / a
        esinE = rv / sq
        e = np.hypot(ecosE, esinE)
        E0 = np.arctan2(esinE, ecosE)
        cE, sE = np.cos(E0), np.sin(E0)
        b_over_a = np.sqrt((1.0 - e) * (1.0 + e))
        # Solve r0 = A1 P + B1 Q, v0 = A2 P + B2 Q for the unit vectors P and Q.
        A1 = a * (cE - e)
        B1 = a * b_over_a * sE
        A2 = -sq * sE / r0
        B2 = sq * b_over_a * cE / r0
        det = A1 * B2 - A2 * B1
        P = (B2[:, None] * r0v - B1[:, None] * v0v) / det[:, None]
        Q = (A1[:, None] * v0v - A2[:, None] * r0v) / det[:, None]
        self.A = a[:, None] * P
        self.B = (a * b_over_a)[:, None] * Q
        self.e = e
        self.n = np.sqrt(mu / a**3)
        self.M0 = E0 - esinE


def _fast_eval(orb, idx, dt, with_velocity, out_pos=None, out_vel=None):
    """Positions (and velocities) of orbits ``idx`` after ``dt`` (shape (len(idx), T)).

    Results go to ``out_pos``/``out_vel`` (views of shape (len(idx), T, 3)) when given.
    """
    e = orb.e[idx][:, None]
    n = orb.n[idx][:, None]
    M = orb.M0[idx][:, None] + n * dt
    E, sE, cE = _kepler_fast(M, e)
    A = orb.A[idx][:, None, :]
    B = orb.B[idx][:, None, :]
    shape = E.shape + (3,)
    pos = np.empty(shape) if out_pos is None else out_pos
    cE -= e  # cos E - e
    np.multiply(cE[..., None], A, out=pos)
    pos += sE[..., None] * B
    if not with_velocity:
        return pos, None
    cE += e
    k = n / (1.0 - e * cE)
    vel = np.empty(shape) if out_vel is None else out_vel
    np.multiply((k * -sE)[..., None], A, out=vel)
    vel += (k * cE)[..., None] * B
    return pos, vel


_HALF_PI = 0.5 * np.pi
_HALLEY_DONE = 3e-6


def _kepler_fast(M, e):
    """Halley iteration for e < FAST_PATH_MAX_E on a block: (E, sin E, cos E).

    Tuned for throughput: the mean anomaly is reduced with rint, cos is taken as
    sin(x + pi/2) (one SIMD sine; absolute error < 1e-15), and the sine and
    cosine of the converged E come from the last iteration's values rotated by
    the final (< 3e-6 rad) step. Blocks that do not converge in 8 steps fall
    back to the bracketed solver.
    """
    m = M - _TWO_PI * np.rint(M / _TWO_PI)
    E = m + e * np.sin(m)
    for _ in range(8):
        s = np.sin(E)
        c = np.sin(E + _HALF_PI)
        es = e * s
        f = E - es
        f -= m
        fp = 1.0 - e * c
        step = f / (fp - 0.5 * f * es / fp)
        E -= step
        if np.max(np.abs(step)) < _HALLEY_DONE:
            # Halley converges cubically: the error left is below C step^3 with
            # C < 22 for e < 0.9, i.e. < 6e-16 rad. (sin, cos) are rotated by -step
            # to second order (error step^3/6 < 5e-18).
            h = 1.0 - 0.5 * step * step
            s_new = s * h - c * step
            c *= h
            c += s * step
            return E, s_new, c
    bad = ~(np.abs(step) < _HALLEY_DONE)
    eb = np.broadcast_to(e, m.shape)[bad]
    E[bad] = solve_kepler_elliptic(m[bad], eb)
    return E, np.sin(E), np.cos(E)


def propagate_twobody(
    state, epoch, t, pairwise=False, *, mu=GM_SUN, with_velocity=True, n_threads=None
):
    """Two-body (heliocentric Kepler) positions and velocities of many orbits.

    Parameters
    ----------
    state : array-like, shape (N, 6)
        Heliocentric states at ``epoch`` [AU, AU/d] in any inertial axes
        (the output uses the same axes).
    epoch : array-like, shape (N,)
        Epochs of the states (TDB Julian dates).
    t : array-like, shape (T,) or (N,) when ``pairwise``
        Times to compute (TDB Julian dates).
    pairwise : bool, optional
        If True, orbit ``i`` is evaluated at time ``t[i]`` only.
    mu : float, optional
        Gravitational parameter [AU^3/d^2]; default GM_sun = k^2.
    with_velocity : bool, optional
        Compute velocities (default True). False returns ``(pos, None)`` and
        is faster.
    n_threads : int, optional
        Threads to use; default the number of CPUs (at most 8), or the
        ``ASTRO_SSO_THREADS`` environment variable.

    Returns
    -------
    pos, vel : ndarray, shape (N, T, 3), or (N, 3) when ``pairwise``
        Heliocentric positions [AU] and velocities [AU/d] (``vel`` is None
        when ``with_velocity`` is False).

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso.ephemeris.kepler import propagate_twobody
    >>> state = np.array([[1.0, 0.0, 0.0, 0.0, 0.01720209895, 0.0],
    ...                   [2.0, 0.0, 0.0, 0.0, 0.0, 0.014]])
    >>> pos, vel = propagate_twobody(state, [0.0, 0.0], [0.0, 10.0, 20.0])
    >>> pos.shape
    (2, 3, 3)
    >>> pos, vel = propagate_twobody(state, [0.0, 0.0], [10.0, 20.0], pairwise=True)
    >>> pos.shape
    (2, 3)
    """
    state = np.asarray(state, dtype=float)
    if state.ndim == 1:
        state = state[None, :]
    if state.ndim != 2 or state.shape[1] != 6:
        raise ValueError(f"state must have shape (N, 6), got {state.shape}")
    N = state.shape[0]
    epoch = np.broadcast_to(np.asarray(epoch, dtype=float), (N,))
    t = np.atleast_1d(np.asarray(t, dtype=float))
    if pairwise:
        if t.shape != (N,):
            t = np.broadcast_to(t, (N,))
        dt = (t - epoch)[:, None]
        T = 1
    else:
        T = t.size
        dt = None
    pos = np.empty((N, T, 3))
    vel = np.empty((N, T, 3)) if with_velocity else None
    if N == 0 or T == 0:
        return (pos[:, 0], vel[:, 0] if with_velocity else None) if pairwise else (pos, vel)

    r0v = state[:, :3]
    v0v = state[:, 3:]
    _, alpha, _, ecc, _ = conic_constants(r0v, v0v, mu)
    fast = (alpha > 0.0) & (ecc < FAST_PATH_MAX_E)
    n_thr = _threads(n_threads)

    fast_idx = np.flatnonzero(fast)
    if fast_idx.size:
        rows = max(1, _BLOCK // T)
        starts = list(range(0, fast_idx.size, rows))

        contiguous = fast_idx.size == N  # all orbits fast: write straight into the output

        def do_fast(s):
            # Orbit constants are built per block: they stay in cache and use the threads.
            sl = slice(s, min(s + rows, fast_idx.size))
            gi = fast_idx[sl]
            orb = _FastOrbits(r0v[gi], v0v[gi], mu)
            loc = np.arange(gi.size)
            d = dt[gi] if pairwise else (t[None, :] - epoch[gi][:, None])
            if contiguous:
                _fast_eval(orb, loc, d, with_velocity, pos[sl], vel[sl] if with_velocity else None)
                return
            pp, vv = _fast_eval(orb, loc, d, with_velocity)
            pos[gi] = pp
            if with_velocity:
                vel[gi] = vv

        _run_blocks(do_fast, starts, n_thr)

    slow_idx = np.flatnonzero(~fast)
    if slow_idx.size:
        rows = max(1, _BLOCK // (4 * T))
        starts = list(range(0, slow_idx.size, rows))

        def do_slow(s):
            gi = slow_idx[s : s + rows]
            d = dt[gi] if pairwise else (t[None, :] - epoch[gi][:, None])
            k = gi.size
            rr = np.broadcast_to(r0v[gi][:, None, :], (k, T, 3)).reshape(-1, 3)
            vv = np.broadcast_to(v0v[gi][:, None, :], (k, T, 3)).reshape(-1, 3)
            pp, ww = _kepler_step_flat(rr, vv, d.reshape(-1).copy(), mu, 1e-15, 100)
            pos[gi] = pp.reshape(k, T, 3)
            if with_velocity:
                vel[gi] = ww.reshape(k, T, 3)

        _run_blocks(do_slow, starts, n_thr)

    if pairwise:
        return pos[:, 0], (vel[:, 0] if with_velocity else None)
    return pos, vel
