"""Physical and astronomical constants of the ephemeris engine.

Units are the astronomical unit (AU), the day (86400 s of TDB) and degrees or
radians as named. Values follow the IAU 2012 astronomical unit, the Gaussian
gravitational constant and the IAU 1976 obliquity of the ecliptic at J2000.0 as
JPL Horizons, the JPL Small-Body Database and the MPC use them for heliocentric
ecliptic elements.

Examples
--------
>>> from astro_sso.ephemeris.constants import GM_SUN, C_AU_PER_DAY
>>> round(GM_SUN, 12)
0.000295912208
>>> round(C_AU_PER_DAY, 3)
173.145
"""

import numpy as np

__all__ = [
    "AU_KM",
    "C_AU_PER_DAY",
    "DAY_S",
    "EARTH_EQUATORIAL_RADIUS_KM",
    "GAUSS_K",
    "GAUSS_K_DEG",
    "GM_SUN",
    "J2000_JD",
    "OBLIQUITY_J2000_ARCSEC",
    "OBLIQUITY_J2000_RAD",
    "RAD_PER_DAY_TO_ARCSEC_PER_HOUR",
]

#: Gaussian gravitational constant k [AU^(3/2) / d].
GAUSS_K = 0.01720209895

#: The same constant in degrees per day: the mean motion [deg/d] of an orbit with a = 1 AU
#: (n = GAUSS_K_DEG / a^1.5 for the MPC's heliocentric elements).
GAUSS_K_DEG = float(np.rad2deg(GAUSS_K))

#: Heliocentric gravitational parameter GM_sun = k^2 [AU^3 / d^2].
GM_SUN = GAUSS_K**2

#: Kilometres per astronomical unit (IAU 2012 Resolution B2).
AU_KM = 149597870.7

#: Seconds per day.
DAY_S = 86400.0

#: Speed of light [AU / d].
C_AU_PER_DAY = 299792.458 * DAY_S / AU_KM

#: Earth equatorial radius [km] used with the MPC parallax constants (WGS84/IERS).
EARTH_EQUATORIAL_RADIUS_KM = 6378.137

#: Obliquity of the ecliptic at J2000.0 (IAU 1976) [arcsec], the value of JPL's
#: "ecliptic of J2000" frame.
OBLIQUITY_J2000_ARCSEC = 84381.448

#: The same obliquity [rad].
OBLIQUITY_J2000_RAD = float(np.deg2rad(OBLIQUITY_J2000_ARCSEC / 3600.0))

#: Julian date of the J2000.0 epoch (TDB).
J2000_JD = 2451545.0

#: Multiply an angular rate in rad/d by this to get arcsec/h.
RAD_PER_DAY_TO_ARCSEC_PER_HOUR = float(np.rad2deg(1.0) * 3600.0 / 24.0)
