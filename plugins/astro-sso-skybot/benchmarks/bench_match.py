"""Benchmark of the ``skybot-horizons`` matcher's local backend.

Prints one JSON object with, each beside a naive reference timed in the same run:

* ``points``: detections per second identified by ``matcher.match`` for
  1,000,000 simulated detections against a synthetic catalogue of 100,000
  orbits (half of them detections of catalogue objects with 0.3" noise, in
  2,000 exposures from Palomar over 5 days; half decoys 4-10" off catalogue
  objects), with the fraction identified right and the fraction of decoys
  matched; the naive way is one cone search per detection
  (`astro_sso.catalog.KnownObjects.cone_search` with the 2" tolerance), timed
  on a sample and extrapolated;
* ``trails``: trails per second (30-minute exposures, ends only), against the
  naive way of predicting the whole catalogue over each exposure at the same
  1-minute steps (no cone search), timed on a few trails and extrapolated.

Usage::

    python plugins/astro-sso-skybot/benchmarks/bench_match.py            # full size
    python plugins/astro-sso-skybot/benchmarks/bench_match.py --quick    # ten times smaller
    python plugins/astro-sso-skybot/benchmarks/bench_match.py --detections 200000 --catalogue 20000
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np


def _simulate_points(orb, n_det, n_expo, seed):
    """Detections: half of catalogue objects (0.3" noise), half decoys 4-10" off."""
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from astropy.table import QTable
    from astropy.time import Time

    from astro_sso.ephemeris import astrometric, observers_barycentric, prepare_orbits

    rng = np.random.default_rng(seed)
    prep = prepare_orbits(orb)
    n_real = n_det // 2
    expo_t = Time(2460320.6 + np.sort(rng.uniform(0, 5, n_expo)), format="jd", scale="utc")
    p_e, v_e = observers_barycentric(["I41"] * n_expo, expo_t)
    expo = np.sort(rng.integers(0, n_expo, n_det))
    objs = rng.integers(0, len(prep), n_det)
    t = expo_t[expo]
    pos = astrometric(
        prep.subset(objs),
        t.tdb.jd1 + t.tdb.jd2,
        p_e[expo],
        v_e[expo],
        pairwise=True,
    )
    sig = 0.3 / 3600.0
    ra, dec = pos["ra"].copy(), pos["dec"].copy()
    dec[:n_real] += rng.normal(0, sig, n_real)
    ra[:n_real] += rng.normal(0, sig, n_real) / np.cos(np.radians(dec[:n_real]))
    n_dec = n_det - n_real
    moved = SkyCoord(ra[n_real:] * u.deg, dec[n_real:] * u.deg).directional_offset_by(
        rng.uniform(0, 360, n_dec) * u.deg, rng.uniform(4.0, 10.0, n_dec) * u.arcsec
    )
    ra[n_real:], dec[n_real:] = moved.ra.deg, moved.dec.deg
    det = QTable(
        {
            "det_id": np.arange(n_det),
            "ra": np.mod(ra, 360.0) * u.deg,
            "dec": dec * u.deg,
            "obstime": t,
            "observer": np.full(n_det, "I41"),
        }
    )
    truth = np.asarray(prep.designation)[objs]
    truth[n_real:] = ""
    return det, truth


def bench_points(n_cat, n_det, n_expo, n_naive, seed):
    import astropy.units as u
    from astro_sso_skybot import SkybotHorizonsMatcher
    from astropy.coordinates import SkyCoord

    from astro_sso.catalog import KnownObjects
    from astro_sso.simulate import synthetic_orbits

    orb = synthetic_orbits(n_cat, seed=seed)
    t0 = time.perf_counter()
    det, truth = _simulate_points(orb, n_det, n_expo, seed)
    t_sim = time.perf_counter() - t0
    t0 = time.perf_counter()
    known = KnownObjects(orb, max_nodes=16)
    t_prep = time.perf_counter() - t0
    matcher = SkybotHorizonsMatcher(backend="local", catalog=known)
    t0 = time.perf_counter()
    out = matcher.match(det)
    t_match = time.perf_counter() - t0
    got = np.asarray(out["designation"], dtype=str)
    real = truth != ""
    # naive: one cone search per detection, radius = the tolerance
    rng = np.random.default_rng(seed + 1)
    sample = rng.choice(n_det, n_naive, replace=False)
    t0 = time.perf_counter()
    for k in sample:
        known.cone_search(
            SkyCoord(det["ra"][k], det["dec"][k]), 2 * u.arcsec, det["obstime"][k], observer="I41"
        )
    t_naive = (time.perf_counter() - t0) * n_det / n_naive
    return {
        "catalogue": n_cat,
        "detections": n_det,
        "detections_of_catalogue_objects": int(real.sum()),
        "decoys": int((~real).sum()),
        "exposures": n_expo,
        "tolerance_arcsec": 2.0,
        "simulate_s": round(t_sim, 1),
        "index_prepare_s": round(t_prep, 2),
        "match_s": round(t_match, 2),
        "detections_per_s": round(n_det / t_match),
        "fraction_identified_right": round(float(np.mean(got[real] == truth[real])), 6),
        "fraction_decoys_matched": round(float(np.mean(got[~real] != "")), 6),
        "index_nodes_built": len(known.node_times),
        "naive_cone_search_per_detection_s_extrapolated": round(t_naive, 1),
        "naive_detections_per_s": round(n_det / t_naive),
        "speedup_vs_naive": round(t_naive / t_match, 1),
        "naive_note": f"{n_naive} cone searches timed, extrapolated to {n_det}",
    }


def bench_trails(n_cat, n_trails, n_naive, seed):
    import astropy.units as u
    from astro_sso_skybot import SkybotHorizonsMatcher
    from astro_sso_skybot.simulate import simulate_trails
    from astro_sso_skybot.trails import time_grid
    from astropy.time import Time

    from astro_sso.catalog import KnownObjects
    from astro_sso.ephemeris import astrometric, observers_barycentric
    from astro_sso.simulate import synthetic_orbits

    orb = synthetic_orbits(n_cat, seed=seed)
    rng = np.random.default_rng(seed)
    rows = rng.choice(n_cat, n_trails, replace=False)
    starts = Time(2460320.6 + rng.uniform(0, 5, n_trails), format="jd", scale="utc")
    trails, _ = simulate_trails(orb[rows], starts, 30 * u.min, observer="I41", seed=seed)
    known = KnownObjects(orb, max_nodes=16)
    matcher = SkybotHorizonsMatcher(backend="local", catalog=known)
    t0 = time.perf_counter()
    out = matcher.match(trails)
    t_match = time.perf_counter() - t0
    right = np.mean(np.asarray(out["designation"], str) == trails["true_designation"])
    # naive: the whole catalogue predicted over each exposure at 1-minute steps
    t0 = time.perf_counter()
    for k in range(n_naive):
        grid = time_grid(0.0, 30 / 1440, 1 / 1440, 0.03 * 30 / 1440)
        times = trails["obstime_start"][k] + grid * u.day
        p, v = observers_barycentric(["I41"] * len(times), times)
        astrometric(known.prepared, times.tdb.jd1 + times.tdb.jd2, p, v)
    t_naive = (time.perf_counter() - t0) * n_trails / n_naive
    return {
        "catalogue": n_cat,
        "trails": n_trails,
        "exposure_min": 30,
        "step_min": 1,
        "match_s": round(t_match, 2),
        "trails_per_s": round(n_trails / t_match, 1),
        "fraction_identified_right": round(float(right), 4),
        "median_candidates_per_trail": float(np.median(out["n_candidates"])),
        "naive_whole_catalogue_per_trail_s_extrapolated": round(t_naive, 1),
        "naive_trails_per_s": round(n_trails / t_naive, 2),
        "speedup_vs_naive": round(t_naive / t_match, 1),
        "naive_note": f"{n_naive} trails timed, extrapolated to {n_trails}",
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="ten times smaller")
    parser.add_argument("--detections", type=int, default=1_000_000)
    parser.add_argument("--catalogue", type=int, default=100_000)
    parser.add_argument("--trails", type=int, default=200)
    parser.add_argument("--naive", type=int, default=200, help="naive queries timed")
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    scale = 0.1 if args.quick else 1.0
    n_det = max(1000, int(args.detections * scale))
    n_cat = max(1000, int(args.catalogue * scale))
    import astro_sso_skybot

    import astro_sso

    result = {
        "benchmark": "astro_sso_skybot local matching",
        "quick": bool(args.quick),
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "astro_sso_version": astro_sso.__version__,
        "astro_sso_skybot_version": astro_sso_skybot.__version__,
    }
    result["points"] = bench_points(
        n_cat, n_det, n_expo=max(20, int(2000 * scale)), n_naive=args.naive, seed=args.seed
    )
    result["trails"] = bench_trails(
        n_cat, max(10, int(args.trails * scale)), n_naive=2, seed=args.seed + 1
    )
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
