"""Data shared by the catalogue tests: real MPC lines, JPL Horizons answers, paths."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pytest

from astro_sso.testing import realdata_path, recorded_horizons

# Lines of MPCORB.DAT as published by the Minor Planet Center (the 2024 edition line of
# (1) Ceres, epoch K2555 = 2025-05-05; and the first lines of an edition of mid-2010,
# epoch K107N = 2010-07-23), as reproduced in the test suites of open-source projects.
CERES_2024 = (
    "00001    3.34  0.15 K2555 188.70269   73.27343   80.25221   10.58780  0.0794013  "
    "0.21424651   2.7660512  0 E2024-V47  7330 125 1801-2024 0.80 M-v 30k MPCLINUX   "
    "4000      (1) Ceres              20241101"
)
MPCORB_2010 = [
    "00001    3.34  0.12 K107N 113.41048   72.58976   80.39321   10.58682  0.0791382  "
    "0.21432817   2.7653485  0 MPO110568  6063  94 1802-2006 0.61 M-v 30h MPCW       "
    "0000      (1) Ceres              20061025",
    "00002    4.13  0.11 K107N  96.14829  310.15090  173.12949   34.84091  0.2309995  "
    "0.21353950   2.7721533  0 MPO135420  7253  93 1827-2008 0.59 M-v 28h MPCW       "
    "0000      (2) Pallas             20080101",
    "00003    5.33  0.32 K107N  32.09611  248.10804  169.91138   12.98211  0.2549812  "
    "0.22589931   2.6700913  0 MPO135420  6278  91 1824-2008 0.60 M-v 38h MPCW       "
    "0000      (3) Juno               20080308",
    "00004    3.20  0.32 K107N 307.80111  149.83731  103.90970    7.13407  0.0886225  "
    "0.27152411   2.3619124  0 MPO135420  6449  82 1827-2007 0.60 M-v 18h MPCW       "
    "0000      (4) Vesta              20070808",
    "00005    6.85  0.15 K107N 239.04556  358.35340  141.64423    5.36884  0.1904177  "
    "0.23823543   2.5771032  0 MPO 41498  2178 100 1845-2002 0.56 M-v 38h Goffin     "
    "0000      (5) Astraea            20021114",
    "00006    5.71  0.24 K107N 331.77097  239.35969  138.74019   14.75228  0.2026188  "
    "0.26089412   2.4256410  0 MPO135420  5011  81 1848-2008 0.55 M-v 38h MPCW       "
    "0007      (6) Hebe               20080222",
]
MPCORB_HEADER = (
    "MINOR PLANET CENTER ORBIT DATABASE (MPCORB)\n"
    "\n"
    "Des'n     H     G   Epoch     M        Peri.      Node       Incl.       e            n"
    "           a        Reference #Obs #Opp    Arc    rms  Perts   Computer\n" + "-" * 202 + "\n"
)

#: The shared real-data folder (found by astro_sso.testing.realdata_path); a path that does
#: not exist when it is absent, so the tests that need it skip with their reason.
REALDATA = realdata_path() or Path("shared") / "realdata"


def horizons_rows(name):
    """Header and rows of a recorded Horizons CSV answer, or skip the test."""
    try:
        return recorded_horizons(name)
    except FileNotFoundError as exc:
        pytest.skip(f"astroquery's JPL Horizons test data are not installed ({exc})")


@functools.lru_cache(maxsize=1)
def ceres_horizons():
    """JPL Horizons: Ceres osculating elements (2022-06-10, TDB) and geocentric ephemerides."""
    hdr, rows = horizons_rows("ceres_elements_range.txt")
    el = dict(zip(hdr, rows[0], strict=False))
    ehdr, erows = horizons_rows("ceres_ephemerides_range.txt")
    idx = {h: i for i, h in enumerate(ehdr)}
    eph = {
        "jd_utc": np.array([float(r[idx["Date_________JDUT"]]) for r in erows]),
        "ra": np.array([float(r[idx["R.A._(ICRF)"]]) for r in erows]),
        "dec": np.array([float(r[idx["DEC_(ICRF)"]]) for r in erows]),
        "r": np.array([float(r[idx["r"]]) for r in erows]),
        "delta": np.array([float(r[idx["delta"]]) for r in erows]),
    }
    elements = {
        "epoch_jd_tdb": float(el["JDTDB"]),
        "e": float(el["EC"]),
        "i": float(el["IN"]),
        "node": float(el["OM"]),
        "argperi": float(el["W"]),
        "M": float(el["MA"]),
        "a": float(el["A"]),
        "H": 3.33,
        "G": 0.12,
    }
    return elements, eph
