"""Benchmark of the vectorized two-body propagation and of ephemeris().

Prints one JSON object. Each figure comes with a reference implementation
timed in the same run:

* ``propagate_positions``: :func:`astro_sso.ephemeris.propagate_twobody`,
  positions only, 100,000 main-belt-like orbits x 100 epochs (orbit-epochs/s),
  on 1 thread and on all threads; reference: a plain per-orbit Python loop
  (Newton on Kepler's equation vectorized over the epochs of one orbit),
  timed on a subset and given as orbit-epochs/s;
* ``propagate_posvel``: the same with velocities;
* ``ephemeris_table``: the full :func:`astro_sso.ephemeris.ephemeris`
  (twobody, observer I41, light time, rates, magnitudes, QTable) in rows/s;
  reference: one ``ephemeris()`` call per orbit;
* ``astrometric_pairwise``: the array core for (orbit, time) pairs, as the
  catalogue search uses it; reference: one call per pair.

Run: ``python benchmarks/bench_twobody.py [--orbits 100000 --epochs 100]``.
"""

import argparse
import json
import os
import platform
import time

import numpy as np

from astro_sso.ephemeris.constants import GM_SUN
from astro_sso.ephemeris.elements import elements_to_state


def _orbits(n, rng):
    a = rng.uniform(1.8, 3.5, n)
    e = rng.uniform(0.0, 0.35, n)
    i = rng.uniform(0.0, 30.0, n)
    node = rng.uniform(0.0, 360.0, n)
    w = rng.uniform(0.0, 360.0, n)
    M = rng.uniform(0.0, 360.0, n)
    return a, e, i, node, w, M


def _naive_loop(a, e, i, node, w, M, epoch, t):
    """Reference: per-orbit loop, Kepler's equation by Newton over the epochs of one orbit."""
    out = np.empty((a.size, t.size, 3))
    for k in range(a.size):
        n = np.sqrt(GM_SUN / a[k] ** 3)
        Mk = np.deg2rad(M[k]) + n * (t - epoch)
        E = Mk.copy()
        for _ in range(50):
            dE = (E - e[k] * np.sin(E) - Mk) / (1.0 - e[k] * np.cos(E))
            E -= dE
            if np.max(np.abs(dE)) < 1e-14:
                break
        x = a[k] * (np.cos(E) - e[k])
        y = a[k] * np.sqrt(1.0 - e[k] ** 2) * np.sin(E)
        ci, si = np.cos(np.deg2rad(i[k])), np.sin(np.deg2rad(i[k]))
        cO, sO = np.cos(np.deg2rad(node[k])), np.sin(np.deg2rad(node[k]))
        cw, sw = np.cos(np.deg2rad(w[k])), np.sin(np.deg2rad(w[k]))
        P = np.array([cO * cw - sO * sw * ci, sO * cw + cO * sw * ci, sw * si])
        Q = np.array([-cO * sw - sO * cw * ci, -sO * sw + cO * cw * ci, cw * si])
        out[k] = x[:, None] * P + y[:, None] * Q
    return out


def _best(func, repeat=3):
    best = np.inf
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orbits", type=int, default=100_000)
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--reference-orbits", type=int, default=2000)
    parser.add_argument("--table-orbits", type=int, default=10_000)
    args = parser.parse_args()

    import astropy.units as u
    from astropy.table import QTable
    from astropy.time import Time

    from astro_sso.ephemeris import astrometric, ephemeris, prepare_orbits, propagate_twobody
    from astro_sso.ephemeris.kepler import _threads
    from astro_sso.ephemeris.planets import body_posvel

    rng = np.random.default_rng(42)
    N, T = args.orbits, args.epochs
    el = _orbits(N, rng)
    state = elements_to_state(*el, frame="ecliptic")
    epoch = np.full(N, 2460000.5)
    t = 2460000.5 + np.linspace(-365.0, 365.0, T)
    threads = _threads(None)
    result = {
        "machine": {
            "cpus": os.cpu_count(),
            "threads_used": threads,
            "python": platform.python_version(),
        },
        "orbits": N,
        "epochs": T,
    }

    # --- propagation, positions only
    t1, _ = _best(lambda: propagate_twobody(state, epoch, t, with_velocity=False, n_threads=1))
    tn, (pos, _) = _best(lambda: propagate_twobody(state, epoch, t, with_velocity=False))
    nref = args.reference_orbits
    tref, ref = _best(lambda: _naive_loop(*(x[:nref] for x in el), 2460000.5, t), repeat=1)
    err = float(np.max(np.abs(pos[:nref] - ref)))
    result["propagate_positions"] = {
        "orbit_epochs_per_s_1_thread": N * T / t1,
        "orbit_epochs_per_s_all_threads": N * T / tn,
        "seconds_all_threads": tn,
        "reference_per_orbit_loop_orbit_epochs_per_s": nref * T / tref,
        "speedup_vs_reference": (N * T / tn) / (nref * T / tref),
        "max_abs_difference_vs_reference_au": err,
    }
    # --- with velocities
    tv, _ = _best(lambda: propagate_twobody(state, epoch, t))
    result["propagate_posvel"] = {
        "orbit_epochs_per_s_all_threads": N * T / tv,
        "reference_per_orbit_loop_positions_only_orbit_epochs_per_s": nref * T / tref,
    }

    # --- full ephemeris() to a QTable
    nt = args.table_orbits
    table = QTable(
        {
            "designation": [f"b{k}" for k in range(nt)],
            "a": el[0][:nt] * u.au,
            "e": el[1][:nt],
            "i": el[2][:nt] * u.deg,
            "node": el[3][:nt] * u.deg,
            "argperi": el[4][:nt] * u.deg,
            "M": el[5][:nt] * u.deg,
            "epoch": Time(np.full(nt, 2460000.5), format="jd", scale="tdb"),
            "H": rng.uniform(12, 20, nt) * u.mag,
        }
    )
    times = Time(t, format="jd", scale="tdb").utc
    te, eph = _best(lambda: ephemeris(table, times, observer="I41", method="twobody"), repeat=2)
    nr = 50
    tre, _ = _best(
        lambda: [
            ephemeris(table[k : k + 1], times, observer="I41", method="twobody") for k in range(nr)
        ],
        repeat=1,
    )
    result["ephemeris_table"] = {
        "orbits": nt,
        "epochs": T,
        "rows_per_s": len(eph) / te,
        "seconds": te,
        "reference_one_call_per_orbit_rows_per_s": nr * T / tre,
        "speedup_vs_reference": (len(eph) / te) / (nr * T / tre),
    }

    # --- array core, pairwise (catalogue use): 1e6 pairs
    K = 1_000_000
    prep = prepare_orbits(table)
    idx = rng.integers(0, nt, K)
    sub = prep.subset(idx)
    tk = rng.choice(t, K)
    ep, ev = body_posvel("earth", np.unique(tk))
    ui = np.searchsorted(np.unique(tk), tk)
    obs_p, obs_v = ep[ui], ev[ui]
    tp, _ = _best(lambda: astrometric(sub, tk, obs_p, obs_v, pairwise=True), repeat=2)
    nk = 200
    trp, _ = _best(
        lambda: [
            astrometric(sub.subset([k]), tk[k : k + 1], obs_p[k], obs_v[k], pairwise=True)
            for k in range(nk)
        ],
        repeat=1,
    )
    result["astrometric_pairwise"] = {
        "pairs": K,
        "pairs_per_s": K / tp,
        "seconds": tp,
        "reference_one_call_per_pair_pairs_per_s": nk / trp,
        "speedup_vs_reference": (K / tp) / (nk / trp),
    }
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
