"""N-body integration of many massless small bodies with REBOUND's IAS15.

:func:`integrate` propagates barycentric ICRS states of test particles (asteroids,
comets) under the attraction of the Sun, the planets, the Moon and Pluto, with
optional general relativity and Marsden-style non-gravitational forces. Many
objects ride in one REBOUND simulation, so the cost per object is small.

Two ways to drive the planets (``method``):

``"ephemeris"`` (default)
    The simulation holds only the test particles (REBOUND's gravity is off); one
    vectorized NumPy force routine, installed as REBOUND's ``additional_forces``,
    puts the Sun, Mercury, Venus, the Earth, the Moon, Mars..Neptune (and Pluto
    when the source has it; Mars..Pluto as system barycentres) at their
    ephemeris positions at every force evaluation. The DE440 Chebyshev records
    of the integration window are copied once and evaluated in ~70 us per
    distinct time (IAS15's repeated sub-step times are cached). The planets
    never drift from the ephemeris, the Earth and the Moon are separate at no
    cost in steps, and the IAS15 step is set by the small bodies alone (about
    20 steps per year for a batch of main-belt orbits, against 164 with
    integrated planets and an Earth-Moon barycentre, 287 with a separate Moon).
``"nbody"``
    The Sun, Mercury, Venus, the Earth-Moon barycentre (EMB), Mars..Neptune
    (and Pluto when the source has it) are massive REBOUND particles started
    from the ephemeris at the epoch and integrated with the test particles
    (``testparticle_type=0``). Measured drift from DE440 of the DE440-started
    planets (with GR) after 1 / 2 / 3.4 years: Mercury 0.1 / 0.5 / 0.7 km,
    Mars 1.1 / 1.1 / 4.2 km, Jupiter 0.2 / 0.6 / 1.4 km, but the EMB
    119 / 238 / 385 km (a point-mass EMB lacks the Sun's tide on the Earth-Moon
    pair; with a separate Moon the Earth stays within 1 km, at 287 instead of
    164 steps per year); without GR the Earth drifts 60 / 120 / 200 km and
    Mercury 109 / 353 / 330 km. Output times are reached with
    ``sim.integrate(t, exact_finish_time=1)``.

Measured accuracy (Ceres against JPL Horizons, astroquery's
``ceres_vectors_range.txt`` and the ICRF state of ``ceres_elements_range.txt``;
Horizons integrates with DE441 and 16 asteroid perturbers):

- DE440 + GR, ``"ephemeris"``: 0.4 m after 1 month; 0.71 km (0.0002" from
  the Earth) after 2.4 years from 2020-01-01;
- DE440 + GR, ``"nbody"``: 0.4 m; 1.9 km (0.0006");
- DE440 without GR: 33 m; 32 km (0.012");
- builtin (ERFA) + GR, ``"ephemeris"``: 0.32 km; 314 km (0.082");
- builtin + GR, ``"nbody"``: 0.32 km; 112 km (0.020").

Against DE440 + GR (``"ephemeris"``) for 200 main-belt and 100 near-Earth-like
random orbits over 3.4 years (60 dates, angle seen from the Earth): builtin
planets + GR, ``"ephemeris"``: median 0.021" / 0.024", 95th percentile 0.37" /
0.28" (main belt / NEA); builtin ``"nbody"``: 95th percentile 1.0" / 1.1"
(hence ``"ephemeris"`` is the default for every source); DE440 ``"nbody"``:
median 0.0001" / 0.0003", 95th percentile 0.0015" / 0.0030"; DE440 without
GR: median 0.007" / 0.016", 95th percentile 0.036" / 0.24".

Speed (2-core x86_64, ``python benchmarks/bench_nbody.py --n 1000 --years 1``,
DE440, GR, 12 output times): 0.21 ms per object-year for 1000 main-belt orbits
integrated together (0.30 for 10 000), against 24 ms per object-year for the
same objects one per simulation (122 ms with the ``"nbody"`` method) and
2.8 ms for ASSIST measured elsewhere (one object per run); the ``"nbody"``
method costs 1.1 ms per object-year in batches. Objects with perihelia inside
1.3 AU are batched apart from the others (their close approaches shrink the
shared step: 100 such orbits took 445 steps in 3.4 years against 66 for 200
main-belt orbits).

General relativity (``gr=True``): the Sun's post-Newtonian acceleration of a
test particle (PPN beta = gamma = 1, harmonic gauge),
``a = GM/(c^2 r^3) [(4 GM/r - v^2) r + 4 (r.v) v]`` with heliocentric r and v,
in NumPy, for both methods (on the planets too in ``"nbody"``). It reproduces
the 43"/century perihelion advance of a Mercury-like orbit to 0.01%. REBOUNDx
(5.1.0, which runs with rebound 5.2.2) was measured and not used: its ``gr``
effect gives 1.7% (with Jupiter) to 3.9% (all planets) too much precession in a
barycentric simulation, ``gr_potential`` gets the precession but not the mean
motion (the planets drift by 460 km (Mercury) and 170 km (Earth) in a year)
and ``gr_full`` treats every test particle as a source (200 particles did not
finish a year in 5 minutes).

Non-gravitational forces (``nongrav``): ``a = g(r) (A1 r_hat + A2 t_hat + A3 n_hat)``
(Marsden, Sekanina & Yeomans 1973), r_hat radial from the Sun, n_hat along
r x v, t_hat = n_hat x r_hat, with the water-ice ``g(r)`` (alpha = 0.1112620426,
r0 = 2.808 AU, m = 2.15, n = 5.093, k = 4.6142) or ``g = r^-2``
(``nongrav_model="r2"``, e.g. 1I/'Oumuamua); computed only for objects with a
non-zero A.

Output times (``"ephemeris"`` method, ``dense=True``): the integration takes
IAS15's natural steps (capped at 0.25 rad of heliocentric motion) to the last
time and interpolates every requested time inside a step with a degree-7
Hermite polynomial matching position, velocity, acceleration and jerk at both
step ends (jerk exact for gravity, a central difference for the GR and
non-gravitational terms). Measured against exact step ends: below 1 m in
batches, below 15 m for lone main-belt objects (15 m is 0.00002" at 1 AU).
Forcing a step end at every output time instead (``dense=False``) multiplies the
cost by the number of outputs per natural step (100 outputs in a year cost 13
times 1 output).
"""

from __future__ import annotations

import ctypes
import functools

import numpy as np
import rebound

from astro_sso.ephemeris.constants import C_AU_PER_DAY
from astro_sso.ephemeris.kepler import conic_constants
from astro_sso.ephemeris.planets import (
    GM,
    _FastBodies,
    _range_hint,
    available_bodies,
    ephemeris_range,
    resolve_source,
)
from astro_sso.exceptions import EphemerisRangeError, InputError

__all__ = ["integrate", "nongrav_g"]

# Marsden et al. (1973) water-ice sublimation function.
_WATER = (0.1112620426, 2.808, 2.15, 5.093, 4.6142)

_EPHEMERIS_BODIES = (
    "sun",
    "mercury",
    "venus",
    "earth",
    "moon",
    "mars",
    "jupiter",
    "saturn",
    "uranus",
    "neptune",
    "pluto",
)
_NBODY_BODIES = (
    "sun",
    "mercury",
    "venus",
    "earth-moon-barycenter",
    "mars",
    "jupiter",
    "saturn",
    "uranus",
    "neptune",
    "pluto",
)

# Degree-7 Hermite on [0, 1]:
#   p(s) = x0 + V s + A s^2/2 + J s^3/6 + s^4 (q0 + q1 s + q2 s^2 + q3 s^3),
# q = _HERMITE_Q @ (residuals of value, 1st, 2nd, 3rd derivative at s = 1).
_HERMITE_Q = (
    np.array(
        [
            [210.0, -90.0, 15.0, -1.0],
            [-504.0, 234.0, -42.0, 3.0],
            [420.0, -204.0, 39.0, -3.0],
            [-120.0, 60.0, -12.0, 1.0],
        ]
    )
    / 6.0
)
_NEO_Q = 1.3  # AU: objects with smaller perihelion distances are batched apart
_FD_STEP = 0.02  # days, central difference for the jerk of the GR / non-gravitational terms
# Dense output: at most this heliocentric angle [rad] per interpolated step for every object.
# IAS15's own steps stay below it for main-belt orbits (interpolation error measured < 15 m
# for lone objects, < 1 m in batches); 0.1 would give < 0.2 m at twice the cost.
_DENSE_TURN = 0.25


def nongrav_g(r, model="water"):
    """Radial scaling g(r) of the Marsden non-gravitational acceleration.

    Parameters
    ----------
    r : float or ndarray
        Heliocentric distance [AU].
    model : {"water", "r2"}
        ``"water"``: Marsden et al. (1973) water-ice sublimation function,
        ``alpha (r/r0)^-m (1 + (r/r0)^n)^-k`` with alpha = 0.1112620426,
        r0 = 2.808 AU, m = 2.15, n = 5.093, k = 4.6142. ``"r2"``: ``r^-2``.

    Returns
    -------
    float or ndarray
        g(r), dimensionless (1 at 1 AU for both models, to 1e-4 for water).

    Examples
    --------
    >>> from astro_sso.ephemeris.nbody import nongrav_g
    >>> round(float(nongrav_g(1.0)), 3)
    1.0
    >>> float(nongrav_g(2.0, "r2"))
    0.25
    """
    r = np.asarray(r, dtype=float)
    if model == "water":
        alpha, r0, m, n, k = _WATER
        x = r / r0
        return alpha * x ** (-m) * (1.0 + x**n) ** (-k)
    if model == "r2":
        return 1.0 / (r * r)
    raise InputError(f"nongrav_model={model!r} is unknown: use 'water' or 'r2'")


# --------------------------------------------------------------------------
# Direct NumPy access to REBOUND's particle array.

_PSIZE = ctypes.sizeof(rebound.Particle)
_FIRST_FIELDS = ["x", "y", "z", "vx", "vy", "vz", "ax", "ay", "az"]
if _PSIZE % 8 or [f[0] for f in rebound.Particle._fields_[:9]] != _FIRST_FIELDS:  # pragma: no cover
    raise ImportError("astro_sso.ephemeris.nbody needs REBOUND's reb_particle layout (x..az first)")
_PDOUBLES = _PSIZE // 8


@functools.lru_cache(maxsize=16)
def _buffer_type(n):
    return ctypes.c_double * (n * _PDOUBLES)


def _particles_view(sim):
    """(N, 14) float64 view on the particle array of a ``rebound.Simulation`` struct."""
    n = sim.N
    buf = _buffer_type(n).from_address(ctypes.addressof(sim._particles.contents))
    return np.frombuffer(buf, dtype=np.float64).reshape(n, _PDOUBLES)


def _nongrav_acc(rh, vh, A, model):
    """Marsden acceleration (3, n) from heliocentric rh, vh (3, n) and A (3, n)."""
    r = np.sqrt(np.einsum("kn,kn->n", rh, rh))
    rhat = rh / r
    h = np.cross(rh, vh, axis=0)
    nhat = h / np.sqrt(np.einsum("kn,kn->n", h, h))
    that = np.cross(nhat, rhat, axis=0)
    return nongrav_g(r, model) * (A[0] * rhat + A[1] * that + A[2] * nhat)


def _nongrav_rows(nongrav):
    """Rows with a non-zero A1, A2, A3 and their A as (3, n), or (None, None)."""
    if nongrav is None:
        return None, None
    nz = np.flatnonzero(np.any(nongrav != 0.0, axis=1))
    if nz.size == 0:
        return None, None
    return nz, nongrav[nz].T.copy()


def _gr_acc(rh, vh, gm):
    """Sun's 1PN acceleration (3, n) of test particles at heliocentric rh, vh (3, n)."""
    r2 = np.einsum("kn,kn->n", rh, rh)
    r = np.sqrt(r2)
    v2 = np.einsum("kn,kn->n", vh, vh)
    rv = np.einsum("kn,kn->n", rh, vh)
    fac = gm / (C_AU_PER_DAY**2 * r2 * r)
    return fac * ((4.0 * gm / r - v2) * rh + 4.0 * rv * vh)


class _EphemerisForces:
    """Forces on test particles from bodies that follow an ephemeris.

    REBOUND calls the instance through ctypes. Exceptions cannot cross the C
    boundary: they are kept in ``self.error`` and the simulation is stopped
    (status 5, "user exit"); the caller re-raises.
    """

    def __init__(self, jd0, fast, gms, gr, nongrav, model):
        self.jd0 = jd0
        self.fast = fast
        self.gms = gms
        self.gr = gr
        self.model = model
        self.error = None
        self.ng_index, self.ng_A = _nongrav_rows(nongrav)
        self.has_extra = gr or self.ng_index is not None

    def _extra(self, rh, vh):
        acc = np.zeros_like(rh)
        if self.gr:
            acc += _gr_acc(rh, vh, self.gms[0])
        if self.ng_index is not None:
            i = self.ng_index
            acc[:, i] += _nongrav_acc(rh[:, i], vh[:, i], self.ng_A, self.model)
        return acc

    def accel(self, t, x, v, jerk=False):
        """Acceleration (3, n) at t (days from jd0) of particles x, v (3, n); optionally jerk."""
        P, V = self.fast.posvel(self.jd0, t)
        d = P[:, :, None] - x[None, :, :]  # (nb, 3, n)
        r2 = d[:, 0] * d[:, 0]
        r2 += d[:, 1] * d[:, 1]
        r2 += d[:, 2] * d[:, 2]
        f = np.sqrt(r2)
        f *= r2
        np.divide(self.gms[:, None], f, out=f)  # GM / r^3, (nb, n)
        acc = np.matmul(f.T[:, None, :], d.transpose(2, 0, 1))[:, 0, :].T
        if self.has_extra:
            acc += self._extra(-d[0], v - V[0][:, None])
        if not jerk:
            return acc
        w = V[:, :, None] - v[None, :, :]
        rv = np.einsum("jkn,jkn->jn", d, w) / r2
        jrk = np.einsum("jn,jkn->kn", f, w) - 3.0 * np.einsum("jn,jkn->kn", f * rv, d)
        if self.has_extra:
            h = _FD_STEP
            Pp, Vp = self.fast.posvel(self.jd0, t + h)
            Pm, Vm = self.fast.posvel(self.jd0, t - h)
            xp = x + v * h + 0.5 * acc * h * h
            xm = x - v * h + 0.5 * acc * h * h
            ep = self._extra(xp - Pp[0][:, None], v + acc * h - Vp[0][:, None])
            em = self._extra(xm - Pm[0][:, None], v - acc * h - Vm[0][:, None])
            jrk += (ep - em) / (2.0 * h)
        return acc, jrk

    def __call__(self, simp):
        try:
            sim = simp.contents
            arr = _particles_view(sim)
            x = np.ascontiguousarray(arr[:, 0:3].T)
            v = np.ascontiguousarray(arr[:, 3:6].T)
            arr[:, 6:9] = self.accel(sim.t, x, v).T
        except BaseException as err:  # noqa: BLE001 - re-raised after the C call returns
            self.error = err
            simp.contents._status = 5


class _NbodyExtras:
    """GR and non-gravitational accelerations added to REBOUND's gravity (``"nbody"`` method).

    The Sun is particle 0. GR (the same heliocentric 1PN term as the
    ``"ephemeris"`` method) acts on every other particle, planets included;
    the non-gravitational force on the test particles with a non-zero A
    (test particles start at index ``first``).
    """

    def __init__(self, first, gr, nongrav, model, gm_sun):
        self.first = first
        self.gr = gr
        self.model = model
        self.gm_sun = gm_sun
        self.error = None
        rows, self.A = _nongrav_rows(nongrav)
        self.index = None if rows is None else first + rows

    def __call__(self, simp):
        try:
            arr = _particles_view(simp.contents)
            sun = arr[0]
            if self.gr:
                rh = (arr[1:, 0:3] - sun[0:3]).T
                vh = (arr[1:, 3:6] - sun[3:6]).T
                arr[1:, 6:9] += _gr_acc(rh, vh, self.gm_sun).T
            if self.index is not None:
                rows = self.index
                rh = (arr[rows, 0:3] - sun[0:3]).T
                vh = (arr[rows, 3:6] - sun[3:6]).T
                arr[rows, 6:9] += _nongrav_acc(rh, vh, self.A, self.model).T
        except BaseException as err:  # noqa: BLE001 - re-raised after the C call returns
            self.error = err
            simp.contents._status = 5


def _as_jd(value, name):
    """Two-part TDB JD arrays from floats or a `~astropy.time.Time`."""
    if hasattr(value, "tdb") and hasattr(value, "jd1"):
        t = value.tdb
        return np.atleast_1d(np.asarray(t.jd1, float)), np.atleast_1d(np.asarray(t.jd2, float))
    try:
        jd = np.atleast_1d(np.asarray(value, dtype=float))
    except (TypeError, ValueError) as err:
        raise InputError(
            f"{name} must be TDB Julian dates or an astropy Time, got {value!r}"
        ) from err
    return jd, np.zeros_like(jd)


def _check_finite(arr, name, what):
    bad = ~np.isfinite(arr).all(axis=tuple(range(1, arr.ndim)))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{name} row {row}: {what} is not finite ({arr[row]}): remove the object or fix "
            "its orbit before integrating"
        )


def _new_sim(epsilon):
    sim = rebound.Simulation()
    sim.G = 1.0
    sim.integrator = "ias15"
    sim.integrator.epsilon = epsilon
    return sim


def _add_particles(sim, states):
    for row in states:
        sim.add(m=0.0, x=row[0], y=row[1], z=row[2], vx=row[3], vy=row[4], vz=row[5])


def _hermite(t0, X0, A0, J0, t1, X1, A1, J1, tq):
    """Degree-7 Hermite interpolation of states (n, 6) at times tq (m,) -> (n, m, 6)."""
    h = t1 - t0
    s = (tq - t0) / h
    x0, x1 = X0[:, :3], X1[:, :3]
    V0, V1 = X0[:, 3:] * h, X1[:, 3:] * h
    a0, a1 = A0 * h * h, A1 * h * h
    j0, j1 = J0 * h**3, J1 * h**3
    R = np.stack(
        [
            x1 - x0 - V0 - a0 / 2.0 - j0 / 6.0,
            V1 - V0 - a0 - j0 / 2.0,
            a1 - a0 - j0,
            j1 - j0,
        ]
    )  # (4, n, 3)
    q = np.einsum("ik,knc->inc", _HERMITE_Q, R)
    s1 = s[:, None, None]
    poly = q[0] + s1 * (q[1] + s1 * (q[2] + s1 * q[3]))  # (m, n, 3)
    dpoly = 4 * q[0] + s1 * (5 * q[1] + s1 * (6 * q[2] + s1 * 7 * q[3]))
    s3 = s1**3
    pos = x0 + s1 * (V0 + s1 * (a0 / 2.0 + s1 * j0 / 6.0)) + s3 * s1 * poly
    vel = V0 + s1 * (a0 + s1 * j0 / 2.0) + s3 * dpoly
    out = np.concatenate([pos, vel / h], axis=2)  # (m, n, 6)
    return out.transpose(1, 0, 2)


def _run_ephemeris(
    x0, jd0, tq, sign, *, source, bodies, gms, gr, nongrav, model, epsilon, window, dense
):
    """Integrate a batch in one direction; tq sorted so that tq * sign increases (all != 0)."""
    n = x0.shape[0]
    out = np.empty((n, tq.size, 6))
    fast = _FastBodies(bodies, source, *window)
    forces = _EphemerisForces(jd0, fast, gms, gr, nongrav, model)
    sim = _new_sim(epsilon)
    sim.gravity = "none"
    _add_particles(sim, x0)
    sim.additional_forces = forces
    sim.force_is_velocity_dependent = 1 if forces.has_extra else 0
    sim.dt = sign * min(1.0, abs(tq[-1]))

    def check():
        if forces.error is not None:
            raise forces.error

    if not dense:
        for k, tk in enumerate(tq):
            sim.integrate(tk, exact_finish_time=1)
            check()
            out[:, k, :] = _particles_view(sim)[:, :6]
        return out

    def node(tn, X):
        x, v = np.ascontiguousarray(X[:, :3].T), np.ascontiguousarray(X[:, 3:].T)
        a, j = forces.accel(tn, x, v, jerk=True)
        sun_p, sun_v = fast.posvel(jd0, tn)
        rh, vh = x - sun_p[0][:, None], v - sun_v[0][:, None]
        omega = np.linalg.norm(np.cross(rh, vh, axis=0), axis=0) / np.einsum("kn,kn->n", rh, rh)
        return (tn, X, a.T, j.T), _DENSE_TURN / omega.max()

    prev, h_cap = node(0.0, x0.copy())
    check()
    t_end = tq[-1]
    k = 0
    while k < tq.size:
        remaining = t_end - sim.t
        if abs(sim.dt) > h_cap:
            sim.dt = sign * h_cap
        if abs(sim.dt) > abs(remaining):
            sim.dt = remaining
        sim.steps(1)
        check()
        cur, h_cap = node(sim.t, _particles_view(sim)[:, :6].copy())
        check()
        last = abs(t_end - cur[0]) <= 1e-12 * max(1.0, abs(t_end))
        stop = k
        while stop < tq.size and (last or (tq[stop] - cur[0]) * sign <= 0.0):
            stop += 1
        if stop > k:
            out[:, k:stop, :] = _hermite(*prev, *cur, tq[k:stop])
            k = stop
        prev = cur
    return out


def _run_nbody(x0, jd0, tq, sign, *, source, bodies, gms, gr, nongrav, model, epsilon):
    """Integrate a batch with the planets as massive REBOUND particles (one direction)."""
    n = x0.shape[0]
    out = np.empty((n, tq.size, 6))
    sim = _new_sim(epsilon)
    P, V = _FastBodies(bodies, source, jd0, jd0).posvel(jd0, 0.0)
    for j in range(len(bodies)):
        sim.add(m=gms[j], x=P[j, 0], y=P[j, 1], z=P[j, 2], vx=V[j, 0], vy=V[j, 1], vz=V[j, 2])
    sim.N_active = len(bodies)
    sim.testparticle_type = 0
    first = len(bodies)
    _add_particles(sim, x0)
    extra = None
    if gr or nongrav is not None:
        extra = _NbodyExtras(first, gr, nongrav, model, gms[0])
        sim.additional_forces = extra
        sim.force_is_velocity_dependent = 1
    sim.dt = sign * min(1.0, abs(tq[-1]))
    for k, tk in enumerate(tq):
        sim.integrate(tk, exact_finish_time=1)
        if extra is not None and extra.error is not None:
            raise extra.error
        out[:, k, :] = _particles_view(sim)[first:, :6]
    return out


def integrate(
    state0,
    epoch0,
    t,
    *,
    planets=None,
    gr=False,
    nongrav=None,
    nongrav_model="water",
    method="ephemeris",
    dense=True,
    epsilon=1e-9,
    batch_size=4096,
):
    """Integrate massless small bodies under the gravity of the Sun, planets and Moon.

    Parameters
    ----------
    state0 : array-like, shape (N, 6) or (6,)
        Barycentric ICRS states [AU, AU/d] at ``epoch0``.
    epoch0 : float, array-like of shape (N,), or `~astropy.time.Time`
        TDB Julian date of each state. Objects sharing an epoch are integrated
        together; each distinct epoch is a separate simulation.
    t : float, array-like of shape (T,), or `~astropy.time.Time`
        TDB Julian dates wanted, in any order; the integration runs forward and
        backward from each epoch.
    planets : str or path-like, optional
        Ephemeris of the perturbers: ``"excerpt"`` (the DE440 excerpt shipped
        with the package), ``"de440"``, an SPK kernel path or ``"builtin"``
        (ERFA series) (see
        `astro_sso.ephemeris.planets.body_posvel`); default the best installed.
    gr : bool, optional
        Add the Sun's general-relativistic (1PN) acceleration.
    nongrav : array-like of shape (N, 3) or (3,), optional
        Marsden A1, A2, A3 [AU/d^2] (radial, transverse, normal) per object.
    nongrav_model : {"water", "r2"}, optional
        g(r) of the non-gravitational acceleration (see :func:`nongrav_g`).
    method : {"ephemeris", "nbody"}, optional
        ``"ephemeris"``: the perturbers follow the ephemeris exactly (default);
        ``"nbody"``: they are integrated from their ephemeris states at the
        epoch (see the module docstring for the measured differences).
    dense : bool, optional
        ``"ephemeris"`` method only: interpolate output times inside IAS15's
        natural steps (default) instead of ending a step at each of them.
    epsilon : float, optional
        IAS15 accuracy parameter (the default 1e-9 gives machine-precision
        integrations).
    batch_size : int, optional
        Most objects per simulation. Objects are sorted by perihelion distance
        before batching, so close-in objects (small steps) do not slow down the
        others.

    Returns
    -------
    ndarray, shape (N, T, 6)
        Barycentric ICRS states [AU, AU/d] at ``t`` (in the order given). The
        state at ``t == epoch0`` is ``state0`` itself.

    Raises
    ------
    InputError
        Shapes disagree, a state, epoch, time or A is not finite (the message
        names the row), or an option is unknown.
    EphemerisRangeError
        A time or epoch lies outside the ephemeris.

    Examples
    --------
    A main-belt-like orbit integrated 30 days back and forth (the state at the
    epoch comes back unchanged):

    >>> import numpy as np
    >>> from astro_sso.ephemeris.nbody import integrate
    >>> from astro_sso.ephemeris.planets import body_posvel
    >>> jd0 = 2460000.5
    >>> sun_p, sun_v = body_posvel("sun", jd0)
    >>> k = 0.01720209895
    >>> x0 = np.r_[sun_p + [2.5, 0.0, 0.0], sun_v + [0.0, k / np.sqrt(2.5), 0.0]]
    >>> out = integrate(x0, jd0, [jd0 - 30.0, jd0, jd0 + 30.0])
    >>> out.shape
    (1, 3, 6)
    >>> bool(np.all(out[0, 1] == x0))
    True
    """
    if method not in ("ephemeris", "nbody"):
        raise InputError(f"method={method!r} is unknown: use 'ephemeris' or 'nbody'")
    if nongrav_model not in ("water", "r2"):
        raise InputError(f"nongrav_model={nongrav_model!r} is unknown: use 'water' or 'r2'")
    x0 = np.asarray(state0, dtype=float)
    if x0.ndim == 1:
        x0 = x0[None, :]
    if x0.ndim != 2 or x0.shape[1] != 6:
        raise InputError(f"state0 must have shape (N, 6) (x, y, z, vx, vy, vz), got {x0.shape}")
    n = x0.shape[0]
    _check_finite(x0, "state0", "the state")
    e1, e2 = _as_jd(epoch0, "epoch0")
    if e1.size == 1:
        e1, e2 = np.repeat(e1, n), np.repeat(e2, n)
    if e1.ndim != 1 or e1.size != n:
        raise InputError(
            f"epoch0 has {e1.size} values for {n} states: give one epoch or one per state"
        )
    _check_finite((e1 + e2)[:, None], "epoch0", "the epoch")
    t1, t2 = _as_jd(t, "t")
    if t1.ndim != 1:
        raise InputError(f"t must be one-dimensional, got shape {t1.shape}")
    bad = ~np.isfinite(t1 + t2)
    if bad.any():
        raise InputError(f"t element {int(np.flatnonzero(bad)[0])} is not a finite Julian date")
    if nongrav is not None:
        nongrav = np.asarray(nongrav, dtype=float)
        if nongrav.ndim == 1 and nongrav.shape == (3,):
            nongrav = np.broadcast_to(nongrav, (n, 3))
        if nongrav.shape != (n, 3):
            raise InputError(
                f"nongrav must have shape (N, 3) = ({n}, 3) (A1, A2, A3), got {nongrav.shape}"
            )
        _check_finite(nongrav, "nongrav", "A1, A2, A3")
        if not np.any(nongrav):
            nongrav = None

    planets = resolve_source(planets)
    names = _EPHEMERIS_BODIES if method == "ephemeris" else _NBODY_BODIES
    have = available_bodies(planets)
    bodies = tuple(b for b in names if b in have)
    gms = np.array([GM[b] for b in bodies])

    jd_all = np.concatenate([e1 + e2, t1 + t2])
    for body in bodies:
        lo, hi = ephemeris_range(planets, body)
        if jd_all.min() < lo or jd_all.max() > hi:
            raise EphemerisRangeError(
                f"ephemeris {planets!r} covers JD {lo:.1f} to {hi:.1f} TDB; the epochs and times "
                f"span JD {jd_all.min():.1f} to {jd_all.max():.1f}: restrict them or "
                f"{_range_hint(planets)}"
            )

    out = np.empty((n, t1.size, 6))
    keys = np.stack([e1, e2], axis=1)
    uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    for g, (g1, g2) in enumerate(uniq):
        rows = np.flatnonzero(inverse == g)
        jd0 = g1 + g2
        tr = (t1 - g1) + (t2 - g2)
        zero = np.flatnonzero(tr == 0.0)
        out[np.ix_(rows, zero)] = x0[rows][:, None, :]
        # Near-Earth-like orbits (q < 1.3 AU) need many more steps than the others:
        # integrate them apart, then batch each group in order of perihelion distance.
        sun_p, sun_v = _FastBodies(("sun",), planets, jd0, jd0).posvel(jd0, 0.0)
        q = conic_constants(x0[rows, :3] - sun_p[0], x0[rows, 3:] - sun_v[0], GM["sun"])[4]
        order = np.argsort(q, kind="stable")
        rows, q = rows[order], q[order]
        cut = int(np.searchsorted(q, _NEO_Q))
        batches = [
            group[start : start + batch_size]
            for group in (rows[:cut], rows[cut:])
            for start in range(0, group.size, batch_size)
        ]
        for sign in (1.0, -1.0):
            sel = np.flatnonzero(tr * sign > 0.0)
            if sel.size == 0:
                continue
            sel = sel[np.argsort(tr[sel] * sign, kind="stable")]
            uniq_t, back = np.unique(tr[sel], return_inverse=True)
            if sign < 0:
                uniq_t = uniq_t[::-1]
                back = uniq_t.size - 1 - back
            window = (jd0 + min(0.0, uniq_t.min()), jd0 + max(0.0, uniq_t.max()))
            for part in batches:
                ng = None if nongrav is None else nongrav[part]
                common = {
                    "source": planets,
                    "bodies": bodies,
                    "gms": gms,
                    "gr": gr,
                    "nongrav": ng,
                    "model": nongrav_model,
                    "epsilon": epsilon,
                }
                if method == "ephemeris":
                    res = _run_ephemeris(
                        x0[part], jd0, uniq_t, sign, window=window, dense=dense, **common
                    )
                else:
                    res = _run_nbody(x0[part], jd0, uniq_t, sign, **common)
                out[np.ix_(part, sel)] = res[:, back.ravel(), :]
    return out
