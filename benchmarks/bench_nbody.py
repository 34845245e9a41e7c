"""Benchmark of astro_sso.ephemeris.nbody.integrate: ms per object-year.

Integrates ``--n`` main-belt-like test particles (random elements, fixed seed)
together over ``--years`` years with IAS15, full accuracy (epsilon 1e-9, GR on),
and times beside them the reference "one object per simulation" (as the Kepler's
Sieve thesis did it with REBOUND) on a sample of the same objects in the same
run (both with the planets following the ephemeris, the default, and with the
planets integrated as massive REBOUND particles, ``method="nbody"``, closest to
the thesis's set-up). Also times the ``"nbody"`` method on the batch.
Prints ONE JSON object.

    python benchmarks/bench_nbody.py --n 1000 --years 1 --planets de440
"""

import argparse
import json
import platform
import time

import numpy as np

from astro_sso.ephemeris.frames import ecliptic_to_icrs
from astro_sso.ephemeris.nbody import integrate
from astro_sso.ephemeris.planets import AU_KM, GM, body_posvel

# ASSIST (Holman et al. 2023) measured elsewhere: one object per run, ephemeris-quality forces.
ASSIST_MS_PER_OBJECT_YEAR = 2.8


def main_belt_states(n, jd0, planets, seed=1):
    """Barycentric ICRS states of n random main-belt-like orbits at jd0."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(2.1, 3.3, n)
    e = rng.uniform(0.0, 0.25, n)
    inc = rng.uniform(0.0, 0.4, n)
    node, peri, mean = rng.uniform(0.0, 2 * np.pi, (3, n))
    mu = GM["sun"]
    E = mean.copy()
    for _ in range(30):
        E = E - (E - e * np.sin(E) - mean) / (1 - e * np.cos(E))
    b = a * np.sqrt(1 - e * e)
    xp, yp = a * (np.cos(E) - e), b * np.sin(E)
    speed = np.sqrt(mu * a) / (a * (1 - e * np.cos(E)))  # sqrt(mu a) / r
    vxp, vyp = -np.sin(E) * speed, np.sqrt(1 - e * e) * np.cos(E) * speed

    def rot(x, y):
        cO, sO, cw, sw, ci, si = (
            np.cos(node),
            np.sin(node),
            np.cos(peri),
            np.sin(peri),
            np.cos(inc),
            np.sin(inc),
        )
        X = (cO * cw - sO * sw * ci) * x + (-cO * sw - sO * cw * ci) * y
        Y = (sO * cw + cO * sw * ci) * x + (-sO * sw + cO * cw * ci) * y
        Z = (sw * si) * x + (cw * si) * y
        return np.stack([X, Y, Z], axis=1)

    helio = ecliptic_to_icrs(np.concatenate([rot(xp, yp), rot(vxp, vyp)], axis=1))
    sun_p, sun_v = body_posvel("sun", jd0, planets)
    return helio + np.r_[sun_p, sun_v]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="objects integrated together")
    parser.add_argument("--years", type=float, default=1.0, help="integration length")
    parser.add_argument("--planets", default="de440", help="builtin, de440 or an SPK path")
    parser.add_argument("--sample", type=int, default=20, help="objects timed one per simulation")
    parser.add_argument("--outputs", type=int, default=12, help="output times over the span")
    args = parser.parse_args()

    jd0 = 2460000.5
    states = main_belt_states(args.n, jd0, args.planets)
    t = jd0 + np.linspace(0.0, 365.25 * args.years, args.outputs + 1)[1:]
    obj_years = args.n * args.years

    integrate(states[:2], jd0, t[:1], planets=args.planets, gr=True)  # warm-up (kernel, imports)

    t0 = time.perf_counter()
    batched = integrate(states, jd0, t, planets=args.planets, gr=True)
    batched_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    nbody = integrate(states, jd0, t, planets=args.planets, gr=True, method="nbody")
    nbody_s = time.perf_counter() - t0

    k = min(args.sample, args.n)
    single = np.empty((k, t.size, 6))
    t0 = time.perf_counter()
    for i in range(k):
        single[i] = integrate(states[i], jd0, t, planets=args.planets, gr=True)[0]
    single_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    for i in range(k):
        integrate(states[i], jd0, t, planets=args.planets, gr=True, method="nbody")
    single_nbody_s = time.perf_counter() - t0

    batched_ms = 1e3 * batched_s / obj_years
    single_ms = 1e3 * single_s / (k * args.years)
    diff_single = np.abs(single[..., :3] - batched[:k, :, :3]).max() * AU_KM
    diff_nbody = np.abs(nbody[..., :3] - batched[..., :3]).max() * AU_KM
    print(
        json.dumps(
            {
                "benchmark": "nbody.integrate, main-belt-like orbits, IAS15 epsilon=1e-9, GR",
                "n_objects": args.n,
                "years": args.years,
                "output_times": int(t.size),
                "planets": str(args.planets),
                "batched_ephemeris_method_s": round(batched_s, 3),
                "batched_ephemeris_method_ms_per_object_year": round(batched_ms, 4),
                "batched_nbody_method_ms_per_object_year": round(1e3 * nbody_s / obj_years, 4),
                "reference_one_object_per_simulation_ms_per_object_year": round(single_ms, 4),
                "reference_one_object_per_simulation_nbody_method_ms_per_object_year": round(
                    1e3 * single_nbody_s / (k * args.years), 4
                ),
                "reference_sample_size": k,
                "speedup_batched_vs_one_per_simulation": round(single_ms / batched_ms, 1),
                "assist_ms_per_object_year_one_object_per_run_measured_elsewhere": (
                    ASSIST_MS_PER_OBJECT_YEAR
                ),
                "goal_ms_per_object_year": 1.0,
                "goal_met": bool(batched_ms < 1.0),
                "max_km_batched_vs_one_per_simulation": float(f"{diff_single:.3g}"),
                "max_km_ephemeris_vs_nbody_method": float(f"{diff_nbody:.3g}"),
                "machine": f"{platform.machine()}, {platform.python_implementation()} "
                f"{platform.python_version()}",
            }
        )
    )


if __name__ == "__main__":
    main()
