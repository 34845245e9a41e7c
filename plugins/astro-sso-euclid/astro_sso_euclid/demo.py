"""The ``euclid-field`` step of ``astro-sso demo``: a simulated Euclid VIS field.

Simulates four dithered VIS exposures (256 x 256 px with ``quick``, else
512 x 512) with the default star, galaxy and cosmic-ray populations and three
SSOs (magnitudes 20-22.5 so that the trails are visible in the figure; the
simulator's default is 20-26), and writes:

* ``euclid_dithers.png``: the four dithers zoomed around the brightest SSO, with
  the true trail ends of each dither (red circles), stars (cyan), galaxies (green) and the
  cosmic rays of that dither (yellow);
* ``euclid_truth.ecsv``: the truth table.

The field is left in ``ctx.shared['euclid_field']`` as ``(images, truth)``.
"""

from __future__ import annotations

import numpy as np

from astro_sso.base import DemoContext, DemoResult
from astro_sso.io import atomic_path, write_table

__all__ = ["run_field_step", "plot_dithers"]


def _zoom_box(row, shape, pad=25, min_size=80):
    ny, nx = shape
    ok = np.asarray(row["in_field"])
    xs = np.r_[row["x_start"].value[ok], row["x_end"].value[ok]]
    ys = np.r_[row["y_start"].value[ok], row["y_end"].value[ok]]
    x0, x1 = xs.min() - pad, xs.max() + pad
    y0, y1 = ys.min() - pad, ys.max() + pad
    if x1 - x0 < min_size:
        c = 0.5 * (x0 + x1)
        x0, x1 = c - min_size / 2, c + min_size / 2
    if y1 - y0 < min_size:
        c = 0.5 * (y0 + y1)
        y0, y1 = c - min_size / 2, c + min_size / 2
    return (max(0, int(x0)), min(nx, int(np.ceil(x1))), max(0, int(y0)), min(ny, int(np.ceil(y1))))


def plot_dithers(images, truth, path, sso_index=None):
    """Write a PNG of the four dithers zoomed around an SSO, with truth markers.

    Parameters
    ----------
    images : list of `~astropy.nddata.CCDData`
        The four dithers of `astro_sso_euclid.simulate.simulate_field`.
    truth : `~astropy.table.QTable`
        Its truth table.
    path : str or pathlib.Path
        The PNG file (written atomically).
    sso_index : int, optional
        Row of the SSO to centre on; default the SSO in the first dither with the
        highest S/N (the whole image when there is none).

    Returns
    -------
    pathlib.Path
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shape = images[0].data.shape
    lab = np.asarray(truth["label"])
    if sso_index is None:
        sso = np.flatnonzero((lab == "sso") & np.asarray(truth["in_field"])[:, 0])
        if sso.size:
            sso_index = int(sso[np.argmax(np.asarray(truth["snr"])[sso])])
    if sso_index is not None:
        x0, x1, y0, y1 = _zoom_box(truth[sso_index], shape)
    else:
        x0, x1, y0, y1 = 0, shape[1], 0, shape[0]
    aspect = (y1 - y0) / max(x1 - x0, 1)
    fig, axes = plt.subplots(1, 4, figsize=(16, 1.2 + 3.6 * min(max(aspect, 0.4), 1.5)))
    for k, (ax, ccd) in enumerate(zip(axes, images, strict=True)):
        data = np.asarray(ccd.data, dtype=float)[y0:y1, x0:x1]
        sky = np.median(data)
        noise = 1.4826 * np.median(np.abs(data - sky))
        ax.imshow(
            np.arcsinh((data - sky) / max(noise, 1e-9)),
            origin="lower",
            cmap="gray",
            vmin=-3,
            vmax=12,
            extent=(x0 - 0.5, x1 - 0.5, y0 - 0.5, y1 - 0.5),
        )
        xd = truth["x_dither"].value[:, k]
        yd = truth["y_dither"].value[:, k]
        inbox = (xd > x0) & (xd < x1) & (yd > y0) & (yd < y1)
        for label, colour, marker in (("star", "cyan", "o"), ("galaxy", "lime", "s")):
            sel = inbox & (lab == label)
            ax.scatter(xd[sel], yd[sel], s=150, facecolors="none", edgecolors=colour,
                       marker=marker, linewidths=0.8, label=label)  # fmt: skip
        sel = inbox & (lab == "cosmic_ray")
        ax.scatter(xd[sel], yd[sel], s=12, c="yellow", marker="x", linewidths=0.6,
                   alpha=0.7, label="cosmic ray")  # fmt: skip
        for i in np.flatnonzero(lab == "sso"):
            xs = [truth["x_start"].value[i, k], truth["x_end"].value[i, k]]
            ys = [truth["y_start"].value[i, k], truth["y_end"].value[i, k]]
            ax.plot(xs, ys, "o", mfc="none", mec="red", ms=9, mew=0.9)
        ax.set_xlim(x0 - 0.5, x1 - 0.5)
        ax.set_ylim(y0 - 0.5, y1 - 0.5)
        ax.set_title(f"dither {k + 1}  ({ccd.header['DATE-OBS'][11:19]} UTC)")
        ax.set_xlabel("x [px]")
    axes[0].set_ylabel("y [px]")
    axes[0].legend(loc="upper left", fontsize=7, framealpha=0.5)
    if sso_index is not None:
        row = truth[sso_index]
        fig.suptitle(
            f"Simulated Euclid VIS dithers: SSO {int(row['source_id'])}, "
            f'IE = {row["mag"].value:.1f}, {row["speed"].value:.1f}"/h, '
            f"S/N = {row['snr']:.0f} per exposure (red circles: true trail ends)"
        )
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=90)
    plt.close(fig)
    return path


def run_field_step(ctx: DemoContext) -> DemoResult:
    """Simulate a small Euclid field and write its figure and truth table."""
    from .depth import predicted_depth
    from .simulate import simulate_field

    size = 256 if ctx.quick else 512
    ctx.progress(f"    simulating 4 dithers of {size}x{size} px (seed {ctx.seed})")
    images, truth = simulate_field(
        shape=(size, size), n_sso=3, sso_mag_range=(20.0, 22.5), seed=ctx.seed
    )
    ctx.out.mkdir(parents=True, exist_ok=True)
    fig = plot_dithers(images, truth, ctx.out / "euclid_dithers.png")
    tab = write_table(truth, ctx.out / "euclid_truth.ecsv")
    ctx.shared["euclid_field"] = (images, truth)
    lab = np.asarray(truth["label"])
    counts = {name: int((lab == name).sum()) for name in ("sso", "star", "galaxy", "cosmic_ray")}
    depth = predicted_depth()

    def n_of(k, one, many):
        return f"{k} {one if k == 1 else many}"

    summary = (
        f'Simulated four 565 s VIS dithers of {size}x{size} px (0.1"/px) with '
        f"{n_of(counts['sso'], 'SSO trail', 'SSO trails')}, "
        f"{n_of(counts['star'], 'star', 'stars')}, "
        f"{n_of(counts['galaxy'], 'galaxy', 'galaxies')} and "
        f"{n_of(counts['cosmic_ray'], 'cosmic ray', 'cosmic rays')}; "
        "the noise model gives a four-exposure "
        f'stack depth of IE = {depth:.2f} (10 sigma, 1.3" apertures), the Q1 figure.'
    )
    return DemoResult(
        summary=summary,
        figures=[fig],
        tables=[tab],
        metrics={**{f"n_{k}": v for k, v in counts.items()}, "stack_depth_10sigma": depth},
    )
