"""Cutouts of dithered Euclid VIS exposures, centred on each object (Lieu et al. 2019, sec. 2.2).

Each cutout is a square on the sky centred on an object, of side the object's
extent (over the chosen dithers) plus a padding drawn from N(65, 5) px (the
paper's), cut from each chosen dither through its own WCS and resampled
bilinearly to ``size`` x ``size`` pixels (area-averaged: each output pixel is the
mean of up to 8 x 8 bilinear samples when the cutout shrinks, so that a faint
trail is not lost between samples): one channel per dither. The averaging
lowers the noise of large cutouts, which would tell the extent (hence the
class) of an object even where it is invisible: independent noise brings every
cutout's background back to unit sigma, and pixels off the image are unit
noise too. With ``side=`` every cutout has that one side instead (the velocity
networks' input, see `fixed_side`): all backgrounds are averaged alike, so each
cutout is divided by its measured background sigma instead, which keeps the
S/N the averaging gains. A static
source lands on the same pixels in every channel; a Solar System object (SSO)
moves, so its trail sits at different places in the channels.

Pixel values: each dither minus its background (sigma-clipped median of the
whole image), divided by the background noise (sigma-clipped standard
deviation): the cutouts are in units of the background sigma of their own
dither, the same scale for every field and dither.

`EuclidCutoutDetector` finds the objects with the core's ``segmentation``
detector; `truth_cutouts` cuts around the true sources of
`~astro_sso_euclid.simulate.simulate_field` (labelled training sets).
"""

from __future__ import annotations

import numpy as np
from astropy import units as u
from astropy.stats import sigma_clipped_stats
from astropy.table import QTable
from astropy.wcs.utils import proj_plane_pixel_scales
from scipy.ndimage import map_coordinates

from astro_sso.base import Detector, as_exposures
from astro_sso.builtin.segmentation import SegmentationDetector
from astro_sso.exceptions import InputError
from astro_sso.tables import empty_table, validate_table

__all__ = ["EuclidCutoutDetector", "truth_cutouts", "resolve_channels", "fixed_side"]

_OUT_COLUMNS = ("source_id", "cutout", "xcentroid", "ycentroid", "ra", "dec", "snr")
_CHANNELS = {1: (1,), 3: (1, 2, 3), 4: (1, 2, 3, 4)}
MAX_SUPERSAMPLING = 8  # most bilinear samples per output pixel and axis (antialiasing)
_AFFINE_TOLERANCE = 1e-3  # [px] largest residual of the per-cutout affine WCS mapping
_PSF_RADIUS = 3.0  # [px] added around point-like positions (a few VIS PSF FWHM of 1.7 px)


def resolve_channels(channels) -> tuple[int, ...]:
    """The dithers (1-based) that make the channels of a cutout.

    Parameters
    ----------
    channels : int or sequence of int
        1 (dither 1), 3 (dithers 1, 2, 3), 4 (all four), or explicit dither
        numbers such as ``(2, 3, 4)``.

    Returns
    -------
    tuple of int

    Examples
    --------
    >>> from astro_sso_euclid.cutouts import resolve_channels
    >>> resolve_channels(3), resolve_channels((2, 3, 4))
    ((1, 2, 3), (2, 3, 4))
    """
    if isinstance(channels, int | np.integer) and not isinstance(channels, bool):
        if int(channels) not in _CHANNELS:
            raise InputError(
                f"channels={channels}: give 1, 3 or 4, or a tuple of dither numbers "
                "such as (1, 2, 3) or (2, 3, 4)"
            )
        return _CHANNELS[int(channels)]
    try:
        dithers = tuple(int(d) for d in channels)
    except (TypeError, ValueError):
        raise InputError(
            f"channels={channels!r}: give 1, 3 or 4, or a tuple of dither numbers (1-4)"
        ) from None
    if not dithers or len(set(dithers)) != len(dithers) or min(dithers) < 1:
        raise InputError(
            f"channels={channels!r}: dither numbers must be distinct and >= 1, e.g. (2, 3, 4)"
        )
    return dithers


def fixed_side(channels, max_speed=80.0, padding: float = 65.0) -> float:
    """Side [px] of fixed-scale cutouts that hold the longest trail of a speed range.

    The paper scales every cutout to its object's extent, which throws away the
    object's size once the cutout is resized to the network input: a trail
    fills about the same fraction of every cutout whatever its speed. The
    velocity networks therefore take cutouts of one side for all objects (the
    ``side`` option of `truth_cutouts` and `EuclidCutoutDetector`), so that a
    trail's length in input pixels is proportional to its speed. The side is
    the trail of ``max_speed`` over the chosen dithers (first exposure start
    to last exposure end), plus 3 px of PSF at each end and the paper's mean
    padding.

    Parameters
    ----------
    channels : int or tuple of int
        Dithers of the cutouts (see `resolve_channels`).
    max_speed : float or `~astropy.units.Quantity`
        Fastest apparent motion ["/h] (default the paper's 80 "/h).
    padding : float
        Padding [px] around the longest trail.

    Returns
    -------
    float
        Side [px] (VIS pixels of 0.1").

    Examples
    --------
    >>> from astro_sso_euclid.cutouts import fixed_side
    >>> [round(fixed_side(ch)) for ch in (1, 3, (2, 3, 4), 4)]
    [197, 476, 476, 616]
    """
    from .instrument import EXPTIME, PIXEL_SCALE, dither_start_times

    dithers = resolve_channels(channels)
    v = u.Quantity(max_speed, u.arcsec / u.h).to_value(u.arcsec / u.s)
    if not (np.isfinite(v) and v > 0) or padding < 0:
        raise InputError(f"max_speed={max_speed}, padding={padding}: need speed > 0, padding >= 0")
    starts = dither_start_times(max(dithers))
    span = starts[max(dithers) - 1] + EXPTIME - starts[min(dithers) - 1]
    scale = u.Quantity(PIXEL_SCALE, u.arcsec / u.pix).value
    return float(v * span / scale + 2 * _PSF_RADIUS + padding)


def _check_images(images, dithers):
    exposures = as_exposures(images, require_wcs=True)
    if len(exposures) < max(dithers):
        raise InputError(
            f"{len(exposures)} exposure(s) given but the channels use dither(s) {dithers}: "
            f"pass the {max(dithers)} dithers in order (e.g. the 4 images of simulate_field)"
        )
    for k in dithers:
        if not getattr(exposures[k - 1].wcs, "has_celestial", False):
            raise InputError(
                f"exposure {k - 1} (dither {k}) has no celestial WCS: cutouts are cut on the sky; "
                "give images whose header has a sky WCS"
            )
    return [exposures[k - 1] for k in dithers]


def _normalised(img) -> np.ndarray:
    """Image minus its background, in units of the background sigma (NaN -> 0)."""
    data = np.asarray(img.data, dtype=float)
    good = np.isfinite(data)
    if img.mask is not None:
        good &= ~np.asarray(img.mask, dtype=bool)
    if not good.any():
        raise InputError("an exposure has no valid pixel (all masked or NaN)")
    sample = data[good]
    if sample.size > 200_000:
        sample = sample[:: sample.size // 200_000]
    _, median, std = sigma_clipped_stats(sample, sigma=3.0, maxiters=5)
    if not std > 0:
        std = 1.0
    out = (data - median) / std
    out[~np.isfinite(out)] = 0.0
    return out


def _mad_sigma(values) -> float:
    """Robust standard deviation (1.4826 x the median absolute deviation)."""
    return float(1.4826 * np.median(np.abs(values - np.median(values))))


class _Cutter:
    """Cuts squares on the sky out of the chosen dithers, all resampled to ``size``."""

    def __init__(self, exposures, size, padding_mean, padding_sigma, seed, side=None):
        self.exposures = exposures
        self.side = None if side is None else float(side)
        self.ref = exposures[0].wcs.celestial
        self.planes = [_normalised(img) for img in exposures]
        self.size = int(size)
        self.padding_mean = float(padding_mean)
        self.padding_sigma = float(padding_sigma)
        self.rng = np.random.default_rng(seed)
        self.pixscale = float(np.mean(proj_plane_pixel_scales(self.ref))) * 3600.0  # "/px

    def to_ref(self, ra, dec):
        return self.ref.wcs_world2pix(np.asarray(ra, float), np.asarray(dec, float), 0)

    def cut(self, xc, yc, extent):
        """Cutouts (N, size, size, C) centred on (xc, yc) of the reference frame."""
        n, s, c = len(xc), self.size, len(self.planes)
        out = np.zeros((n, s, s, c), dtype=np.float32)
        if self.side is None:
            pad = np.clip(self.rng.normal(self.padding_mean, self.padding_sigma, n), 1.0, None)
            side = np.asarray(extent, float) + pad
        else:
            side = np.full(n, self.side)
        for i in range(n):
            # Area-averaged (antialiased) bilinear resampling: m x m bilinear samples
            # per output pixel, m = ceil(input px per output px) up to MAX_SUPERSAMPLING,
            # so a thin faint trail in a large cutout keeps its signal instead of
            # falling between point samples.
            m = int(np.clip(np.ceil(side[i] / s), 1, MAX_SUPERSAMPLING))
            frac = (np.arange(s * m) + 0.5) / (s * m) - 0.5
            gx = (xc[i] + side[i] * frac[None, :] * np.ones((s * m, 1))).ravel()
            gy = (yc[i] + side[i] * frac[:, None] * np.ones((1, s * m))).ravel()
            for k, (img, plane) in enumerate(zip(self.exposures, self.planes, strict=True)):
                px, py = self._to_dither(k, img, xc[i], yc[i], side[i], gx, gy)
                vals = map_coordinates(plane, [py, px], order=1, mode="constant", cval=0.0)
                ny, nx = plane.shape
                inside = (px >= 0) & (px <= nx - 1) & (py >= 0) & (py <= ny - 1)
                avg = vals.reshape(s, m, s, m).mean(axis=(1, 3))
                valid = inside.reshape(s, m, s, m).all(axis=(1, 3))
                if self.side is None:
                    out[i, :, :, k] = self._unit_noise(avg, valid)
                else:
                    out[i, :, :, k] = self._unit_sigma(avg, valid)
        return out, side

    def _unit_sigma(self, avg, valid):
        """Fixed-side cutouts: rescale to unit background sigma, keeping the S/N.

        All cutouts share one side, so the averaging lowers every background
        alike and tells nothing: dividing by the measured sigma (MAD) keeps the
        signal-to-noise the averaging gained (a faint trail stays visible)
        while the pixels stay in units of the background sigma. Off-image
        pixels are unit noise.
        """
        out = avg.copy()
        if valid.sum() >= 16:
            v = out[valid]
            sigma = _mad_sigma(v)
            if sigma > 0:
                out[valid] = v / sigma
        out[~valid] = self.rng.normal(0.0, 1.0, int((~valid).sum()))
        return out

    def _unit_noise(self, avg, valid):
        """Give every cutout the same background: unit-sigma noise everywhere.

        Averaging samples lowers the noise of a large cutout (a fast SSO's) below
        that of a small one (a star's), and pixels off the image would be exactly 0:
        both would tell a network the object's extent, hence its class, even where
        the object itself is invisible. Independent Gaussian noise tops the
        measured background sigma (MAD) up to 1, and off-image pixels are pure
        unit noise.
        """
        out = avg.copy()
        if valid.sum() >= 16:
            v = out[valid]
            sigma = _mad_sigma(v)
            if sigma < 1.0:
                top = np.sqrt(1.0 - sigma**2)
                out[valid] += self.rng.normal(0.0, top, int(valid.sum()))
        out[~valid] = self.rng.normal(0.0, 1.0, int((~valid).sum()))
        return out

    def _to_dither(self, k, img, xc, yc, side, gx, gy):
        """Reference pixels -> pixels of dither ``k``, through the sky.

        Over one cutout the mapping is affine to far better than 0.01 px for
        any tangent-plane WCS without strong distortion: it is fitted on a 3 x 3
        grid of points through the full WCS transforms and used when its
        residual is below ``_AFFINE_TOLERANCE``; otherwise every sample goes
        through the WCS.
        """
        h = 0.5 * max(float(side), 1.0)
        ax = np.array([xc - h, xc, xc + h] * 3)
        ay = np.repeat([yc - h, yc, yc + h], 3)
        wcs = img.wcs.celestial
        bx, by = wcs.wcs_world2pix(*self.ref.wcs_pix2world(ax, ay, 0), 0)
        design = np.column_stack([np.ones(9), ax - xc, ay - yc])
        coef, *_ = np.linalg.lstsq(design, np.column_stack([bx, by]), rcond=None)
        if (
            np.all(np.isfinite(coef))
            and np.abs(design @ coef - np.column_stack([bx, by])).max() < _AFFINE_TOLERANCE
        ):
            dx, dy = gx - xc, gy - yc
            return coef[0, 0] + coef[1, 0] * dx + coef[2, 0] * dy, coef[0, 1] + coef[
                1, 1
            ] * dx + coef[2, 1] * dy
        ra, dec = self.ref.wcs_pix2world(gx, gy, 0)
        return wcs.wcs_world2pix(ra, dec, 0)


class EuclidCutoutDetector(Detector):
    """Detect sources on Euclid dithers and cut them out: the input of the euclid-cnn classifier.

    Sources are found on each chosen dither with the core's ``segmentation``
    detector, grouped across dithers by sky position (within
    ``match_radius``), and single-dither detections that line up with a
    constant motion of at most ``max_speed`` over at least three dithers (all
    of them when fewer are chosen) are linked into one moving object. Each
    object gets a square cutout of side its extent (the box holding its
    detections, each widened by three times its semi-major sigma) plus a
    padding drawn from N(``padding_mean``, ``padding_sigma``) px, cut from each
    chosen dither through its WCS and resampled bilinearly to ``size`` x
    ``size`` (or, with ``side``, a square of that fixed side for every
    object). Pixels are in units of the background sigma of their dither
    (background subtracted), with unit-sigma noise off the image and in every
    cutout whatever its size; fixed-side cutouts are in units of their own
    averaged background sigma (see the module notes).

    Parameters
    ----------
    channels : int or tuple of int
        Dithers making the channels: 1 (dither 1), 3 (dithers 1-3), 4 (all),
        or explicit dither numbers such as ``(2, 3, 4)``.
    size : int
        Side [px] of the output cutouts (the network input).
    padding_mean, padding_sigma : float
        Mean and standard deviation [px] of the padding added to the extent.
    match_radius : float
        Radius [arcsec] within which detections on different dithers are one object.
    max_speed : float
        Fastest motion ["/h] linked across dithers; 0 disables the linking.
    link_tolerance : float
        Largest distance [arcsec] of a linked detection from the straight motion.
    nsigma, npixels, fwhm, box_size, deblend, contrast : float, int, float, int, bool, float
        Settings of the core's segmentation detector (see
        `astro_sso.builtin.segmentation.SegmentationDetector`).
    side : float, optional
        A fixed side [px] for every cutout instead of extent plus padding
        (the velocity networks' input, see `fixed_side`).
    seed : int
        Seed of the padding draws.

    Examples
    --------
    >>> from astro_sso_euclid.cutouts import EuclidCutoutDetector
    >>> from astro_sso_euclid.simulate import simulate_field
    >>> images, _ = simulate_field(shape=(96, 96), n_sso=0, n_stars=1, n_galaxies=0,
    ...                            n_cosmic_rays=0, seed=1, star_mag_range=(19.0, 19.5))
    >>> cut = EuclidCutoutDetector(channels=3, size=32).detect(images)
    >>> cut["cutout"].shape
    (1, 32, 32, 3)
    """

    name = "euclid-cutouts"
    output_table = "cutouts"
    output_columns = _OUT_COLUMNS
    citation = "Lieu, Conversi, Altieri & Carry 2019, MNRAS 485, 5831"

    def __init__(
        self,
        *,
        channels=3,
        size: int = 64,
        padding_mean: float = 65.0,
        padding_sigma: float = 5.0,
        match_radius: float = 0.3,
        max_speed: float = 100.0,
        link_tolerance: float = 1.0,
        nsigma: float = 3.0,
        npixels: int = 5,
        fwhm: float = 2.0,
        box_size: int = 32,
        deblend: bool = True,
        contrast: float = 0.001,
        side: float | None = None,
        seed: int = 0,
    ):
        resolve_channels(channels)
        self.side = _check_side(side)
        if int(size) < 2:
            raise InputError(f"size={size}: the cutouts need at least 2 x 2 px (the paper: 224)")
        if padding_mean <= 0 or padding_sigma < 0:
            raise InputError(
                f"padding_mean={padding_mean}, padding_sigma={padding_sigma}: need mean > 0 "
                "and sigma >= 0 (the paper: 65 and 5 px)"
            )
        if match_radius <= 0 or max_speed < 0 or link_tolerance <= 0:
            raise InputError(
                f"match_radius={match_radius}, max_speed={max_speed}, link_tolerance="
                f"{link_tolerance}: need match_radius > 0, max_speed >= 0, link_tolerance > 0"
            )
        self.channels = channels
        self.size = int(size)
        self.padding_mean = float(padding_mean)
        self.padding_sigma = float(padding_sigma)
        self.match_radius = float(match_radius)
        self.max_speed = float(max_speed)
        self.link_tolerance = float(link_tolerance)
        self.nsigma = nsigma
        self.npixels = npixels
        self.fwhm = fwhm
        self.box_size = box_size
        self.deblend = deblend
        self.contrast = contrast
        self.seed = int(seed)
        self._segmentation = SegmentationDetector(
            nsigma=nsigma,
            npixels=npixels,
            fwhm=fwhm,
            box_size=box_size,
            deblend=deblend,
            contrast=contrast,
        )

    @classmethod
    def conformance_inputs(cls) -> dict:
        """Inputs of `astro_sso.testing.check_plugin`: small simulated fields."""
        from .simulate import simulate_field

        kw = {"shape": (96, 96), "n_sso": 0, "n_galaxies": 0, "n_cosmic_rays": 0, "seed": 4}
        valid, _ = simulate_field(n_stars=2, star_mag_range=(19.0, 20.0), **kw)
        empty, _ = simulate_field(n_stars=0, **kw)
        return {"valid": valid, "empty": empty, "bad": valid[:2], "params": {"size": 32}}

    def detect(self, images, **kwargs) -> QTable:
        """Detect the objects of a field's dithers and return their cutouts.

        Parameters
        ----------
        images : sequence of `~astropy.nddata.CCDData`
            The dithers in order (at least as many as the channels use), each
            with a celestial WCS and a header with the exposure time
            (DATE-OBS/MJD-OBS and EXPTIME) for the motion linking.
        **kwargs
            None accepted.

        Returns
        -------
        `~astropy.table.QTable`
            A cutouts table: ``source_id``, ``cutout`` (N, size, size, C)
            float32, ``xcentroid``, ``ycentroid`` [pix] (cutout centre in the
            first chosen dither), ``ra``, ``dec`` [deg], ``snr`` (best S/N of its
            detections); ``meta['dithers']`` lists the dithers of the channels.
        """
        if kwargs:
            raise InputError(
                f"the euclid-cutouts detector takes no per-call options, got {sorted(kwargs)}: "
                "give its settings when creating it"
            )
        dithers = resolve_channels(self.channels)
        exposures = _check_images(images, dithers)
        cutter = _Cutter(
            exposures, self.size, self.padding_mean, self.padding_sigma, self.seed, self.side
        )
        src = self._segmentation.detect(exposures)
        if len(src) == 0:
            return self._finish(_empty(self.size, len(dithers)), dithers)
        x, y = cutter.to_ref(src["ra"].to_value(u.deg), src["dec"].to_value(u.deg))
        exp = np.asarray(src["exposure"], dtype=int)
        hours = _hours(src, exp)
        groups = _group(x, y, exp, self.match_radius / cutter.pixscale)
        if self.max_speed > 0 and hours is not None:
            groups = _link_moving(
                groups,
                x,
                y,
                exp,
                hours,
                len(dithers),
                self.max_speed / cutter.pixscale,
                self.link_tolerance / cutter.pixscale,
            )
        half = 3.0 * np.asarray(src["semimajor_sigma"].to_value(u.pix), dtype=float)
        snr = np.asarray(src["snr"], dtype=float)
        labels = np.unique(groups)
        xc, yc, extent, best = (np.empty(len(labels)) for _ in range(4))
        for i, g in enumerate(labels):
            sel = groups == g
            x0, x1 = np.min(x[sel] - half[sel]), np.max(x[sel] + half[sel])
            y0, y1 = np.min(y[sel] - half[sel]), np.max(y[sel] + half[sel])
            xc[i], yc[i] = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
            extent[i] = max(x1 - x0, y1 - y0)
            best[i] = np.nanmax(snr[sel]) if np.isfinite(snr[sel]).any() else np.nan
        table = _table(cutter, xc, yc, extent)
        table["snr"] = best
        return self._finish(table, dithers)

    def _finish(self, table, dithers):
        table.meta["dithers"] = list(dithers)
        table.meta["cutout_side"] = self.side
        table.meta["pixel_scale"] = "background-subtracted, in units of the background sigma"
        return self._stamp(validate_table(table, "cutouts", allow_nan=True), dithers=list(dithers))


def _check_side(side):
    if side is None:
        return None
    try:
        side = float(u.Quantity(side, u.pix).value)
    except (TypeError, ValueError, u.UnitsError):
        raise InputError(f"side={side!r}: give a number of pixels, or None") from None
    if not (np.isfinite(side) and side >= 2):
        raise InputError(f"side={side}: a fixed cutout side needs at least 2 px (or None)")
    return side


def _empty(size, n_channels) -> QTable:
    t = empty_table("cutouts", _OUT_COLUMNS)
    t["cutout"] = np.zeros((0, size, size, n_channels), dtype=np.float32)
    return t


def _table(cutter, xc, yc, extent) -> QTable:
    cut, _ = cutter.cut(xc, yc, extent)
    ra, dec = cutter.ref.wcs_pix2world(xc, yc, 0)
    t = QTable()
    t["source_id"] = np.arange(len(xc), dtype=np.int64)
    t["cutout"] = cut
    t["xcentroid"] = np.asarray(xc, float) * u.pix
    t["ycentroid"] = np.asarray(yc, float) * u.pix
    t["ra"] = np.asarray(ra, float) * u.deg
    t["dec"] = np.asarray(dec, float) * u.deg
    return t


def _hours(src, exp):
    if "obstime" not in src.colnames:
        return None
    t = src["obstime"]
    return np.asarray((t - t.min()).to_value(u.h), dtype=float)


def _group(x, y, exp, radius):
    """Friends-of-friends groups of detections closer than ``radius`` px (any dithers)."""
    n = len(x)
    parent = np.arange(n)

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    d2 = (x[:, None] - x[None, :]) ** 2 + (y[:, None] - y[None, :]) ** 2
    ii, jj = np.nonzero(np.triu(d2 <= radius**2, k=1))
    for i, j in zip(ii, jj, strict=True):
        ri, rj = find(i), find(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    return np.array([find(i) for i in range(n)])


def _link_moving(groups, x, y, exp, hours, n_dithers, vmax, tol):
    """Merge single-dither groups lying on one constant motion of speed <= vmax [px/h]."""
    labels, counts = np.unique(groups, return_counts=True)
    single = {g for g, c in zip(labels, counts, strict=True) if c == 1}
    idx = [int(np.nonzero(groups == g)[0][0]) for g in sorted(single)]
    need = min(3, n_dithers)
    if len(idx) < max(need, 2):
        return groups
    used: set[int] = set()
    pairs = []
    for a in idx:
        for b in idx:
            dt = hours[b] - hours[a]
            if exp[b] > exp[a] and dt > 0:
                v = np.hypot(x[b] - x[a], y[b] - y[a]) / dt
                if v <= vmax:
                    pairs.append((np.hypot(x[b] - x[a], y[b] - y[a]), a, b))
    out = groups.copy()
    for _, a, b in sorted(pairs):
        if a in used or b in used:
            continue
        dt = hours[b] - hours[a]
        vx, vy = (x[b] - x[a]) / dt, (y[b] - y[a]) / dt
        members = [a, b]
        for d in sorted(set(exp[idx]) - {exp[a], exp[b]}):
            cand = [c for c in idx if exp[c] == d and c not in used]
            if not cand:
                continue
            px, py = x[a] + vx * (hours[cand] - hours[a]), y[a] + vy * (hours[cand] - hours[a])
            dist = np.hypot(x[cand] - px, y[cand] - py)
            if dist.min() <= tol:
                members.append(cand[int(np.argmin(dist))])
        if len(members) >= need:
            used.update(members)
            out[members] = out[a]
    return out


def truth_cutouts(
    images,
    truth,
    *,
    channels=3,
    size: int = 64,
    padding_mean: float = 65.0,
    padding_sigma: float = 5.0,
    side: float | None = None,
    seed: int = 0,
) -> QTable:
    """Cutouts around the true sources of a simulated field (labelled training sets).

    The same cutting as `EuclidCutoutDetector`, centred on the true positions:
    the extent of a source is the box holding its positions (trail ends for an
    SSO, over the chosen dithers; track ends for a cosmic ray) widened by 3 px
    (three times the half-light radius for a galaxy). Cosmic rays that hit a
    dither outside the channels, and sources whose centre falls outside the
    first chosen dither, are left out.

    Parameters
    ----------
    images : sequence of `~astropy.nddata.CCDData`
        The four dithers of `~astro_sso_euclid.simulate.simulate_field`.
    truth : `~astropy.table.QTable`
        Its truth table.
    channels : int or tuple of int
        1, 3, 4 or explicit dither numbers (see `resolve_channels`).
    size : int
        Side [px] of the output cutouts.
    padding_mean, padding_sigma : float
        Padding [px] added to the extent, drawn from N(mean, sigma).
    side : float, optional
        A fixed side [px] for every cutout instead of extent plus padding
        (the velocity networks' input, see `fixed_side`).
    seed : int
        Seed of the padding draws.

    Returns
    -------
    `~astropy.table.QTable`
        A cutouts table: ``source_id`` (the truth's), ``cutout``, ``label``,
        ``speed``, ``mag``, ``snr`` (the truth's), ``xcentroid``,
        ``ycentroid``, ``ra``, ``dec`` (cutout centre).

    Examples
    --------
    >>> from astro_sso_euclid.cutouts import truth_cutouts
    >>> from astro_sso_euclid.simulate import simulate_field
    >>> images, truth = simulate_field(shape=(96, 96), n_sso=1, n_stars=1, n_galaxies=0,
    ...                                n_cosmic_rays=0, seed=2, sso_speed_range=(5, 6))
    >>> cut = truth_cutouts(images, truth, channels=4, size=32)
    >>> cut["cutout"].shape[1:], sorted(cut["label"].tolist())
    ((32, 32, 4), ['sso', 'star'])
    """
    dithers = resolve_channels(channels)
    if int(size) < 2:
        raise InputError(f"size={size}: the cutouts need at least 2 x 2 px")
    exposures = _check_images(images, dithers)
    missing = [
        c
        for c in ("source_id", "label", "mag", "speed", "snr", "dither", "x_start", "y_start")
        + ("x_end", "y_end")
        if c not in truth.colnames
    ]
    if missing:
        raise InputError(
            f"the truth table lacks columns {missing}: give the truth of simulate_field"
        )
    side = _check_side(side)
    cutter = _Cutter(exposures, size, padding_mean, padding_sigma, seed, side)
    cols = np.array(dithers) - 1
    label = np.asarray(truth["label"]).astype(str)
    dither = np.asarray(truth["dither"], dtype=int)
    keep = (dither < 0) | np.isin(dither, cols)
    xc, yc, extent = (np.full(len(truth), np.nan) for _ in range(3))
    hlr = np.zeros(len(truth))
    if "half_light_radius" in truth.colnames:
        hlr = np.nan_to_num(truth["half_light_radius"].to_value(u.arcsec)) / cutter.pixscale
    for i in np.nonzero(keep)[0]:
        xs, ys = [], []
        for k, img in zip(cols, exposures, strict=True):
            pts = [
                (truth[xn][i, k].to_value(u.pix), truth[yn][i, k].to_value(u.pix))
                for xn, yn in (("x_start", "y_start"), ("x_end", "y_end"))
            ]
            pts = np.array([p for p in pts if np.isfinite(p).all()])
            if len(pts) == 0:
                continue
            ra, dec = img.wcs.celestial.wcs_pix2world(pts[:, 0], pts[:, 1], 0)
            rx, ry = cutter.to_ref(ra, dec)
            xs += list(rx)
            ys += list(ry)
        if not xs:
            continue
        r = max(_PSF_RADIUS, 3.0 * hlr[i]) if label[i] == "galaxy" else _PSF_RADIUS
        x0, x1, y0, y1 = min(xs) - r, max(xs) + r, min(ys) - r, max(ys) + r
        xc[i], yc[i] = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
        extent[i] = max(x1 - x0, y1 - y0)
    ny, nx = exposures[0].shape
    inside = np.isfinite(xc) & (xc >= -0.5) & (xc < nx - 0.5) & (yc >= -0.5) & (yc < ny - 0.5)
    rows = np.nonzero(inside)[0]
    if len(rows) == 0:
        table = _empty(int(size), len(dithers))
    else:
        table = _table(cutter, xc[rows], yc[rows], extent[rows])
    table["source_id"] = np.asarray(truth["source_id"][rows], dtype=np.int64)
    table["label"] = label[rows]
    table["speed"] = u.Quantity(truth["speed"][rows], u.arcsec / u.h)
    table["mag"] = u.Quantity(truth["mag"][rows], u.mag)
    table["snr"] = np.asarray(truth["snr"][rows], dtype=float)
    table.meta["dithers"] = list(dithers)
    table.meta["cutout_side"] = side
    table.meta["pixel_scale"] = "background-subtracted, in units of the background sigma"
    return validate_table(table, "cutouts", allow_nan=True)
