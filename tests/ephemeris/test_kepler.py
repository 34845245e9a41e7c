"""Two-body propagation: anomaly solvers, universal-variable steps, many-orbit propagation."""

import numpy as np
import pytest

from astro_sso.ephemeris.constants import GM_SUN
from astro_sso.ephemeris.elements import cometary_to_state, elements_to_state
from astro_sso.ephemeris.kepler import (
    kepler_step,
    propagate_twobody,
    solve_barker,
    solve_kepler_elliptic,
    solve_kepler_hyperbolic,
    stumpff,
)

rebound = pytest.importorskip("rebound")


def test_elliptic_solver_all_eccentricities():
    rng = np.random.default_rng(1)
    M = rng.uniform(-20.0, 20.0, 200_000)
    e = np.concatenate([rng.uniform(0.0, 1.0 - 1e-9, 199_990), np.full(10, 0.999999999)])
    E = solve_kepler_elliptic(M, e)
    resid = (E - e * np.sin(E) - M + np.pi) % (2 * np.pi) - np.pi
    assert np.max(np.abs(resid)) < 2e-15 * 8
    assert np.all(np.abs(E) <= np.pi)


def test_hyperbolic_solver():
    rng = np.random.default_rng(2)
    n = 100_000
    e = np.concatenate([rng.uniform(1.0 + 1e-9, 1.001, n // 2), rng.uniform(1.001, 30.0, n // 2)])
    M = rng.uniform(-1.0, 1.0, n) * 10 ** rng.uniform(-8, 4, n)
    F = solve_kepler_hyperbolic(M, e)
    resid = e * np.sinh(F) - F - M
    assert np.max(np.abs(resid) / (1.0 + np.abs(M))) < 1e-14


def test_barker_solver():
    X = np.concatenate([-np.logspace(-8, 6, 50), np.logspace(-8, 6, 50), [0.0]])
    D = solve_barker(X)
    np.testing.assert_allclose(D + D**3 / 3.0, X, rtol=1e-14, atol=1e-22)


def test_stumpff_continuous_and_correct():
    z = np.array([-1.0 - 1e-12, -1.0 + 1e-12, 1.0 - 1e-12, 1.0 + 1e-12])
    C, S = stumpff(z)
    np.testing.assert_allclose(C[0], C[1], rtol=1e-11)
    np.testing.assert_allclose(S[2], S[3], rtol=1e-11)
    zz = np.array([-30.0, -0.5, 0.3, 20.0])
    C, S = stumpff(zz)
    x = np.sqrt(np.abs(zz))
    Cref = np.where(zz > 0, (1 - np.cos(x)) / zz, (np.cosh(x) - 1) / -zz)
    Sref = np.where(zz > 0, (x - np.sin(x)) / x**3, (np.sinh(x) - x) / x**3)
    np.testing.assert_allclose(C, Cref, rtol=1e-13)
    np.testing.assert_allclose(S, Sref, rtol=1e-12)


def _rebound_twobody(states, dts):
    """Sun-only REBOUND (IAS15) integration of each state by its time step."""
    out = np.empty_like(states)
    for k, (st, dt) in enumerate(zip(states, dts, strict=True)):
        sim = rebound.Simulation()
        sim.G = GM_SUN
        sim.integrator = "ias15"
        sim.add(m=1.0)
        sim.add(m=0.0, x=st[0], y=st[1], z=st[2], vx=st[3], vy=st[4], vz=st[5])
        sim.integrate(dt, exact_finish_time=1)
        p = sim.particles[1]
        out[k] = (p.x, p.y, p.z, p.vx, p.vy, p.vz)
    return out


def _orbits(kind, n, rng):
    i, node, w = rng.uniform(0, 180, n), rng.uniform(0, 360, n), rng.uniform(0, 360, n)
    if kind == "elliptic":
        e = np.concatenate([rng.uniform(0.0, 0.9, n - n // 4), rng.uniform(0.9, 0.995, n // 4)])
        return elements_to_state(rng.uniform(0.3, 40.0, n), e, i, node, w, rng.uniform(0, 360, n))
    if kind == "hyperbolic":
        e = rng.uniform(1.01, 5.0, n)
        return elements_to_state(-rng.uniform(0.3, 40.0, n), e, i, node, w, rng.uniform(-5, 5, n))
    # near-parabolic both sides, and exactly parabolic
    e = np.concatenate([1.0 + rng.uniform(-1e-3, 1e-3, n - 3), [1.0, 1.0, 1.0]])
    return cometary_to_state(
        rng.uniform(0.1, 3.0, n), e, i, node, w, rng.uniform(-300, 300, n), 0.0
    )


@pytest.mark.parametrize("kind", ["elliptic", "hyperbolic", "parabolic"])
def test_propagation_matches_rebound(kind):
    rng = np.random.default_rng({"elliptic": 1, "hyperbolic": 2, "parabolic": 3}[kind])
    n = 24
    states = _orbits(kind, n, rng)
    dts = rng.uniform(-2000.0, 2000.0, n)
    ref = _rebound_twobody(states, dts)
    pos, vel = propagate_twobody(states, np.zeros(n), dts, pairwise=True)
    assert np.max(np.linalg.norm(pos - ref[:, :3], axis=1)) < 1e-9
    assert np.max(np.linalg.norm(vel - ref[:, 3:], axis=1)) < 1e-11
    # grid mode: every orbit at the same times
    t = np.array([-500.0, 0.0, 1000.0])
    gp, gv = propagate_twobody(states, np.zeros(n), t)
    ref2 = _rebound_twobody(states, np.full(n, 1000.0))
    assert gp.shape == (n, 3, 3)
    assert np.max(np.linalg.norm(gp[:, 2] - ref2[:, :3], axis=1)) < 1e-9
    np.testing.assert_allclose(gp[:, 1], states[:, :3], rtol=1e-13)
    np.testing.assert_allclose(gv[:, 1], states[:, 3:], rtol=1e-13)


def test_fast_path_equals_universal_path():
    """The eccentric-anomaly fast path (e < 0.9) agrees with the universal-variable step."""
    rng = np.random.default_rng(4)
    n = 2000
    states = _orbits("elliptic", n, rng)
    epoch = rng.uniform(2450000.0, 2460000.0, n)
    t = epoch + rng.uniform(-1e5, 1e5, n)
    pos, vel = propagate_twobody(states, epoch, t, pairwise=True)
    p2, v2 = kepler_step(states[:, :3], states[:, 3:], t - epoch)
    r = np.linalg.norm(p2, axis=1)
    assert np.max(np.linalg.norm(pos - p2, axis=1) / r) < 1e-11
    assert np.max(np.linalg.norm(vel - v2, axis=1) / np.linalg.norm(v2, axis=1)) < 1e-11


def test_conservation_over_many_periods():
    rng = np.random.default_rng(6)
    states = np.concatenate([_orbits("elliptic", 50, rng), _orbits("hyperbolic", 50, rng)])
    t = np.linspace(-3.6e5, 3.6e5, 7)  # +- 1000 years
    pos, vel = propagate_twobody(states, np.zeros(len(states)), t)

    def energy(p, v):
        return 0.5 * np.sum(v * v, axis=-1) - GM_SUN / np.linalg.norm(p, axis=-1)

    e0 = energy(states[:, None, :3], states[:, None, 3:])
    np.testing.assert_allclose(energy(pos, vel), np.broadcast_to(e0, pos.shape[:2]), rtol=1e-11)
    h0 = np.cross(states[:, :3], states[:, 3:])[:, None, :]
    h = np.cross(pos, vel)
    assert np.max(np.linalg.norm(h - h0, axis=-1) / np.linalg.norm(h0, axis=-1)) < 5e-11


def test_threads_velocity_flag_and_shapes():
    rng = np.random.default_rng(7)
    states = np.concatenate([_orbits("elliptic", 300, rng), _orbits("hyperbolic", 30, rng)])
    t = np.linspace(-100.0, 100.0, 200)
    p1, v1 = propagate_twobody(states, 0.0, t, n_threads=1)
    p2, v2 = propagate_twobody(states, 0.0, t, n_threads=2)
    p3, v3 = propagate_twobody(states, 0.0, t, with_velocity=False)
    np.testing.assert_array_equal(p1, p2)
    np.testing.assert_array_equal(v1, v2)
    np.testing.assert_array_equal(p1, p3)
    assert v3 is None
    p, v = propagate_twobody(states[0], 0.0, 5.0)
    assert p.shape == (1, 1, 3)
    with pytest.raises(ValueError, match=r"shape \(N, 6\)"):
        propagate_twobody(np.zeros((3, 5)), 0.0, [1.0])


def test_kepler_step_backward_and_broadcast():
    rng = np.random.default_rng(9)
    states = _orbits("elliptic", 10, rng)
    p, v = kepler_step(states[:, :3], states[:, 3:], 123.4)
    pb, vb = kepler_step(p, v, -123.4)
    np.testing.assert_allclose(pb, states[:, :3], atol=1e-12)
    np.testing.assert_allclose(vb, states[:, 3:], atol=1e-14)
    p0, v0 = kepler_step(states[0, :3], states[0, 3:], np.array([0.0, 1.0]))
    assert p0.shape == (2, 3)
    np.testing.assert_array_equal(p0[0], states[0, :3])


def test_circular_orbit_quarter_period():
    k = np.sqrt(GM_SUN)
    state = np.array([[1.0, 0.0, 0.0, 0.0, k, 0.0]])
    quarter = 0.5 * np.pi / k
    pos, vel = propagate_twobody(state, [0.0], [quarter])
    np.testing.assert_allclose(pos[0, 0], [0.0, 1.0, 0.0], atol=1e-14)
    np.testing.assert_allclose(vel[0, 0], [-k, 0.0, 0.0], atol=1e-16)
