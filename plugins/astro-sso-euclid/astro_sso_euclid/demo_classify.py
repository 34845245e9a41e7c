"""The ``euclid-classify`` step of ``astro-sso demo``: the shipped networks on the demo field.

Simulates a field like those the networks were trained on: cosmic rays at the
density left after a cosmic-ray rejection, not at the raw rate of the
``euclid-field`` step (hundreds per dither, which the networks never saw: run a
cosmic-ray rejection first on such data), three SSOs of IE 20-23 and 5-40 "/h, stars and
galaxies. It cuts its sources out over dithers 1-3 (every SSO, star and galaxy,
and a sample of the cosmic rays of those dithers), classifies them with the
shipped 4-class and 2-class 3-dither networks, measures the speed bin of every
source the 2-class network calls an SSO with the shipped single-dither velocity
network (on fixed-side cutouts, see `~astro_sso_euclid.cutouts.fixed_side`),
and writes:

* ``euclid_classified.ecsv``: one row per cutout with the true label, the
  predicted 4-class label and its probability, the SSO probability of the
  2-class network, and for the SSOs found their predicted speed bin
  (``speed_bin``, ``speed_predicted``) beside the true ``speed``;
* ``euclid_mosaic.png``: a mosaic of cutouts (dithers 1, 2, 3 as red, green,
  blue) with their true and predicted labels and SSO probability.
"""

from __future__ import annotations

import numpy as np
from astropy import units as u

from astro_sso.base import DemoContext, DemoResult
from astro_sso.io import atomic_path, write_table

__all__ = ["run_classify_step", "plot_mosaic"]

_COLOURS = {"sso": "#ff5555", "cosmic_ray": "#ffd166", "galaxy": "#7bd389", "star": "#7ec8ff"}


def plot_mosaic(cutouts, path, *, ncols: int = 6):
    """Draw cutouts with ``label``, ``predicted`` and ``p_sso`` as a PNG mosaic.

    Parameters
    ----------
    cutouts : `~astropy.table.QTable`
        ``cutout`` (N, H, W, C), ``label``, ``predicted`` and ``p_sso``.
    path : path
        PNG file (written atomically).
    ncols : int
        Tiles per row.

    Returns
    -------
    pathlib.Path
    """
    from matplotlib.figure import Figure

    n = len(cutouts)
    nrows = max(1, int(np.ceil(n / ncols)))
    fig = Figure(figsize=(2.1 * ncols, 2.35 * nrows))
    axes = fig.subplots(nrows, ncols, squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, row in zip(axes.ravel(), cutouts, strict=False):
        img = np.asarray(row["cutout"], dtype=float)
        rgb = np.arcsinh(np.clip(img, -3, None) / 2.0)
        rgb = np.clip(rgb / max(np.percentile(rgb, 99.5), 1e-6), 0, 1)
        if rgb.shape[-1] == 1:
            rgb = np.repeat(rgb, 3, axis=-1)
        ax.imshow(rgb[..., :3], origin="lower", interpolation="nearest")
        ok = row["label"] == row["predicted"]
        title = f"true {row['label']}\npred {row['predicted']}  p_sso={row['p_sso']:.2f}"
        if "speed_bin" in row.colnames and str(row["speed_bin"]):
            true_v = u.Quantity(row["speed"], u.arcsec / u.h).value
            title += f'\nv {row["speed_bin"]} "/h (true {true_v:.1f})'
        ax.set_title(
            title,
            fontsize=7.5,
            color="black" if ok else "#c00000",
        )
        for side in ax.spines.values():
            side.set_visible(True)
            side.set_color(_COLOURS.get(str(row["predicted"]), "white"))
            side.set_linewidth(3)
    fig.suptitle(
        "Euclid VIS demo field: dithers 1-3 as RGB; frame = predicted class "
        "(red SSO, yellow cosmic ray, green galaxy, blue star); red title = error",
        fontsize=9,
    )
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    return path


def _pick(truth, rng, n_cr):
    """Rows to cut: every SSO, star and galaxy, and ``n_cr`` cosmic rays of dithers 1-3."""
    label = np.asarray(truth["label"]).astype(str)
    dither = np.asarray(truth["dither"], dtype=int)
    keep = np.nonzero(label != "cosmic_ray")[0]
    crs = np.nonzero((label == "cosmic_ray") & (dither <= 2))[0]
    crs = rng.choice(crs, size=min(n_cr, len(crs)), replace=False) if len(crs) else crs
    return np.sort(np.concatenate([keep, crs]))


def run_classify_step(ctx: DemoContext) -> DemoResult:
    """Classify the demo field's sources with the shipped networks; write the mosaic."""
    from .classifier import EuclidCNNClassifier
    from .cutouts import truth_cutouts
    from .dataset import PER_FIELD, targets
    from .simulate import simulate_field

    # The networks were trained on fields holding cosmic rays at the density left
    # after a cosmic-ray rejection (PER_FIELD per 1024^2 px dither), not at the raw
    # rate of the euclid-field step (hundreds per dither): classify a field of the
    # same kind, with a few bright SSOs so that the mosaic shows their trails.
    size = 512
    scale = (size / 1024.0) ** 2
    images, truth = simulate_field(
        shape=(size, size),
        n_sso=3,
        n_stars=max(2, round(PER_FIELD["star"] * scale * 3)),
        n_galaxies=max(2, round(PER_FIELD["galaxy"] * scale * 3)),
        n_cosmic_rays=max(2, round(PER_FIELD["cosmic_ray"] * scale * 3)),
        sso_mag_range=(20.0, 23.0),
        sso_speed_range=(5.0, 40.0),  # trails that stay in the 51" field
        seed=ctx.seed + 1,
    )
    rng = np.random.default_rng(ctx.seed)
    rows = _pick(truth, rng, n_cr=6 if ctx.quick else 10)
    four = EuclidCNNClassifier(task="4class", channels=3)
    two = EuclidCNNClassifier(task="2class", channels=3)
    ctx.progress(f"    cutting {len(rows)} sources over dithers 1-3 and classifying them")
    cut = truth_cutouts(images, truth[rows], channels=3, size=four.input_size, seed=ctx.seed)
    res4 = four.classify(cut)
    res2 = two.classify(cut)
    cut["predicted"] = res4["label"]
    cut["score"] = res4["score"]
    cut["p_sso"] = res2["p_sso"]
    cut["p_sso_4class"] = res4["probabilities"][:, list(four.classes).index("sso")]
    # Speed of the sources called SSOs: the velocity network takes fixed-side cutouts.
    vel = EuclidCNNClassifier(task="velocity", channels=1)
    found_rows = np.nonzero(np.asarray(cut["p_sso"]) >= 0.5)[0]
    cut["speed_bin"] = np.full(len(cut), "", dtype="U8")
    cut["speed_predicted"] = np.full(len(cut), np.nan) * u.arcsec / u.h
    if len(found_rows):
        ids = np.asarray(cut["source_id"])[found_rows]
        sel = np.isin(np.asarray(truth["source_id"]), ids)
        vcut = truth_cutouts(
            images,
            truth[sel],
            channels=1,
            size=vel.input_size,
            side=vel.cutout_side(),
            seed=ctx.seed,
        )
        resv = vel.classify(vcut)
        where = {int(i): k for k, i in enumerate(np.asarray(resv["source_id"]))}
        for r in found_rows:
            k = where.get(int(cut["source_id"][r]))
            if k is not None:  # a source centred off dither 1 has no single-dither cutout
                cut["speed_bin"][r] = resv["label"][k]
                cut["speed_predicted"][r] = resv["speed"][k]
    ctx.out.mkdir(parents=True, exist_ok=True)
    table = cut.copy()
    table.remove_column("cutout")
    tab = write_table(table, ctx.out / "euclid_classified.ecsv")
    label = np.asarray(cut["label"]).astype(str)
    order = np.argsort(
        [{"sso": 0, "star": 1, "cosmic_ray": 2, "galaxy": 3}[x] for x in label], kind="stable"
    )
    show = cut[order[:24]]
    fig = plot_mosaic(show, ctx.out / "euclid_mosaic.png")
    correct = label == np.asarray(cut["predicted"]).astype(str)
    sso = label == "sso"
    found = int((np.asarray(cut["p_sso"])[sso] >= 0.5).sum())
    false_sso = int((np.asarray(cut["p_sso"])[~sso] >= 0.5).sum())
    measured = sso & (np.char.str_len(np.asarray(cut["speed_bin"]).astype(str)) > 0)
    true_v = u.Quantity(cut["speed"], u.arcsec / u.h).value
    true_bin = targets("velocity", label, cut["speed"])
    pred_bin = np.array([vel.classes.index(b) for b in cut["speed_bin"][measured]], int)
    speed_ok = int(np.sum(pred_bin == true_bin[measured]))
    speed_near = int(np.sum(np.abs(pred_bin - true_bin[measured]) <= 1))
    pairs = ", ".join(
        f"{v:.1f} -> {b}"
        for v, b in zip(true_v[measured], np.asarray(cut["speed_bin"])[measured], strict=True)
    )
    side = vel.cutout_side()
    speeds = (
        f' Speeds of the SSOs found (true "/h -> predicted bin, velocity network on '
        f"{'extent plus padding' if side is None else f'{side:.0f} px'} single-dither "
        f"cutouts{', 8 rotations/reflections averaged' if vel.tta else ''}): {pairs};"
        f" {speed_ok} in the true bin, {speed_near} within one bin."
        if measured.any()
        else ""
    )
    summary = (
        f"Classified {len(cut)} cutouts of the demo field (dithers 1-3) with the shipped "
        f"networks: 4-class accuracy {correct.mean():.1%}; the 2-class network finds "
        f"{found} of {int(sso.sum())} SSOs (p_sso >= 0.5) with {false_sso} false SSOs "
        f"among {int((~sso).sum())} other sources." + speeds
    )
    return DemoResult(
        summary=summary,
        figures=[fig],
        tables=[tab],
        metrics={
            "n_cutouts": len(cut),
            "accuracy_4class": float(correct.mean()),
            "sso_found": found,
            "n_sso": int(sso.sum()),
            "false_sso": false_sso,
            "speed_bin_correct": speed_ok,
            "speed_within_one_bin": speed_near,
            "speed_measured": int(measured.sum()),
        },
    )
