"""The ephemeris engine: orbits, propagation, observers and astrometric positions.

Main entry point: :func:`ephemeris` (a QTable of RA/Dec, rates, distances,
phase, elongation and V magnitude for orbits x times as seen by an observer).
Building blocks used across astro-sso: :func:`prepare_orbits`,
:func:`astrometric` (array core), :func:`propagate_twobody` (vectorized Kepler),
:func:`observer_barycentric` / :func:`observers_barycentric` (MPC codes,
EarthLocations, spacecraft), element <-> state conversions, and the sbpy
bridges. Importing this package never imports TensorFlow, sbpy or REBOUNDx.

Examples
--------
>>> from astro_sso.ephemeris import observer_barycentric
>>> from astropy.time import Time
>>> pos, vel = observer_barycentric("500", Time("2024-01-01T00:00", scale="utc"))
>>> pos.shape
(1, 3)
"""

from astro_sso.ephemeris.constants import C_AU_PER_DAY, GAUSS_K, GM_SUN, OBLIQUITY_J2000_ARCSEC
from astro_sso.ephemeris.core import (
    METHODS,
    PreparedOrbits,
    astrometric,
    ephemeris,
    heliocentric_states,
    hg_magnitude,
    prepare_orbits,
)
from astro_sso.ephemeris.elements import (
    cometary_to_state,
    elements_to_state,
    state_to_cometary,
    state_to_elements,
)
from astro_sso.ephemeris.frames import ecliptic_to_icrs, icrs_to_ecliptic
from astro_sso.ephemeris.iers import configure_offline_iers
from astro_sso.ephemeris.kepler import kepler_step, propagate_twobody
from astro_sso.ephemeris.observers import (
    observatory,
    observer_barycentric,
    observers_barycentric,
    register_spacecraft,
    registered_spacecraft,
    site_location,
    unregister_spacecraft,
)
from astro_sso.ephemeris.sbpy_compat import (
    from_sbpy_ephem,
    from_sbpy_orbit,
    to_sbpy_ephem,
    to_sbpy_orbit,
)
from astro_sso.ephemeris.times import as_tdb

configure_offline_iers()

__all__ = [
    "as_tdb",
    "C_AU_PER_DAY",
    "GAUSS_K",
    "GM_SUN",
    "METHODS",
    "OBLIQUITY_J2000_ARCSEC",
    "PreparedOrbits",
    "astrometric",
    "cometary_to_state",
    "configure_offline_iers",
    "ecliptic_to_icrs",
    "elements_to_state",
    "ephemeris",
    "from_sbpy_ephem",
    "from_sbpy_orbit",
    "heliocentric_states",
    "hg_magnitude",
    "icrs_to_ecliptic",
    "kepler_step",
    "observatory",
    "observer_barycentric",
    "observers_barycentric",
    "prepare_orbits",
    "propagate_twobody",
    "register_spacecraft",
    "registered_spacecraft",
    "site_location",
    "state_to_cometary",
    "state_to_elements",
    "to_sbpy_ephem",
    "to_sbpy_orbit",
    "unregister_spacecraft",
]
