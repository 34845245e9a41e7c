"""The ``skybot-match`` step of ``astro-sso demo``: identify trails and detections offline.

It reuses the synthetic catalogue of the core's ``identify`` step when that step
ran (``ctx.shared['catalog']``), else draws one; then, with the local backend
of the ``skybot-horizons`` matcher:

* point detections of catalogue objects (0.3" noise; the core step's survey
  night when available) and decoys a few arcseconds off them are identified;
* trails of catalogue objects are simulated with the ephemeris engine (30-min
  exposures, half of them with their ends swapped) from Palomar (I41) and from a
  synthetic HST-like spacecraft in low Earth orbit (registered with
  `astro_sso.ephemeris.register_spacecraft`; its trails curve and carry trail
  points), with decoy trails displaced by 6", and identified. The HST-like
  trails are also matched as if seen from the geocentre, to show why the paper
  needed HST's own position.

Products: ``point_matches.ecsv``, ``trail_matches.ecsv``, ``trail_points.ecsv``
and ``trail_tracks.png`` (predicted tracks against measured trails).
"""

from __future__ import annotations

import numpy as np
from astropy import units as u

from astro_sso.base import DemoContext, DemoResult
from astro_sso.io import atomic_path, write_table
from astro_sso.simulate import DEMO_NIGHT

__all__ = ["run_match_step", "SPACECRAFT_CODE"]

#: Code under which the demo registers its synthetic HST-like spacecraft.
SPACECRAFT_CODE = "SIMHST"
_NIGHT = DEMO_NIGHT


def _catalogue(ctx):
    from astro_sso.simulate import opposition_catalogue

    orbits = ctx.shared.get("catalog")
    if orbits is not None:
        return orbits, "reused from the 'identify' step"
    n = 600 if ctx.quick else 3000
    return opposition_catalogue(n, seed=ctx.seed), f"{n} synthetic orbits drawn here"


def _detections(ctx, orbits):
    """Point detections with their truth, and decoys 4-10" off catalogue objects."""
    from astropy.table import QTable, vstack

    from astro_sso.simulate import demo_survey

    shared = ctx.shared.get("survey_detections")
    if shared is not None:
        det = QTable(shared[["det_id", "ra", "dec", "obstime", "observer", "true_designation"]])
    else:
        _, det = demo_survey(orbits, seed=ctx.seed, quick=ctx.quick, n_unrelated=0)
        det = QTable(det[["det_id", "ra", "dec", "obstime", "observer", "true_designation"]])
    det = det[np.asarray(det["true_designation"], dtype=str) != ""]
    rng = np.random.default_rng(ctx.seed + 301)
    n_decoy = min(len(det), 100 if ctx.quick else 1000)
    src = det[rng.choice(len(det), n_decoy, replace=False)]
    off = rng.uniform(4.0, 10.0, n_decoy) * u.arcsec
    pa = rng.uniform(0.0, 360.0, n_decoy) * u.deg
    from astropy.coordinates import SkyCoord

    moved = SkyCoord(src["ra"], src["dec"]).directional_offset_by(pa, off)
    decoys = QTable(src)
    decoys["ra"] = moved.ra.to(u.deg)
    decoys["dec"] = moved.dec.to(u.deg)
    decoys["true_designation"] = np.full(n_decoy, "")
    out = vstack([det, decoys], metadata_conflicts="silent")
    out["det_id"] = np.arange(len(out), dtype=np.int64)
    return out


def _pick_objects(orbits, n, seed):
    """Catalogue rows seen at night from Palomar, away from the Sun, brighter than V = 23."""
    from astro_sso.ephemeris import ephemeris

    eph = ephemeris(orbits, _NIGHT, observer="I41", method="twobody")
    ok = np.flatnonzero((eph["elong"].to_value(u.deg) > 90) & (eph["V"].to_value(u.mag) < 23))
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(ok, min(n, ok.size), replace=False))


def _decoys(trails, shift_arcsec, seed):
    """Copies of trails displaced perpendicular to themselves."""
    from astropy.coordinates import SkyCoord

    rng = np.random.default_rng(seed)
    s = SkyCoord(trails["ra_start"], trails["dec_start"])
    e = SkyCoord(trails["ra_end"], trails["dec_end"])
    side = np.where(rng.uniform(0, 1, len(trails)) < 0.5, 90.0, -90.0) * u.deg
    pa = s.position_angle(e) + side
    s2 = s.directional_offset_by(pa, shift_arcsec * u.arcsec)
    e2 = e.directional_offset_by(pa, shift_arcsec * u.arcsec)
    out = trails.copy()
    out["ra_start"], out["dec_start"] = s2.ra.to(u.deg), s2.dec.to(u.deg)
    out["ra_end"], out["dec_end"] = e2.ra.to(u.deg), e2.dec.to(u.deg)
    out["true_designation"] = np.full(len(out), "")
    return out


def run_match_step(ctx: DemoContext) -> DemoResult:
    """Run the demo step (see the module documentation)."""
    from astropy.table import vstack

    from astro_sso.ephemeris import register_spacecraft, unregister_spacecraft

    from .matcher import SkybotHorizonsMatcher
    from .simulate import hst_like_orbit, simulate_trails

    orbits, origin = _catalogue(ctx)
    ctx.progress(f"    catalogue: {len(orbits)} orbits ({origin})")
    matcher = SkybotHorizonsMatcher(backend="local", catalog=orbits)

    # -- point detections
    det = _detections(ctx, orbits)
    ctx.progress(f"    identifying {len(det)} point detections (decoys included)")
    pm = matcher.match(det)
    truth = np.asarray(det["true_designation"], dtype=str)
    found = np.asarray(pm["designation"], dtype=str)
    real = truth != ""
    point_metrics = {
        "n_point_detections": int(real.sum()),
        "fraction_points_identified": round(float(np.mean(found[real] == truth[real])), 4),
        "n_point_decoys": int((~real).sum()),
        "n_point_decoys_matched": int(np.count_nonzero(found[~real] != "")),
    }
    points_out = det.copy()
    for name in pm.colnames[1:]:
        points_out[name] = pm[name]

    # -- trails from the ground and from an HST-like spacecraft
    n_tr = 6 if ctx.quick else 40
    idx = _pick_objects(orbits, 2 * n_tr, ctx.seed + 7)
    ground_idx, space_idx = idx[: idx.size // 2], idx[idx.size // 2 :]
    rng = np.random.default_rng(ctx.seed + 11)
    exposure = 30 * u.min
    starts_g = _NIGHT + rng.uniform(0.0, 4.0, ground_idx.size) * u.h
    starts_s = _NIGHT + rng.uniform(0.0, 4.0, space_idx.size) * u.h
    register_spacecraft(
        SPACECRAFT_CODE,
        hst_like_orbit(_NIGHT - 1 * u.h, _NIGHT + 6 * u.h),
        name="synthetic HST-like orbit (demo)",
    )
    try:
        g_trails, _ = simulate_trails(
            orbits[ground_idx], starts_g, exposure, observer="I41", seed=ctx.seed + 1
        )
        s_trails, s_points = simulate_trails(
            orbits[space_idx],
            starts_s,
            exposure,
            observer=SPACECRAFT_CODE,
            n_points=12,
            seed=ctx.seed + 2,
        )
        s_trails["trail_id"] += len(g_trails)
        s_points["trail_id"] += len(g_trails)
        trails = vstack([g_trails, s_trails], metadata_conflicts="silent")
        decoys = _decoys(trails[: max(2, len(trails) // 3)], 6.0, ctx.seed + 3)
        decoys["trail_id"] = np.arange(len(trails), len(trails) + len(decoys))
        all_trails = vstack([trails, decoys], metadata_conflicts="silent")
        ctx.progress(f"    identifying {len(all_trails)} trails ({len(decoys)} decoys)")
        tm = matcher.match(all_trails, trail_points=s_points)
        geo = s_trails.copy()
        geo["observer"] = np.full(len(geo), "500")
        gm = matcher.match(geo)
        fig_path = _plot(ctx, orbits, all_trails, s_points, tm)
    finally:
        unregister_spacecraft(SPACECRAFT_CODE)

    truth_t = np.asarray(all_trails["true_designation"], dtype=str)
    got_t = np.asarray(tm["designation"], dtype=str)
    is_real = truth_t != ""
    is_space = np.asarray(all_trails["observer"], dtype=str) == SPACECRAFT_CODE
    rev = np.asarray(all_trails["reversed"], dtype=bool)
    right = is_real & (got_t == truth_t)
    trail_metrics = {
        "n_trails": int(is_real.sum()),
        "fraction_trails_identified": round(float(right[is_real].mean()), 4),
        "fraction_reversed_trails_identified": round(float(right[is_real & rev].mean()), 4)
        if (is_real & rev).any()
        else None,
        "fraction_hst_like_trails_identified": round(float(right[is_real & is_space].mean()), 4),
        "fraction_hst_like_identified_as_if_geocentric": round(
            float(
                np.mean(np.asarray(gm["designation"], str) == np.asarray(geo["true_designation"]))
            ),
            4,
        ),
        "n_trail_decoys": int((~is_real).sum()),
        "n_trail_decoys_matched": int(np.count_nonzero(got_t[~is_real] != "")),
        "median_d_oc_arcsec": round(float(np.nanmedian(tm["d_oc"].value[right])), 3)
        if right.any()
        else None,
    }
    trails_out = all_trails.copy()
    for name in tm.colnames[1:]:
        trails_out[name] = tm[name]
    tables = [
        write_table(points_out, ctx.out / "point_matches.ecsv"),
        write_table(trails_out, ctx.out / "trail_matches.ecsv"),
        write_table(s_points, ctx.out / "trail_points.ecsv"),
    ]
    metrics = {
        "n_catalogue": len(orbits),
        "catalogue_from_identify_step": origin.startswith("reused"),
        **point_metrics,
        **trail_metrics,
    }
    tm_, pm_ = trail_metrics, point_metrics
    summary = (
        f"{right.sum()} of {is_real.sum()} simulated trails identified "
        f"({tm_['fraction_hst_like_trails_identified']:.0%} of the HST-like ones; "
        f"{tm_['fraction_hst_like_identified_as_if_geocentric']:.0%} when HST's position is "
        f"ignored), {tm_['n_trail_decoys_matched']} of {tm_['n_trail_decoys']} displaced decoys "
        f"matched; {pm_['fraction_points_identified']:.2%} of {pm_['n_point_detections']} point "
        f"detections identified, {pm_['n_point_decoys_matched']} of {pm_['n_point_decoys']} "
        "decoys matched."
    )
    return DemoResult(summary, figures=[fig_path], tables=tables, metrics=metrics)


def _track(orbits, designation, trail, observer, n=61):
    """Predicted RA/Dec [deg] of one object over a trail's exposure."""
    from astro_sso.ephemeris import ephemeris

    row = orbits[np.asarray(orbits["designation"], dtype=str) == designation]
    t0, t1 = trail["obstime_start"], trail["obstime_end"]
    times = t0 + np.linspace(0.0, 1.0, n) * (t1 - t0)
    eph = ephemeris(row, times, observer=observer, method="twobody")
    return eph["ra"].to_value(u.deg), eph["dec"].to_value(u.deg)


def _plot(ctx, orbits, trails, points, matches):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    got = np.asarray(matches["designation"], dtype=str)
    obs = np.asarray(trails["observer"], dtype=str)
    fig, axes = plt.subplots(1, 2, figsize=(13, 6))
    for ax, code in zip(axes, ("I41", SPACECRAFT_CODE), strict=True):
        cand = np.flatnonzero((obs == code) & (got != ""))
        if cand.size == 0:
            ax.set_title(f"no identified trail from {code}")
            continue
        k = int(cand[np.argmax(trails["length"].value[cand])])
        tr = trails[k]
        ra, dec = _track(orbits, got[k], tr, code)
        ra0, dec0 = ra[ra.size // 2], dec[dec.size // 2]
        cosd = np.cos(np.radians(dec0))

        def off(r, d, ra0=ra0, dec0=dec0, cosd=cosd):
            return ((np.asarray(r) - ra0 + 180) % 360 - 180) * cosd * 3600, (
                np.asarray(d) - dec0
            ) * 3600

        x, y = off(ra, dec)
        ax.plot(x, y, "-", c="tab:blue", lw=2, label=f"predicted track of {got[k]} ({code})")
        if code == SPACECRAFT_CODE:
            gra, gdec = _track(orbits, got[k], tr, "500")
            gx, gy = off(gra, gdec)
            ax.plot(gx, gy, "--", c="tab:gray", label="same object seen from the geocentre")
            sel = np.asarray(points["trail_id"]) == tr["trail_id"]
            px, py = off(points["ra"][sel].to_value(u.deg), points["dec"][sel].to_value(u.deg))
            ax.scatter(px, py, s=18, c="k", zorder=3, label="measured trail points")
        sx, sy = off(tr["ra_start"].to_value(u.deg), tr["dec_start"].to_value(u.deg))
        ex, ey = off(tr["ra_end"].to_value(u.deg), tr["dec_end"].to_value(u.deg))
        ax.plot([sx, ex], [sy, ey], "o", ms=9, mfc="none", mec="tab:red", mew=2,
                label="measured trail ends")  # fmt: skip
        direction = int(matches["direction"][k])
        ax.set_title(
            f'{got[k]} from {code}: d_O-C = {matches["d_oc"][k].value:.2f}", '
            f"direction {'+1' if direction > 0 else '-1 (ends swapped)'}"
        )
        ax.invert_xaxis()
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel('offset in RA cos(Dec) ["]')
        ax.set_ylabel('offset in Dec ["]')
        ax.legend(fontsize=8, loc="best")
    fig.suptitle("Predicted tracks (1-min ephemerides) against measured 30-min trails")
    fig.tight_layout()
    path = ctx.out / "trail_tracks.png"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
    return path
