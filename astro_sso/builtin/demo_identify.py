"""The core's demo step: identify a simulated night of survey detections offline.

A synthetic catalogue of a few thousand asteroids (placed around opposition),
one night of a ZTF-like survey from Palomar (I41) with unrelated sources
mixed in, and the first stage of Kepler's Sieve: `astro_sso.catalog.associate`
finds, for each detection, the nearest known object within 2".
"""

from __future__ import annotations

import numpy as np
from astropy import units as u

from ..base import DemoContext, DemoResult
from ..io import atomic_path, write_table

__all__ = ["run_identify_step"]


def run_identify_step(ctx: DemoContext) -> DemoResult:
    """Run the identification demo step (see the module docstring)."""
    from ..catalog import KnownObjects, associate
    from ..simulate import demo_survey, opposition_catalogue

    n_obj = 600 if ctx.quick else 3000
    ctx.progress(f"    synthetic catalogue: {n_obj} asteroids around opposition")
    orbits = opposition_catalogue(n_obj, seed=ctx.seed)
    ctx.progress("    simulating one night of detections from ZTF (I41)")
    _, det = demo_survey(orbits, seed=ctx.seed, quick=ctx.quick)
    known = KnownObjects(orbits)
    ctx.progress(f"    associating {len(det)} detections with {len(orbits)} known orbits")
    matches = associate(det, known, tolerance=2 * u.arcsec)
    out = det.copy()
    for name in ("designation", "separation", "ra_pred", "dec_pred", "V", "n_candidates"):
        if name in matches.colnames:
            out[name] = matches[name]
    truth = np.asarray(out["true_designation"], dtype=str)
    found = np.asarray(out["designation"], dtype=str)
    is_obj = truth != ""
    right = is_obj & (found == truth)
    false = ~is_obj & (found != "")
    frac = float(right.sum() / max(1, is_obj.sum()))
    metrics = {
        "n_catalogue": int(len(orbits)),
        "n_detections": int(len(det)),
        "n_detections_of_catalogue_objects": int(is_obj.sum()),
        "fraction_identified": round(frac, 4),
        "n_unrelated": int((~is_obj).sum()),
        "n_unrelated_matched": int(false.sum()),
        "median_separation_arcsec": round(
            float(np.nanmedian(np.asarray(out["separation"].to_value(u.arcsec))[right])), 3
        )
        if right.any()
        else None,
    }
    ctx.shared["catalog"] = orbits
    ctx.shared["survey_detections"] = out
    table_path = write_table(out, ctx.out / "identified_detections.ecsv")
    orbits_path = write_table(orbits, ctx.out / "synthetic_catalogue.ecsv")
    fig_path = _plot(ctx, orbits, out, right, false)
    summary = (
        f"{right.sum()} of {is_obj.sum()} detections of catalogue objects identified "
        f"({100 * frac:.2f}%); {false.sum()} of {(~is_obj).sum()} unrelated sources matched."
    )
    return DemoResult(
        summary, figures=[fig_path], tables=[table_path, orbits_path], metrics=metrics
    )


def _plot(ctx, orbits, det, right, false):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..ephemeris import ephemeris

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 6))
    ra = det["ra"].to_value(u.deg)
    dec = det["dec"].to_value(u.deg)
    unmatched_obj = (det["true_designation"] != "") & ~right
    ax1.scatter(
        ra[~right & ~unmatched_obj],
        dec[~right & ~unmatched_obj],
        s=4,
        c="0.6",
        label="unrelated sources",
    )
    ax1.scatter(ra[right], dec[right], s=6, c="tab:blue", label="identified")
    if unmatched_obj.any():
        ax1.scatter(
            ra[unmatched_obj],
            dec[unmatched_obj],
            s=20,
            c="tab:red",
            marker="x",
            label="catalogue object, not identified",
        )
    if false.any():
        ax1.scatter(
            ra[false],
            dec[false],
            s=30,
            facecolors="none",
            edgecolors="tab:orange",
            label="unrelated, matched (false)",
        )
    ax1.invert_xaxis()
    ax1.set_xlabel("RA [deg]")
    ax1.set_ylabel("Dec [deg]")
    ax1.set_title("One simulated ZTF night near opposition")
    ax1.legend(loc="lower left", fontsize=8)

    # zoom on the identified object with the most detections: predicted track over the night
    names, counts = np.unique(np.asarray(det["designation"][right], dtype=str), return_counts=True)
    if len(names):
        name = names[np.argmax(counts)]
        sel = np.asarray(det["designation"], dtype=str) == name
        t0, t1 = det["obstime"][sel].min(), det["obstime"][sel].max()
        span = max((t1 - t0).to_value(u.h), 0.5)
        times = t0 - 0.25 * span * u.h + np.linspace(0, 1.5 * span, 60) * u.h
        row = orbits[np.asarray(orbits["designation"], dtype=str) == name]
        eph = ephemeris(row, times, observer="I41", method="twobody")
        ra0, dec0 = eph["ra"][0].to_value(u.deg), eph["dec"][0].to_value(u.deg)
        cosd = np.cos(np.radians(dec0))
        dx = (eph["ra"].to_value(u.deg) - ra0) * cosd * 3600
        dy = (eph["dec"].to_value(u.deg) - dec0) * 3600
        ax2.plot(dx, dy, "-", c="tab:blue", label=f"predicted track of {name}")
        ddx = (det["ra"][sel].to_value(u.deg) - ra0) * cosd * 3600
        ddy = (det["dec"][sel].to_value(u.deg) - dec0) * 3600
        ax2.scatter(ddx, ddy, c="k", s=25, zorder=3, label='detections (0.3" noise)')
        ax2.invert_xaxis()
        ax2.set_aspect("equal", adjustable="datalim")
        ax2.set_xlabel('offset in RA cos(Dec) ["]')
        ax2.set_ylabel('offset in Dec ["]')
        ax2.set_title(f"{name}: {sel.sum()} detections over {span:.1f} h")
        ax2.legend(fontsize=8)
    fig.tight_layout()
    path = ctx.out / "sky_identifications.png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
    return path
