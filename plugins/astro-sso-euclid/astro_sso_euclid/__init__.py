"""astro-sso-euclid: a simulator of Euclid VIS dithered exposures (Lieu et al. 2019, sec. 2).

Modules: `~astro_sso_euclid.instrument` (VIS figures and their sources),
`~astro_sso_euclid.psf` (the PSF), `~astro_sso_euclid.population` (default source
distributions), `~astro_sso_euclid.cosmics` (cosmic rays),
`~astro_sso_euclid.simulate` (`simulate_field`), `~astro_sso_euclid.depth`
(`measure_depth`); `~astro_sso_euclid.plugin` holds the astro-sso hooks.
The package import stays light: GalSim is imported when a field is drawn.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
