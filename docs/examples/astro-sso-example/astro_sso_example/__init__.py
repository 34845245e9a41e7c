"""astro-sso-example: a small, complete third-party plugin for astro-sso.

It brings three things through the hooks of `astro_sso.hookspecs`:

- the ``peaks`` detector (`PeakDetector`), through ``astro_sso_detectors``;
- the command ``astro-sso simulate peaks``, which writes a synthetic FITS image
  to try the detector on, through ``astro_sso_commands``;
- the ``example-peaks`` step of ``astro-sso demo``, through
  ``astro_sso_demo_steps``.

Plugin discovery imports this module, so it stays light: it imports only what
the core has already imported (NumPy, Astropy) and imports SciPy inside the
method that needs it.
"""

from __future__ import annotations

import numpy as np
from astropy import units as u
from astropy.table import QTable, vstack
from astropy.time import Time

from astro_sso import hookimpl
from astro_sso.base import Command, DemoContext, DemoResult, DemoStep, Detector, as_exposures
from astro_sso.exceptions import InputError
from astro_sso.io import atomic_path, write_table
from astro_sso.provenance import stamp
from astro_sso.tables import validate_table

__all__ = [
    "PeakDetector",
    "simulated_field",
    "astro_sso_detectors",
    "astro_sso_commands",
    "astro_sso_demo_steps",
]

# -- the plugin class ------------------------------------------------------------------

#: Columns of every table the detector returns (names of `astro_sso.tables`).
_COLUMNS = ("source_id", "exposure", "xcentroid", "ycentroid", "flux", "snr")


def _midtime(meta):
    """Mid-exposure time from ``DATE-OBS`` and ``EXPTIME`` [s], or None."""
    meta = meta or {}
    if not meta.get("DATE-OBS"):
        return None
    return Time(meta["DATE-OBS"], scale="utc") + 0.5 * float(meta.get("EXPTIME", 0.0)) * u.s


class PeakDetector(Detector):
    """Find point sources as local maxima above a noise threshold.

    A deliberately small detector: the background and its noise are the
    sigma-clipped median and standard deviation of the image; a source is a
    pixel that is the maximum of its ``box`` x ``box`` neighbourhood and lies
    more than ``nsigma`` noise units above the background. Its position is the
    flux-weighted centroid, and its flux the background-subtracted sum, in a
    square of ``2 * radius + 1`` pixels on a side.

    Parameters
    ----------
    nsigma : float
        Detection threshold above the background, in units of its noise.
    box : int
        Size [pix] of the neighbourhood in which a source must be the maximum.
    radius : int
        Half-size [pix] of the square in which flux and centroid are measured.

    Examples
    --------
    >>> from astro_sso.testing import synthetic_image
    >>> from astro_sso_example import PeakDetector
    >>> sources = PeakDetector(nsigma=10.0).detect(synthetic_image())
    >>> [round(float(x)) for x in sources["xcentroid"].value]
    [20, 60]
    """

    name = "peaks"
    output_table = "sources"
    output_columns = _COLUMNS

    def __init__(self, *, nsigma: float = 5.0, box: int = 5, radius: int = 3):
        if nsigma <= 0 or box < 3 or radius < 1:
            raise InputError(
                "the peaks detector needs nsigma > 0, box >= 3 and radius >= 1; got "
                f"nsigma={nsigma}, box={box}, radius={radius}"
            )
        self.nsigma = float(nsigma)
        self.box = int(box)
        self.radius = int(radius)

    def detect(self, images, **kwargs) -> QTable:
        """Detect point sources in one image or in several exposures of one field.

        Parameters
        ----------
        images : `~astropy.nddata.NDData` or sequence of NDData
            Masked and non-finite pixels are ignored; a ``wcs`` adds ``ra`` and
            ``dec``, a ``DATE-OBS`` in ``meta`` adds ``obstime``.

        Returns
        -------
        `~astropy.table.QTable`
            A sources table, with provenance in ``meta``.
        """
        exposures = as_exposures(images)  # raises InputError for a bare array
        tables = [self._detect_one(image, k) for k, image in enumerate(exposures)]
        out = vstack(tables, metadata_conflicts="silent")
        out["source_id"] = np.arange(len(out), dtype=np.int64)
        out.meta.clear()
        out = validate_table(out, "sources")  # canonical units of the vocabulary
        return stamp(out, plugin=self, parameters=self.get_params(), n_exposures=len(exposures))

    def _detect_one(self, image, k: int) -> QTable:
        from astropy.stats import sigma_clipped_stats
        from scipy.ndimage import maximum_filter

        data = np.asarray(image.data, dtype=float)
        bad = ~np.isfinite(data)
        if image.mask is not None:
            bad |= np.asarray(image.mask, dtype=bool)
        if bad.all():
            raise InputError(f"exposure {k} has no valid pixel (all masked or not finite)")
        background, _, noise = sigma_clipped_stats(data, mask=bad, sigma=3.0)
        work = np.where(bad, -np.inf, data - background)
        is_peak = (work == maximum_filter(work, size=self.box)) & (work > self.nsigma * noise)
        y, x = np.nonzero(is_peak)

        # flux and flux-weighted centroid in a (2r+1) x (2r+1) square around each peak
        r = self.radius
        d = np.arange(-r, r + 1)
        padded = np.pad(np.where(bad, 0.0, data - background), r)
        cut = padded[
            y[:, None, None] + r + d[None, :, None], x[:, None, None] + r + d[None, None, :]
        ]
        weight = np.clip(cut, 0.0, None)
        wsum = weight.sum(axis=(1, 2))
        xc = x + (weight * d[None, None, :]).sum(axis=(1, 2)) / wsum
        yc = y + (weight * d[None, :, None]).sum(axis=(1, 2)) / wsum
        flux = cut.sum(axis=(1, 2))

        table = QTable()
        table["source_id"] = np.arange(len(x), dtype=np.int64)
        table["exposure"] = np.full(len(x), k, dtype=np.int64)
        table["xcentroid"] = xc * u.pix
        table["ycentroid"] = yc * u.pix
        table["flux"] = flux
        table["snr"] = flux / (noise * (2 * r + 1))
        if image.wcs is not None:
            sky = image.wcs.pixel_to_world(xc, yc).icrs
            table["ra"] = sky.ra.to(u.deg)
            table["dec"] = sky.dec.to(u.deg)
        mid = _midtime(image.meta)
        if mid is not None:
            table["obstime"] = Time(np.full(len(x), mid.jd), format="jd", scale="utc")
        return table


# -- a simulated field, shared by the command and the demo step ----------------------------


def simulated_field(n_sources: int, size: int, seed: int = 0):
    """Simulate a square image with well separated point sources, and its truth table.

    Examples
    --------
    >>> from astro_sso_example import simulated_field
    >>> image, truth = simulated_field(4, 64, seed=1)
    >>> image.shape, len(truth)
    ((64, 64), 4)
    """
    from astro_sso.testing import synthetic_image

    ncell = int(np.ceil(np.sqrt(max(n_sources, 1))))
    cell = size / ncell
    if n_sources < 0 or cell < 12:
        raise InputError(
            f"cannot place {n_sources} separated sources in a {size}x{size} image; "
            f"use at most {(size // 12) ** 2} sources or a larger --size"
        )
    rng = np.random.default_rng(seed)
    cells = rng.choice(ncell * ncell, n_sources, replace=False)
    x = (cells % ncell + 0.5 + rng.uniform(-0.2, 0.2, n_sources)) * cell
    y = (cells // ncell + 0.5 + rng.uniform(-0.2, 0.2, n_sources)) * cell
    amplitude = rng.uniform(300.0, 1000.0, n_sources)
    image = synthetic_image((size, size), list(zip(x, y, amplitude, strict=True)), seed=seed)
    truth = QTable({"xcentroid": x * u.pix, "ycentroid": y * u.pix, "amplitude": amplitude})
    return image, truth


# -- a command: `astro-sso simulate peaks` ---------------------------------------------


def _add_simulate_arguments(parser) -> None:
    parser.add_argument(
        "--out", default="peaks.fits", help="output FITS file (default: %(default)s)"
    )
    parser.add_argument(
        "--n-sources", type=int, default=9, help="number of sources (default: %(default)s)"
    )
    parser.add_argument(
        "--size", type=int, default=128, help="image size [pix] (default: %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: %(default)s)")


def _run_simulate(args) -> int:
    image, truth = simulated_field(args.n_sources, args.size, args.seed)
    with atomic_path(args.out) as tmp:  # complete on disk, or absent
        image.write(tmp, overwrite=True)
    print(f"{len(truth)} sources in a {args.size}x{args.size} image -> {args.out}")
    return 0


# -- a demo step: `astro-sso demo --step example-peaks` ----------------------------------


def _demo_step(ctx: DemoContext) -> DemoResult:
    n_sources, size = (9, 96) if ctx.quick else (64, 512)
    ctx.progress(f"    simulating a {size}x{size} image with {n_sources} point sources")
    image, truth = simulated_field(n_sources, size, seed=ctx.seed)
    sources = PeakDetector().detect(image)

    # distance of every true source to every detection [pix]
    dx = sources["xcentroid"].value[None, :] - truth["xcentroid"].value[:, None]
    dy = sources["ycentroid"].value[None, :] - truth["ycentroid"].value[:, None]
    dist = np.hypot(dx, dy)
    found = dist.min(axis=1) < 1.5 if len(sources) else np.zeros(n_sources, bool)
    spurious = dist.min(axis=0) >= 1.5 if n_sources else np.ones(len(sources), bool)
    offsets = dist.min(axis=1)[found] if found.any() else np.zeros(0)
    metrics = {
        "n_sources": n_sources,
        "n_detected": len(sources),
        "completeness": round(float(found.mean()), 4),
        "n_spurious": int(spurious.sum()),
        "median_offset_pix": round(float(np.median(offsets)), 3) if offsets.size else None,
    }
    tables = [
        write_table(sources, ctx.out / "peaks_sources.ecsv"),
        write_table(truth, ctx.out / "peaks_truth.ecsv"),
    ]
    summary = (
        f"{int(found.sum())} of {n_sources} simulated point sources found by the 'peaks' "
        f"detector, {metrics['n_spurious']} spurious detections."
    )
    return DemoResult(summary, tables=tables, metrics=metrics)


# -- the hook implementations: what astro-sso calls ---------------------------------------


@hookimpl
def astro_sso_detectors():
    """Register the ``peaks`` detector."""
    return [PeakDetector]


@hookimpl
def astro_sso_commands():
    """Add ``astro-sso simulate peaks``."""
    return [
        Command(
            name="peaks",
            verb="simulate",
            help="Write a synthetic FITS image with point sources for the peaks detector.",
            add_arguments=_add_simulate_arguments,
            run=_run_simulate,
        )
    ]


@hookimpl
def astro_sso_demo_steps():
    """Add the ``example-peaks`` step to ``astro-sso demo``."""
    return [
        DemoStep(
            name="example-peaks",
            title="Find point sources with the example 'peaks' detector",
            run=_demo_step,
            order=150,
        )
    ]
