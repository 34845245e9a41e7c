"""Simulate a field of Euclid VIS: four dithered exposures and their truth table.

The recipe is that of Lieu et al. (2019, sec. 2): a catalogue of stars, galaxies
and Solar System objects (SSOs) is drawn; electrons are computed from the
magnitudes with the VIS zero point; stars are PSF images; galaxies are GalSim
Sersic profiles convolved with the PSF; an SSO is a trail of aligned stars
placed every 1/10 px along its motion during the exposure (oversampling factor
10: a trail 10 px long is 100 stars), each star of magnitude
m_* = m_SSO + 2.5 log10(N_*) (their Eq. 1); cosmic rays (not PSF-convolved) hit
one exposure each; then sky and source Poisson noise, dark current, read noise,
saturation, the gain conversion to ADU and the bias are applied.

Geometry. The four exposures follow each other with the paper's timing
(565 s exposures, 64 s slews, so dither k starts at k x 629 s) and pointing
offsets (100", 50"), (100", 0"), (100", 0") along the detector axes. Each
returned image is the part of that dither's detector frame which sees the
simulated field: its WCS has CRVAL at the dither's pointing (which moves by the
offsets) and CRPIX moved by the same offset in pixels, so that the four images
cover the same sky and a fixed source falls on the same pixel in all of them
(the offsets are whole pixels; pointing errors and distortion are not
simulated, as in the paper). Moving objects move between exposures as their
speed and the timing say: an SSO's mid-sequence position is drawn uniformly in
the field, so fast ones may leave it in the first or last dither.
"""

from __future__ import annotations

import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.nddata import CCDData
from astropy.table import QTable
from astropy.time import Time
from astropy.wcs import WCS

from astro_sso.exceptions import InputError

from . import instrument as vis
from .cosmics import CR_RATE, draw_cosmic_rays, render_track
from .population import (
    GALAXY_DENSITY,
    GALAXY_MAG_RANGE,
    SSO_DENSITY,
    SSO_MAG_RANGE,
    SSO_SPEED_RANGE,
    STAR_DENSITY,
    STAR_MAG_RANGE,
    draw_galaxy_shapes,
    draw_sso_motion,
    power_law_mags,
)
from .psf import STAMP_RADIUS, point_stamp, vis_psf

__all__ = [
    "TRAIL_OVERSAMPLING",
    "split_magnitude",
    "n_trail_copies",
    "trail_image",
    "dither_wcs",
    "expose",
    "simulate_field",
]

#: Stars per pixel of trail length (the paper's oversampling factor).
TRAIL_OVERSAMPLING = 10
_DEFAULT_START = "2026-03-21T00:00:00"


def split_magnitude(mag, n_copies):
    """Magnitude of each of the ``n_copies`` stars of a trail (Eq. 1 of Lieu et al. 2019).

    m_* = m_SSO + 2.5 log10(N_*): the N_* stars together carry the flux of the SSO.

    Examples
    --------
    >>> from astro_sso_euclid.simulate import split_magnitude
    >>> round(float(split_magnitude(22.0, 100)), 6)
    27.0
    """
    return np.asarray(mag, dtype=float) + 2.5 * np.log10(np.asarray(n_copies, dtype=float))


def n_trail_copies(length_px, oversampling: int = TRAIL_OVERSAMPLING):
    """Number of stars N_* of a trail ``length_px`` pixels long (at least 1).

    Examples
    --------
    >>> from astro_sso_euclid.simulate import n_trail_copies
    >>> int(n_trail_copies(10.0)), int(n_trail_copies(0.01))
    (100, 1)
    """
    return np.maximum(1, np.ceil(oversampling * np.asarray(length_px, dtype=float))).astype(int)


def trail_image(x0, y0, x1, y1, electrons, *, oversampling: int = TRAIL_OVERSAMPLING):
    """Noise-free image of a trail of aligned PSF copies from (x0, y0) to (x1, y1).

    The N_* = `n_trail_copies` stars sit at the middles of N_* equal steps of the
    motion, each with ``electrons / N_*`` (Eq. 1).

    Parameters
    ----------
    x0, y0, x1, y1 : float
        Positions [px] at the start and end of the exposure.
    electrons : float
        Total charge of the SSO during the exposure.

    Returns
    -------
    image : ndarray
        Local image [e-].
    x_origin, y_origin : int
        Pixel of the field where ``image[0, 0]`` goes.
    n_copies : int

    Examples
    --------
    >>> from astro_sso_euclid.simulate import trail_image
    >>> im, x0, y0, n = trail_image(50.0, 50.0, 60.0, 50.0, 1000.0)
    >>> n, round(float(im.sum()), 6)
    (100, 1000.0)
    """
    length = float(np.hypot(x1 - x0, y1 - y0))
    n = int(n_trail_copies(length, oversampling))
    t = (np.arange(n) + 0.5) / n
    xs, ys = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
    r = STAMP_RADIUS
    xo = int(np.floor(min(x0, x1))) - r - 1
    yo = int(np.floor(min(y0, y1))) - r - 1
    nx = int(np.ceil(max(x0, x1))) + r + 2 - xo
    ny = int(np.ceil(max(y0, y1))) + r + 2 - yo
    image = np.zeros((ny, nx))
    per_copy = electrons / n
    for x, y in zip(xs, ys, strict=True):
        st, ix, iy = point_stamp(x, y)
        image[iy - r - yo : iy + r + 1 - yo, ix - r - xo : ix + r + 1 - xo] += per_copy * st
    return image, xo, yo, n


def _add(field: np.ndarray, stamp: np.ndarray, xo: int, yo: int) -> None:
    """Add ``stamp`` to ``field`` with its [0, 0] at pixel (xo, yo), clipped to the field."""
    ny, nx = field.shape
    sy, sx = stamp.shape
    x_lo, y_lo = max(xo, 0), max(yo, 0)
    x_hi, y_hi = min(xo + sx, nx), min(yo + sy, ny)
    if x_lo >= x_hi or y_lo >= y_hi:
        return
    field[y_lo:y_hi, x_lo:x_hi] += stamp[y_lo - yo : y_hi - yo, x_lo - xo : x_hi - xo]


def _snr(stamp: np.ndarray, background_var: float) -> float:
    """Optimal (matched-filter) S/N of a noise-free source image in one exposure."""
    s = stamp[stamp > 0]
    return float(np.sqrt(np.sum(s**2 / (s + background_var))))


def dither_wcs(shape, center, offset_arcsec=(0.0, 0.0)) -> WCS:
    """TAN WCS of one dither's view of the field.

    The first dither points at ``center`` with x towards decreasing RA and y
    towards north. A later dither points at the sky position ``offset_arcsec``
    away along the detector axes (its CRVAL, the tangent point, moves with the
    offset), with the detector not rotated: its CD matrix and CRPIX are solved so
    that every pixel of the returned image sees the same sky as in the first dither
    (to < 0.1 mas over a 2048 px field); at the new tangent point north is then
    rotated by the convergence of the meridians, ~ dRA sin(Dec).

    Parameters
    ----------
    shape : tuple of int
        Image shape (ny, nx).
    center : tuple of float
        (RA, Dec) [deg] of the field centre, the pointing of the first dither.
    offset_arcsec : tuple of float
        Pointing offset (dX, dY) [arcsec] of this dither from the first one, along
        the detector axes.

    Examples
    --------
    >>> from astro_sso_euclid.simulate import dither_wcs
    >>> w1 = dither_wcs((100, 100), (150.0, 12.0))
    >>> w2 = dither_wcs((100, 100), (150.0, 12.0), (100.0, 50.0))
    >>> p1, p2 = w1.pixel_to_world(10, 20), w2.pixel_to_world(10, 20)
    >>> bool(p1.separation(p2).arcsec < 1e-4)
    True
    """
    ny, nx = shape
    w0 = WCS(naxis=2)
    w0.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    w0.wcs.cunit = ["deg", "deg"]
    w0.wcs.crpix = [(nx + 1) / 2.0, (ny + 1) / 2.0]
    w0.wcs.crval = [float(center[0]), float(center[1])]
    scale = vis.PIXEL_SCALE / 3600.0
    w0.wcs.cd = [[-scale, 0.0], [0.0, scale]]
    dpx = np.asarray(offset_arcsec, dtype=float) / vis.PIXEL_SCALE
    if not np.any(dpx):
        return w0
    # north-up WCS at the new pointing, then the affine fix that keeps the pixels on the sky
    wk = w0.deepcopy()
    wk.wcs.crpix = w0.wcs.crpix + dpx
    wk.wcs.crval = w0.wcs_pix2world([w0.wcs.crpix + dpx], 1)[0]
    c = w0.wcs.crpix.copy()
    h = 0.25 * max(nx, ny)
    pts = np.array([c, c + [h, 0.0], c + [0.0, h], c - [h, 0.0], c - [0.0, h]])
    m = wk.wcs_world2pix(w0.wcs_pix2world(pts, 1), 1)
    a = np.column_stack([(m[1] - m[3]) / (2 * h), (m[2] - m[4]) / (2 * h)])
    w = wk.deepcopy()
    w.wcs.cd = np.asarray(wk.wcs.cd) @ a
    w.wcs.crpix = c - np.linalg.solve(a, m[0] - wk.wcs.crpix)
    w.wcs.set()
    return w


def expose(rng, electrons, *, exptime=vis.EXPTIME, sky_rate=vis.SKY_RATE, noise=True):
    """Turn an expected source image [e-] into a VIS frame [ADU] and its saturation mask.

    Adds sky and dark current; with ``noise`` draws Poisson counts, adds Gaussian
    read noise and rounds to whole ADU; clips at the full well (no blooming) and the
    16-bit range; converts with the gain and adds the bias.

    Examples
    --------
    >>> import numpy as np
    >>> from astro_sso_euclid.simulate import expose
    >>> adu, sat = expose(np.random.default_rng(0), np.zeros((2, 2)), noise=False)
    >>> round(float(adu[0, 0]), 3), bool(sat.any())
    (1030.128, False)
    """
    mean = electrons + vis.background_electrons(exptime, sky_rate)
    if noise:
        e = rng.poisson(mean).astype(float) + rng.normal(0.0, vis.READ_NOISE, mean.shape)
    else:
        e = mean.astype(float)
    saturated = e >= vis.FULL_WELL
    e = np.minimum(e, vis.FULL_WELL)
    adu = e / vis.GAIN + vis.BIAS_LEVEL
    if noise:
        adu = np.floor(adu + 0.5)
    saturated |= adu >= vis.ADC_MAX
    adu = np.clip(adu, 0.0, vis.ADC_MAX)
    # whole ADU fit float32 exactly; the noise-free expectation keeps float64 precision
    return (adu.astype(np.float32) if noise else adu), saturated


def _count(rng, n, density, area_arcmin2, what):
    if n is None:
        return int(rng.poisson(density * area_arcmin2))
    if int(n) < 0:
        raise InputError(f"{what}={n}: a number of sources cannot be negative; pass 0 or more")
    return int(n)


def _galaxy_stamp(mag, shape, zero_point, exptime, fx, fy):
    import galsim

    flux = float(vis.flux_rate(mag, zero_point)) * exptime
    hlr = float(shape["half_light_radius"])
    gal = galsim.Sersic(n=float(shape["sersic_n"]), half_light_radius=hlr, flux=flux)
    gal = gal.shear(galsim.Shear(e1=float(shape["e1"]), e2=float(shape["e2"])))
    size = int(min(255, max(41, 2 * int(6 * hlr / vis.PIXEL_SCALE) + 1)))
    img = galsim.ImageD(size, size, scale=vis.PIXEL_SCALE)
    galsim.Convolve(gal, vis_psf()).drawImage(image=img, offset=(fx, fy), method="auto")
    return img.array.copy(), size // 2


def simulate_field(
    *,
    shape=(512, 512),
    n_sso: int | None = None,
    n_stars: int | None = None,
    n_galaxies: int | None = None,
    n_cosmic_rays: int | None = None,
    cr_rate: float = CR_RATE,
    sso_density: float = SSO_DENSITY,
    star_density: float = STAR_DENSITY,
    galaxy_density: float = GALAXY_DENSITY,
    sso_mag_range=SSO_MAG_RANGE,
    sso_speed_range=SSO_SPEED_RANGE,
    star_mag_range=STAR_MAG_RANGE,
    galaxy_mag_range=GALAXY_MAG_RANGE,
    center=(150.0, 12.0),
    start_time=_DEFAULT_START,
    exptime: float = vis.EXPTIME,
    slew_time: float = vis.SLEW_TIME,
    zero_point: float = vis.ZERO_POINT,
    sky_rate: float = vis.SKY_RATE,
    noise: bool = True,
    seed: int = 0,
):
    """Simulate the four dithered VIS exposures of a field, with their truth table.

    Parameters
    ----------
    shape : tuple of int
        Image shape (ny, nx) [px] at 0.1"/px.
    n_sso, n_stars, n_galaxies : int, optional
        Numbers of SSOs, stars and galaxies; by default Poisson-drawn from
        ``sso_density`` (0.6 arcmin^-2, the paper's), ``star_density`` and
        ``galaxy_density`` [arcmin^-2] (see `astro_sso_euclid.population`).
    n_cosmic_rays : int, optional
        Cosmic rays per dither; by default Poisson-drawn from ``cr_rate``.
    cr_rate : float
        Cosmic-ray hits per cm^2 per s (12 um pixels; default 5, an assumption).
    sso_density, star_density, galaxy_density : float
        Source densities [arcmin^-2] used when the numbers are not given.
    sso_mag_range, sso_speed_range : tuple of float
        Uniform ranges of SSO AB magnitudes (20-26) and speeds (1-80 "/h).
    star_mag_range, galaxy_mag_range : tuple of float
        Magnitude ranges of stars (counts ~ 10^(0.1 m)) and galaxies (~ 10^(0.3 m)).
    center : tuple of float
        (RA, Dec) [deg] of the field centre (default on the ecliptic).
    start_time : str or `~astropy.time.Time`
        Start of the first exposure (UTC).
    exptime, slew_time : float
        Exposure and slew durations [s] (565 and 64).
    zero_point : float
        AB magnitude of 1 e-/s.
    sky_rate : float
        Sky level [e-/px/s] (calibrated to the Q1 depth).
    noise : bool
        Draw the noise; with False the images are the expected values (no
        Poisson, read noise nor rounding), for tests.
    seed : int
        Seed of every random draw: the same seed gives the same field.

    Returns
    -------
    images : list of `~astropy.nddata.CCDData`
        The four exposures in ADU, with WCS, a saturation mask and a header with
        DATE-OBS, MJD-OBS (exposure start), EXPTIME, GAIN, RDNOISE, BUNIT.
    truth : `~astropy.table.QTable`
        One row per source: ``source_id``, ``label`` ('sso', 'star', 'galaxy',
        'cosmic_ray'), ``band`` ('VIS'), ``mag`` (true AB magnitude), ``xcentroid``,
        ``ycentroid`` [pix] and ``ra``, ``dec`` [deg] at the middle of the first
        exposure (of its own exposure for a cosmic ray), ``speed`` ["/h],
        ``ra_rate``, ``dec_rate`` ["/h], ``motion_pa`` [deg E of N], ``dither``
        (the exposure of a cosmic ray, 0-3; -1 for the others), per-dither
        columns of shape (n, 4): ``x_dither``, ``y_dither`` (mid-exposure),
        ``x_start``, ``y_start``, ``x_end``, ``y_end`` [pix], ``in_field``;
        ``length`` [arcsec] (trail or track length in one exposure), ``n_copies``
        and ``mag_copy`` (Eq. 1), ``sersic_n``, ``half_light_radius`` [arcsec],
        ``ellipticity``, ``shape_pa`` [deg], ``electrons`` (charge of a cosmic
        ray) and ``snr``: the integrated (matched-filter) S/N of the source in
        one exposure.

    Examples
    --------
    >>> from astro_sso_euclid.simulate import simulate_field
    >>> images, truth = simulate_field(shape=(64, 64), n_sso=1, n_stars=1, n_galaxies=0,
    ...                                n_cosmic_rays=1, seed=3)
    >>> len(images), images[0].unit.to_string(), sorted(set(truth["label"].tolist()))
    (4, 'adu', ['cosmic_ray', 'sso', 'star'])
    """
    ny, nx = (int(shape[0]), int(shape[1]))
    if ny < 8 or nx < 8:
        raise InputError(f"shape={shape}: the field must be at least 8 x 8 px")
    if exptime <= 0 or slew_time < 0:
        raise InputError(f"exptime={exptime}, slew_time={slew_time}: need exptime > 0, slew >= 0")
    start = start_time if isinstance(start_time, Time) else Time(start_time, scale="utc")
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]
    r_star, r_gal, r_sso, r_cr, r_noise, r_count = streams
    area = ny * nx * (vis.PIXEL_SCALE / 60.0) ** 2
    n_sso = _count(r_count, n_sso, sso_density, area, "n_sso")
    n_stars = _count(r_count, n_stars, star_density, area, "n_stars")
    n_galaxies = _count(r_count, n_galaxies, galaxy_density, area, "n_galaxies")

    t0 = vis.dither_start_times(4, exptime, slew_time)
    offsets = vis.dither_offsets_cumulative()
    wcs_list = [dither_wcs((ny, nx), center, off) for off in offsets]
    bvar = vis.pixel_variance(exptime, sky_rate)
    static = np.zeros((ny, nx))
    rows = []

    def uniform_xy(rng, n):
        return rng.uniform(-0.5, nx - 0.5, n), rng.uniform(-0.5, ny - 0.5, n)

    # stars
    mags = power_law_mags(r_star, n_stars, star_mag_range, 0.1)
    xs, ys = uniform_xy(r_star, n_stars)
    for m, x, y in zip(mags, xs, ys, strict=True):
        st, ix, iy = point_stamp(x, y)
        img = st * float(vis.flux_rate(m, zero_point)) * exptime
        _add(static, img, ix - STAMP_RADIUS, iy - STAMP_RADIUS)
        rows.append(_static_row("star", m, x, y, _snr(img, bvar)))

    # galaxies (GalSim Sersic profiles convolved with the PSF and the pixel)
    mags = power_law_mags(r_gal, n_galaxies, galaxy_mag_range, 0.3)
    xs, ys = uniform_xy(r_gal, n_galaxies)
    shapes = draw_galaxy_shapes(r_gal, mags)
    for k, (m, x, y) in enumerate(zip(mags, xs, ys, strict=True)):
        ix, iy = int(np.floor(x + 0.5)), int(np.floor(y + 0.5))
        sh = {key: val[k] for key, val in shapes.items()}
        img, half = _galaxy_stamp(m, sh, zero_point, exptime, x - ix, y - iy)
        _add(static, img, ix - half, iy - half)
        row = _static_row("galaxy", m, x, y, _snr(img, bvar))
        row.update(
            sersic_n=sh["sersic_n"],
            half_light_radius=sh["half_light_radius"],
            ellipticity=sh["ellipticity"],
            shape_pa=sh["pa"],
        )
        rows.append(row)

    moving = [np.zeros((ny, nx)) for _ in range(4)]

    # SSOs: trails of aligned stars, moving through the four dithers
    mags = r_sso.uniform(*sso_mag_range, n_sso)
    speeds, pas = draw_sso_motion(r_sso, n_sso, sso_speed_range)
    xm, ym = uniform_xy(r_sso, n_sso)
    t_mid_seq = 0.5 * (t0[0] + t0[-1] + exptime)
    for m, v, pa, x_mid, y_mid in zip(mags, speeds, pas, xm, ym, strict=True):
        v_px = v / 3600.0 / vis.PIXEL_SCALE  # px/s
        ux, uy = -np.sin(np.radians(pa)), np.cos(np.radians(pa))  # east = -x, north = +y
        ts, te = t0, t0 + exptime
        xs0, ys0 = x_mid + ux * v_px * (ts - t_mid_seq), y_mid + uy * v_px * (ts - t_mid_seq)
        xs1, ys1 = x_mid + ux * v_px * (te - t_mid_seq), y_mid + uy * v_px * (te - t_mid_seq)
        electrons = float(vis.flux_rate(m, zero_point)) * exptime
        snr = np.nan
        n_copies = 0
        for k in range(4):
            img, xo, yo, n_copies = trail_image(xs0[k], ys0[k], xs1[k], ys1[k], electrons)
            if k == 0:
                snr = _snr(img, bvar)
            _add(moving[k], img, xo, yo)
        xd, yd = 0.5 * (xs0 + xs1), 0.5 * (ys0 + ys1)
        rows.append(
            {
                "label": "sso",
                "mag": m,
                "xcentroid": xd[0],
                "ycentroid": yd[0],
                "speed": v,
                "ra_rate": v * np.sin(np.radians(pa)),
                "dec_rate": v * np.cos(np.radians(pa)),
                "motion_pa": pa,
                "dither": -1,
                "x_dither": xd,
                "y_dither": yd,
                "x_start": xs0,
                "y_start": ys0,
                "x_end": xs1,
                "y_end": ys1,
                "length": v * exptime / 3600.0,
                "n_copies": n_copies,
                "mag_copy": float(split_magnitude(m, n_copies)),
                "snr": snr,
            }
        )

    # cosmic rays: one exposure each, not PSF-convolved
    for k in range(4):
        cr = draw_cosmic_rays(r_cr, (ny, nx), exptime, cr_rate, n_cosmic_rays)
        for j in range(len(cr["length"])):
            x0, y0, x1, y1 = (cr[key][j] for key in ("x0", "y0", "x1", "y1"))
            xo, yo = int(np.floor(min(x0, x1))) - 1, int(np.floor(min(y0, y1))) - 1
            local = np.zeros((int(abs(y1 - y0)) + 4, int(abs(x1 - x0)) + 4))
            render_track(local, x0 - xo, y0 - yo, x1 - xo, y1 - yo, cr["electrons"][j])
            _add(moving[k], local, xo, yo)
            nan4 = np.full(4, np.nan)
            xc = 0.5 * (cr["x0"][j] + cr["x1"][j])
            yc = 0.5 * (cr["y0"][j] + cr["y1"][j])

            def at(v, k=k, nan4=nan4):
                a = nan4.copy()
                a[k] = v
                return a

            rows.append(
                {
                    "label": "cosmic_ray",
                    "mag": np.nan,
                    "xcentroid": xc,
                    "ycentroid": yc,
                    "speed": np.nan,
                    "dither": k,
                    "x_dither": at(xc),
                    "y_dither": at(yc),
                    "x_start": at(cr["x0"][j]),
                    "y_start": at(cr["y0"][j]),
                    "x_end": at(cr["x1"][j]),
                    "y_end": at(cr["y1"][j]),
                    "length": cr["length"][j] * vis.PIXEL_SCALE,
                    "electrons": cr["electrons"][j],
                    "snr": _snr(local, bvar),
                }
            )

    images = []
    for k in range(4):
        adu, saturated = expose(
            r_noise, static + moving[k], exptime=exptime, sky_rate=sky_rate, noise=noise
        )
        images.append(_ccd(adu, saturated, wcs_list[k], start, t0[k], exptime, k, seed, sky_rate))
    truth = _truth_table(rows, wcs_list, (ny, nx), start, t0, exptime)
    truth.meta.update(
        {
            "zero_point": zero_point,
            "sky_rate": sky_rate,
            "exptime": exptime,
            "slew_time": slew_time,
            "seed": seed,
            "start_time": start.isot,
            "trail_oversampling": TRAIL_OVERSAMPLING,
        }
    )
    return images, truth


def _static_row(label, mag, x, y, snr):
    return {
        "label": label,
        "mag": mag,
        "xcentroid": x,
        "ycentroid": y,
        "speed": 0.0,
        "ra_rate": 0.0,
        "dec_rate": 0.0,
        "dither": -1,
        "x_dither": np.full(4, x),
        "y_dither": np.full(4, y),
        "x_start": np.full(4, x),
        "y_start": np.full(4, y),
        "x_end": np.full(4, x),
        "y_end": np.full(4, y),
        "length": 0.0,
        "snr": snr,
    }


_FLOAT_COLS = {
    "mag": u.mag,
    "xcentroid": u.pix,
    "ycentroid": u.pix,
    "speed": u.arcsec / u.h,
    "ra_rate": u.arcsec / u.h,
    "dec_rate": u.arcsec / u.h,
    "motion_pa": u.deg,
    "length": u.arcsec,
    "mag_copy": u.mag,
    "sersic_n": None,
    "half_light_radius": u.arcsec,
    "ellipticity": None,
    "shape_pa": u.deg,
    "electrons": u.electron,
    "snr": None,
}
_VECTOR_COLS = ("x_dither", "y_dither", "x_start", "y_start", "x_end", "y_end")


def _truth_table(rows, wcs_list, shape, start, t0, exptime) -> QTable:
    ny, nx = shape
    n = len(rows)
    t = QTable()
    t["source_id"] = np.arange(n, dtype=np.int64)
    t["label"] = np.array([r["label"] for r in rows], dtype="U10")
    t["band"] = np.full(n, "VIS")
    for name, unit in _FLOAT_COLS.items():
        col = np.array([r.get(name, np.nan) for r in rows], dtype=float)
        t[name] = col * unit if unit is not None else col
    t["mag_copy"][np.asarray(t["label"]) != "sso"] = np.nan * u.mag
    t["n_copies"] = np.array([r.get("n_copies", 0) for r in rows], dtype=np.int64)
    t["dither"] = np.array([r["dither"] for r in rows], dtype=np.int64)
    for name in _VECTOR_COLS:
        t[name] = np.array([r[name] for r in rows], dtype=float).reshape(n, 4) * u.pix
    xd = np.asarray(t["x_dither"].value)
    yd = np.asarray(t["y_dither"].value)
    t["in_field"] = (xd >= -0.5) & (xd < nx - 0.5) & (yd >= -0.5) & (yd < ny - 0.5)
    ra = np.full(n, np.nan)
    dec = np.full(n, np.nan)
    mid = np.empty(n, dtype=float)
    for k, w in enumerate(wcs_list):
        sel = np.asarray(t["dither"]) == k
        if k == 0:
            sel |= np.asarray(t["dither"]) == -1
        if sel.any():
            r_, d_ = w.wcs_pix2world(t["xcentroid"].value[sel], t["ycentroid"].value[sel], 0)
            ra[sel], dec[sel] = r_, d_
            mid[sel] = t0[k] + 0.5 * exptime
    t["ra"] = ra * u.deg
    t["dec"] = dec * u.deg
    t["obstime"] = start + mid * u.s if n else Time([], format="mjd", scale="utc")
    return t


def _ccd(adu, saturated, wcs, start, t_start, exptime, k, seed, sky_rate) -> CCDData:
    hdr = fits.Header()
    begin = start + t_start * u.s
    hdr["TELESCOP"] = ("Euclid", "simulated by astro-sso-euclid")
    hdr["INSTRUME"] = "VIS"
    hdr["FILTER"] = "VIS"
    hdr["DATE-OBS"] = (begin.utc.isot, "UTC start of the exposure")
    hdr["MJD-OBS"] = (begin.utc.mjd, "MJD (UTC) start of the exposure")
    hdr["EXPTIME"] = (exptime, "[s] exposure time")
    hdr["GAIN"] = (vis.GAIN, "[e-/ADU]")
    hdr["RDNOISE"] = (vis.READ_NOISE, "[e-] read noise")
    hdr["BUNIT"] = "ADU"
    hdr["BIASLEV"] = (vis.BIAS_LEVEL, "[ADU] bias level (not subtracted)")
    hdr["SATURATE"] = (vis.FULL_WELL / vis.GAIN + vis.BIAS_LEVEL, "[ADU] full well")
    hdr["DARKCUR"] = (vis.DARK_CURRENT, "[e-/px/s]")
    hdr["SKYRATE"] = (sky_rate, "[e-/px/s] simulated sky")
    hdr["DITHER"] = (k + 1, "dither number (1-4)")
    hdr["SIMSEED"] = (int(seed), "seed of the simulation")
    hdr.update(wcs.to_header())
    return CCDData(adu, unit="adu", wcs=wcs, meta=hdr, mask=saturated)
