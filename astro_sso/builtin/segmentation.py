"""General-purpose source detector on photutils: background, segmentation, deblending."""

from __future__ import annotations

import warnings

import numpy as np
from astropy import units as u
from astropy.convolution import convolve
from astropy.nddata import StdDevUncertainty
from astropy.table import QTable, vstack
from astropy.time import Time
from astropy.utils.exceptions import AstropyUserWarning

from ..base import Detector, as_exposures
from ..exceptions import AstroSSOWarning, InputError
from ..tables import empty_table, validate_table

__all__ = ["SegmentationDetector", "exposure_midtime"]

_COLUMNS = (
    "source_id",
    "exposure",
    "xcentroid",
    "ycentroid",
    "ra",
    "dec",
    "obstime",
    "flux",
    "flux_err",
    "snr",
    "area",
    "semimajor_sigma",
    "semiminor_sigma",
    "orientation",
    "elongation",
)


def exposure_midtime(meta) -> Time | None:
    """Return the mid-exposure time from FITS-like header metadata, or None.

    Understands ``EXPSTART``/``EXPEND`` (MJD, HST), ``MJD-OBS`` or ``DATE-OBS``
    (exposure start) with ``EXPTIME`` (seconds), and ``MJD-MID``/``DATE-AVG``.

    Parameters
    ----------
    meta : dict-like
        Header of an image (``NDData.meta``).

    Examples
    --------
    >>> from astro_sso.builtin.segmentation import exposure_midtime
    >>> exposure_midtime({"DATE-OBS": "2024-01-01T00:00:00", "EXPTIME": 600.0}).isot
    '2024-01-01T00:05:00.000'
    """
    meta = meta or {}

    def get(key):
        return meta.get(key, meta.get(key.lower()))

    try:
        return _midtime(get)
    except (ValueError, TypeError) as exc:
        raise InputError(
            f"the image header's time keywords are not usable ({exc}); fix DATE-OBS/MJD-OBS, "
            "EXPTIME or EXPSTART/EXPEND (ISO dates, MJD numbers, seconds)"
        ) from None


def _midtime(get):
    if get("DATE-AVG"):
        return Time(get("DATE-AVG"), scale="utc")
    if get("MJD-MID") is not None:
        return Time(float(get("MJD-MID")), format="mjd", scale="utc")
    if get("EXPSTART") is not None and get("EXPEND") is not None:
        return Time(
            0.5 * (float(get("EXPSTART")) + float(get("EXPEND"))), format="mjd", scale="utc"
        )
    start = None
    if get("MJD-OBS") is not None:
        start = Time(float(get("MJD-OBS")), format="mjd", scale="utc")
    elif get("DATE-OBS"):
        start = Time(get("DATE-OBS"), scale="utc")
    if start is None:
        return None
    exptime = float(get("EXPTIME") or 0.0)
    return start + 0.5 * exptime * u.s


def _celestial(wcs) -> bool:
    return wcs is not None and getattr(wcs, "has_celestial", False)


class SegmentationDetector(Detector):
    """Detect sources in any image: background, segmentation, deblending, catalogue.

    The photutils recipe: a 2-D background and its RMS, a Gaussian-smoothed
    image thresholded at ``nsigma`` times the background RMS, segments of at
    least ``npixels`` connected pixels, deblended, measured with
    `photutils.segmentation.SourceCatalog`. Several exposures (e.g. dithers) are
    processed one by one and stacked into one table with an ``exposure`` column.

    Parameters
    ----------
    nsigma : float
        Detection threshold in units of the background RMS.
    npixels : int
        Minimum number of connected pixels of a source.
    fwhm : float
        FWHM [pix] of the Gaussian smoothing kernel (about the PSF's).
    box_size : int
        Size [pix] of the background mesh.
    deblend : bool
        Deblend overlapping sources.
    contrast : float
        Deblending contrast (fraction of the total flux a component needs).

    Examples
    --------
    >>> import numpy as np
    >>> from astropy.nddata import NDData
    >>> import astro_sso
    >>> rng = np.random.default_rng(1)
    >>> img = rng.normal(100.0, 5.0, (64, 64))
    >>> yy, xx = np.mgrid[:64, :64]
    >>> img += 400 * np.exp(-((xx - 20) ** 2 + (yy - 30) ** 2) / 4.0)
    >>> from astropy.wcs import WCS
    >>> wcs = WCS(naxis=2)
    >>> wcs.wcs.ctype, wcs.wcs.crval = ["RA---TAN", "DEC--TAN"], [150.0, 2.0]
    >>> wcs.wcs.crpix, wcs.wcs.cdelt = [32.0, 32.0], [-1e-4, 1e-4]
    >>> image = NDData(img, wcs=wcs, meta={"DATE-OBS": "2024-01-01T00:00:00", "EXPTIME": 30.0})
    >>> src = astro_sso.get_detector("segmentation").detect(image)
    >>> len(src), round(float(src["xcentroid"][0].value)), "ra" in src.colnames
    (1, 20, True)
    """

    name = "segmentation"
    output_table = "sources"
    output_columns = _COLUMNS

    def __init__(
        self,
        *,
        nsigma: float = 3.0,
        npixels: int = 5,
        fwhm: float = 2.0,
        box_size: int = 32,
        deblend: bool = True,
        contrast: float = 0.001,
    ):
        try:
            nsigma, fwhm, contrast = float(nsigma), float(fwhm), float(contrast)
            npixels, box_size = int(npixels), int(box_size)
        except (TypeError, ValueError):
            raise InputError(
                "segmentation detector parameters must be numbers: nsigma, fwhm, contrast "
                f"(float), npixels, box_size (int); got nsigma={nsigma!r}, npixels={npixels!r}, "
                f"fwhm={fwhm!r}, box_size={box_size!r}, contrast={contrast!r}"
            ) from None
        if nsigma <= 0 or npixels < 1 or fwhm <= 0 or box_size < 4:
            raise InputError(
                "segmentation detector needs nsigma > 0, npixels >= 1, fwhm > 0 and "
                f"box_size >= 4; got nsigma={nsigma}, npixels={npixels}, fwhm={fwhm}, "
                f"box_size={box_size}"
            )
        self.nsigma = float(nsigma)
        self.npixels = int(npixels)
        self.fwhm = float(fwhm)
        self.box_size = int(box_size)
        self.deblend = bool(deblend)
        self.contrast = float(contrast)

    def detect(self, images, **kwargs) -> QTable:
        """Detect sources in one image or several exposures.

        Parameters
        ----------
        images : `~astropy.nddata.NDData` or sequence of NDData
            Images; ``mask`` pixels and non-finite pixels are ignored, ``wcs``
            gives ``ra``/``dec``, the header gives ``obstime``.
        **kwargs
            None accepted (the settings are the constructor's); any raises an
            `~astro_sso.exceptions.InputError`.

        Returns
        -------
        `~astropy.table.QTable`
            A sources table.
        """
        if kwargs:
            raise InputError(
                f"the segmentation detector takes no per-call options, got {sorted(kwargs)}: "
                "give its settings when creating it, e.g. "
                "astro_sso.get_detector('segmentation', nsigma=5.0)"
            )
        exposures = as_exposures(images)
        no_sky = [k for k, img in enumerate(exposures) if not _celestial(img.wcs)]
        no_time = [k for k, img in enumerate(exposures) if exposure_midtime(img.meta) is None]
        columns = [
            c
            for c in _COLUMNS
            if not (c in ("ra", "dec") and no_sky) and not (c == "obstime" and no_time)
        ]
        if no_sky:
            warnings.warn(
                f"exposure(s) {no_sky} have no celestial WCS: sources get pixel positions only "
                "(no ra, dec); read images whose header has a sky WCS to get them",
                AstroSSOWarning,
                stacklevel=2,
            )
        if no_time:
            warnings.warn(
                f"exposure(s) {no_time} have no DATE-OBS/MJD-OBS/EXPSTART: sources get no obstime",
                AstroSSOWarning,
                stacklevel=2,
            )
        tables = [self._detect_one(img, k) for k, img in enumerate(exposures)]
        tables = [t[columns] for t in tables if len(t)]
        out = (
            vstack(tables, metadata_conflicts="silent")
            if tables
            else empty_table("sources", columns)
        )
        out["source_id"] = np.arange(len(out), dtype=np.int64)
        out.meta.clear()
        return self._stamp(validate_table(out, "sources"), n_exposures=len(exposures))

    def _detect_one(self, img, k: int) -> QTable:
        from photutils.background import Background2D, MedianBackground
        from photutils.segmentation import (
            SourceCatalog,
            deblend_sources,
            detect_sources,
            make_2dgaussian_kernel,
        )
        from photutils.utils.exceptions import NoDetectionsWarning

        data = np.asarray(img.data, dtype=float)
        mask = ~np.isfinite(data)
        if img.mask is not None:
            mask |= np.asarray(img.mask, dtype=bool)
        if mask.all():
            raise InputError(f"exposure {k} has no valid pixel (all masked or NaN)")
        box = max(4, min(self.box_size, *data.shape))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyUserWarning)
            bkg = Background2D(data, box, mask=mask, bkg_estimator=MedianBackground())
        sub = np.where(mask, 0.0, data - bkg.background)
        size = int(2 * round(1.5 * self.fwhm) + 1)
        kernel = make_2dgaussian_kernel(self.fwhm, size=max(3, size))
        conv = np.where(mask, 0.0, convolve(sub, kernel))
        threshold = self.nsigma * bkg.background_rms
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NoDetectionsWarning)
            segm = detect_sources(conv, threshold, self.npixels, mask=mask)
        if segm is None:
            return empty_table("sources", _COLUMNS)
        if self.deblend and segm.n_labels > 0:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", AstropyUserWarning)
                segm = deblend_sources(
                    conv, segm, self.npixels, contrast=self.contrast, progress_bar=False
                )
        error = np.broadcast_to(bkg.background_rms, data.shape)
        if img.uncertainty is not None:
            try:
                unc = img.uncertainty.represent_as(StdDevUncertainty)
            except (TypeError, ValueError, AttributeError):
                raise InputError(
                    f"exposure {k}: cannot turn its {type(img.uncertainty).__name__} into a "
                    "standard deviation; give a StdDevUncertainty, VarianceUncertainty or "
                    "InverseVariance"
                ) from None
            error = np.asarray(unc.array, dtype=float)
        cat = SourceCatalog(sub, segm, convolved_data=conv, error=error, mask=mask, wcs=img.wcs)
        n = len(cat)
        t = QTable()
        t["source_id"] = np.arange(n, dtype=np.int64)
        t["exposure"] = np.full(n, k, dtype=np.int64)
        t["xcentroid"] = np.asarray(cat.x_centroid) * u.pix
        t["ycentroid"] = np.asarray(cat.y_centroid) * u.pix
        if _celestial(img.wcs):
            sky = img.wcs.pixel_to_world(cat.x_centroid, cat.y_centroid).icrs
            t["ra"] = sky.ra.to(u.deg)
            t["dec"] = sky.dec.to(u.deg)
        mid = exposure_midtime(img.meta)
        if mid is not None:
            t["obstime"] = Time(
                np.full(n, mid.jd1), np.full(n, mid.jd2), format="jd", scale=mid.scale
            )
        flux = np.asarray(getattr(cat.segment_flux, "value", cat.segment_flux), dtype=float)
        ferr = np.asarray(getattr(cat.segment_flux_err, "value", cat.segment_flux_err), dtype=float)
        t["flux"] = flux
        t["flux_err"] = ferr
        with np.errstate(divide="ignore", invalid="ignore"):
            t["snr"] = np.where(ferr > 0, flux / ferr, np.nan)
        t["area"] = np.asarray(getattr(cat.area, "value", cat.area)) * u.pix**2
        t["semimajor_sigma"] = (
            np.asarray(getattr(cat.semimajor_axis, "value", cat.semimajor_axis)) * u.pix
        )
        t["semiminor_sigma"] = (
            np.asarray(getattr(cat.semiminor_axis, "value", cat.semiminor_axis)) * u.pix
        )
        t["orientation"] = u.Quantity(cat.orientation).to(u.deg)
        t["elongation"] = np.asarray(getattr(cat.elongation, "value", cat.elongation), dtype=float)
        return t
