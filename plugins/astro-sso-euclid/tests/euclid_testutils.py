"""Helpers shared by the astro-sso-euclid tests (a uniquely named module, no conftest)."""

import numpy as np
from astro_sso_euclid import instrument as vis


def signal_electrons(ccd, sky_rate=vis.SKY_RATE, exptime=vis.EXPTIME):
    """Source electrons of a noise-free frame: ADU minus bias, times gain, minus sky and dark."""
    return (np.asarray(ccd.data, dtype=float) - vis.BIAS_LEVEL) * vis.GAIN - (
        vis.background_electrons(exptime, sky_rate)
    )


def moments_along(image, x0, y0, ux, uy):
    """Weighted mean and variance of the distance along (ux, uy) and across it, from (x0, y0)."""
    yy, xx = np.indices(image.shape)
    w = np.clip(image, 0, None)
    dx, dy = xx - x0, yy - y0
    along = dx * ux + dy * uy
    across = -dx * uy + dy * ux
    tot = w.sum()
    m_a = (w * along).sum() / tot
    m_c = (w * across).sum() / tot
    v_a = (w * (along - m_a) ** 2).sum() / tot
    v_c = (w * (across - m_c) ** 2).sum() / tot
    return m_a, m_c, v_a, v_c
